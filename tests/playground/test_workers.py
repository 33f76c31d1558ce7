"""The workers under stress, through real parts: a broker that restarts, a worker killed with
nobody watching, visitors filling their share. Each test runs `manage.py run_workers` (the
supervised layout of playground/runs/workers.py) on a throwaway redis-server and the test
database."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command

from playground.models import Run, RunControl, Scenario
from tests.playground.conftest import DOCUMENT, bearer, make_world

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LONG = {**DOCUMENT, "duration_ms": 60_000}


def wait_for(what: Callable[[], Any], timeout: float, message: str) -> Any:
    """Poll the database (never the API: nobody reads these runs) until `what()` is truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = what()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"{message} within {timeout} s")


def status(run_id: int) -> str:
    return Run.objects.values_list("status", flat=True).get(pk=run_id)


def post(url: str, body: dict, headers: dict[str, str] | None = None) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={**(headers or {}), "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        assert response.status == 201
        return json.loads(response.read())


def test_every_worker_survives_a_redis_restart_with_runs_in_flight_and_runs_the_next(own_stack):
    """Redis goes away for 5 s while each worker has a run: no worker exits (same pids, no
    restart by the supervisor), the runs finish, and a run queued afterwards runs."""
    world = make_world({**DOCUMENT, "duration_ms": 10_000}, speed=1.0)
    paced = world["run"]
    visitor = Run.objects.create(document=paced.document, seed=3, speed=1.0, session_key="v1")
    # A full-speed run held paused, so the prefork worker too has one in flight.
    full = Run.objects.create(document=LONG, seed=5, speed=None, owner=world["owner"])
    RunControl.objects.create(run=full, action="pause", params={})
    for run in (paced, visitor, full):
        own_stack.queue(run.pk)
    wait_for(
        lambda: all(status(r.pk) in (Run.RUNNING, Run.PAUSED) for r in (paced, visitor, full)),
        20,
        "the three runs did not start",
    )
    workers = own_stack.worker_pids()
    assert len(workers) == 3

    own_stack.redis.restart(down_for=5.0)

    for run in (paced, visitor):
        wait_for(lambda run=run: status(run.pk) == Run.FINISHED, 30, f"run {run.pk} not finished")
    assert status(full.pk) == Run.PAUSED
    RunControl.objects.create(run=full, action="cancel", params={})
    wait_for(lambda: status(full.pk) == Run.CANCELLED, 10, "the paused run not cancelled")
    log = own_stack.worker_log_text()
    assert "Unrecoverable error" not in log and "restarting it" not in log, log[-3000:]
    assert own_stack.worker_pids() == workers

    after = Run.objects.create(document=DOCUMENT, seed=9, speed=4.0, owner=world["owner"])
    own_stack.queue(after.pk)
    wait_for(lambda: status(after.pk) == Run.FINISHED, 20, "the next run did not finish")
    assert own_stack.worker_pids() == workers


def test_a_killed_workers_run_is_failed_within_30_s_with_nobody_reading_and_it_is_restarted(
    own_stack,
):
    """kill -9 of the process driving a run: with no viewer and no API call, a sweep fails the
    run within 30 s saying the process died; the supervisor starts a new worker, which runs."""
    world = make_world(LONG, speed=1.0)
    run = world["run"]
    own_stack.queue(run.pk)
    worker = wait_for(
        lambda: (
            Run.objects.filter(pk=run.pk, status=Run.RUNNING)
            .values_list("worker", flat=True)
            .first()
        ),
        20,
        "the run did not start",
    )
    pid = int(worker.split(":")[1])
    assert pid in own_stack.worker_pids()  # a paced run: a thread of the paced worker's process
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()

    wait_for(lambda: status(run.pk) == Run.FAILED, 30, "the killed run was not failed")
    took = time.monotonic() - killed
    reason = Run.objects.get(pk=run.pk).reason
    assert "died" in reason and str(pid) in reason, reason
    print(f"failed {took:.1f} s after the kill: {reason}")

    wait_for(lambda: len(own_stack.worker_pids() - {pid}) == 3, 20, "the worker not restarted")
    after = Run.objects.create(document=DOCUMENT, seed=9, speed=4.0, owner=world["owner"])
    own_stack.queue(after.pk)
    wait_for(lambda: status(after.pk) == Run.FINISHED, 30, "the restarted worker did not run")


def test_a_signed_in_users_runs_start_within_5_s_while_20_visitor_runs_are_active(own_stack):
    """20 cookie-less scenario runs at speed 0.1 (the visitors' cap) all run at once, in the
    visitors' worker; a signed-in user's paced run and full-speed run each start within 5 s."""
    call_command("load_scenarios", verbosity=0)
    slug = Scenario.objects.order_by("slug").values_list("slug", flat=True).first()
    visitors = [
        post(f"{own_stack.http_base}/api/scenarios/{slug}/runs", {"speed": 0.1})["id"]
        for _ in range(20)
    ]
    wait_for(
        lambda: Run.objects.filter(pk__in=visitors, status=Run.RUNNING).count() == 20,
        30,
        "the 20 visitor runs were not all running",
    )
    world = make_world(LONG)
    key = world["owner_key"]
    topology = world["topology"].pk
    mine = [
        post(f"{own_stack.http_base}/api/topologies/{topology}/runs", {"speed": speed}, bearer(key))
        for speed in (1.0, "max")
    ]
    for answer in mine:
        wait_for(
            lambda answer=answer: Run.objects.filter(
                pk=answer["id"], started__isnull=False
            ).exists(),
            15,
            f"run {answer['id']} (speed {answer.get('speed')}) did not start",
        )
        run = Run.objects.get(pk=answer["id"])
        waited = (run.started - run.created).total_seconds()
        print(f"run at speed {run.speed}: started {waited:.2f} s after it was queued")
        assert waited < 5, waited
    assert Run.objects.filter(pk__in=visitors, status=Run.RUNNING).count() == 20
    for run_id in [*visitors, *(a["id"] for a in mine)]:
        RunControl.objects.create(run_id=run_id, action="cancel", params={})
