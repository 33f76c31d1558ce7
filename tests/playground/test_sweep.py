"""The lifecycle around a run, in this process: the sweep, the supervisor, a broker that is away.

The Celery side of the same is tested through real workers in test_workers.py.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from playground.models import Run
from playground.runs import reaper
from playground.runs.launch import _start_thread, launch
from playground.runs.supervisor import Supervisor
from tests.services import free_port


def dead_pid() -> int:
    """The pid of a process that has ended (and, moments later, is not reused)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def stale_run(document, worker: str) -> Run:
    run = Run.objects.create(document=document, seed=1)
    old = timezone.now() - timedelta(seconds=reaper.heartbeat_timeout() + 5)
    Run.objects.filter(pk=run.pk).update(status=Run.RUNNING, worker=worker, heartbeat=old)
    return run


@pytest.mark.django_db(transaction=True)
def test_the_thread_backends_sweeper_fails_dead_runs_with_nobody_reading(document, settings):
    """Starting a run in the web process starts its sweeper, which fails a run whose process
    died ("died") and one whose live process went silent ("stopped responding"), unread."""
    settings.RUN_SWEEP_SECONDS = 0.2
    host = socket.gethostname()
    died = stale_run(document, f"{host}:{dead_pid()}:run-1")
    hung = stale_run(document, f"{host}:1:run-2")
    sweeper = reaper.start_sweeper()
    try:
        assert sweeper is not None and sweeper.is_alive()
        assert reaper.start_sweeper() is sweeper  # one per process
        deadline = time.monotonic() + 10
        while Run.objects.filter(pk__in=(died.pk, hung.pk), status=Run.FAILED).count() < 2:
            assert time.monotonic() < deadline, "the sweeper did not fail the runs"
            time.sleep(0.1)
    finally:
        sweeper.stop()
    died.refresh_from_db()
    hung.refresh_from_db()
    assert "died" in died.reason and "heartbeat" in died.reason, died.reason
    # pid 1 exists (or is not ours to signal): all we know is that it went silent.
    assert "stopped responding" in hung.reason, hung.reason


@pytest.mark.django_db
def test_no_sweeper_when_the_sweep_is_turned_off(settings):
    settings.RUN_SWEEP_SECONDS = 0
    assert reaper.start_sweeper() is None


@pytest.mark.django_db
def test_a_run_the_broker_cannot_take_is_failed_with_that_reason(
    document, limits, settings, django_capture_on_commit_callbacks
):
    """With the Celery backend and nothing listening at the broker's address, starting a run
    answers with the run, failed with a reason naming the broker (not a 500, not queued for
    ever)."""
    from playground.celery import app

    settings.RUN_BACKEND = "celery"
    saved = app.conf.broker_url
    app.conf.broker_url = f"redis://127.0.0.1:{free_port()}/0"
    app._after_fork()  # forget pooled connections to the old address
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run = launch(document, user=AnonymousUser(), session_key="visitor")
    finally:
        app.conf.broker_url = saved
        app._after_fork()
    run.refresh_from_db()
    assert run.status == Run.FAILED and "broker is unreachable" in run.reason, run.reason


def test_the_supervisor_restarts_a_child_that_dies_and_stops_them_all():
    """A child that exits is started again after its pause; on stop, every child ends."""
    supervisor = Supervisor(
        {"brief": [sys.executable, "-c", "pass"], "long": ["sleep", "60"]}, grace=1
    )
    for name in supervisor.commands:
        supervisor.start(name)
    first = supervisor.procs["brief"].pid
    deadline = time.monotonic() + 10
    while supervisor.restarts == 0:
        assert time.monotonic() < deadline, "the dead child was not restarted"
        supervisor.check()
        time.sleep(0.05)
    assert supervisor.procs["brief"].pid != first
    assert supervisor.procs["long"].poll() is None  # the healthy one is left alone
    started = time.monotonic()
    supervisor.shutdown()
    assert all(p.poll() is not None for p in supervisor.procs.values())
    assert time.monotonic() - started < 5


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_database_connection_is_terminated_fails_saying_so():
    """PostgreSQL terminates the runner's connection mid-run (pg_terminate_backend, as an
    operator or a failover does): the run ends failed with that reason on a new connection,
    not left running for the sweep to call its worker unresponsive."""
    from django.db import connection

    from tests.playground.conftest import DOCUMENT, make_world

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME")
    run = make_world({**DOCUMENT, "duration_ms": 60_000}, speed=1.0)["run"]
    thread = _start_thread(run.pk, None)
    deadline = time.monotonic() + 20
    while not Run.objects.filter(pk=run.pk, status=Run.RUNNING, event_count__gt=0).exists():
        assert time.monotonic() < deadline, "the run did not start"
        time.sleep(0.1)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert cursor.fetchone()[0] >= 1
    thread.join(20)
    assert not thread.is_alive()
    run.refresh_from_db()
    assert run.status == Run.FAILED, (run.status, run.reason)
    assert "database connection was lost" in run.reason, run.reason
