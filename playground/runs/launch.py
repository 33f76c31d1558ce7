"""Starting a run: check the limits, create the Run row, hand its id to the runner once committed.

Nothing is started when a limit says no, and the runner never sees a row
that is not committed yet (it may run in another process). Two backends take it
(`start_run`): a Celery task on the run's queue (playground/runs/workers.py) when
`RUN_BACKEND` is `celery`, or a thread of this process.
"""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any

from asgiref.sync import SyncToAsync
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

from playground.accounts.access import AnyUser, account
from playground.models import Limits, Run, Scenario, Topology
from playground.refusals import Refused
from playground.runs.controls import parse_speed
from playground.runs.reaper import fail, reap_stale_runs, start_sweeper
from playground.runs.runner import execute
from playground.runs.tasks import execute_run
from playground.runs.workers import queue_for
from playground.topologies.documents import check
from playground.topologies.limits import concurrency_problem


def launch(
    document: dict[str, Any],
    *,
    user: AnyUser,
    session_key: str = "",
    topology: Topology | None = None,
    scenario: Scenario | None = None,
    seed: int | None = None,
    speed: Any = None,
) -> Run:
    """Create a queued run of `document` for this caller, started after commit; or raise Refused."""
    owner = account(user)
    anonymous = owner is None
    limits = Limits.current()
    # Paced at one simulated second per wall second unless the caller says otherwise.
    speed_value = 1.0 if speed is None else parse_speed(speed)
    doc = check(document, anonymous=anonymous, limits=limits)
    if seed is None:
        seed = int(doc.get("seed", 1))
    # A run of this caller stuck queued or with a dead worker must not hold a slot of
    # the limit below. Only the caller's own (a few rows): the sweep of all runs is the
    # workers' job (reaper.Sweeper), never a web request's.
    mine = (
        Run.objects.filter(owner=owner)
        if owner is not None
        else Run.objects.filter(owner__isnull=True, session_key=session_key or "-")
    )
    reap_stale_runs(among=mine.filter(status__in=Run.ACTIVE))
    with transaction.atomic():
        if owner is not None:
            # Serialise one user's starts so two at once cannot both slip under the limit.
            get_user_model().objects.select_for_update().filter(pk=owner.pk).first()
        problem = concurrency_problem(user, session_key, limits)
        if problem:
            raise Refused([problem])
        run = Run.objects.create(
            topology=topology,
            scenario=scenario,
            owner=owner,
            session_key="" if not anonymous else session_key,
            document=document,
            seed=seed,
            speed=speed_value,
            status=Run.QUEUED,
        )
        transaction.on_commit(lambda: start_run(run.pk))
    return run


# Handing a run to the runner ---------------------------------------------------


def start_run(run_id: int) -> None:
    """Hand a queued run to the configured backend, once the transaction that made it commits."""
    if settings.RUN_BACKEND == "celery":
        # Inside an on_commit callback (or in autocommit) this queues at once.
        transaction.on_commit(lambda: _queue(run_id))
        return
    start_sweeper()  # this process executes runs: it fails the ones that die here
    home = _home_loop()
    transaction.on_commit(lambda: _start_thread(run_id, home))


def _queue(run_id: int) -> None:
    """Send the run to its queue (playground/runs/workers.py); fail it if the broker is away."""
    owner_id, speed = Run.objects.values_list("owner_id", "speed").get(pk=run_id)
    try:
        execute_run.apply_async((run_id,), queue=queue_for(owner_id, speed))
    except BrokerError as error:
        # Celery retried the publish already; nobody would ever start this run.
        fail(
            run_id,
            f"it could not be queued: the broker is unreachable ({error}); start it again",
            status=Run.QUEUED,
        )


def _start_thread(run_id: int, home: asyncio.AbstractEventLoop | None) -> threading.Thread:
    thread = threading.Thread(
        target=execute,
        args=(run_id,),
        kwargs={"layer_loop": home},
        name=f"run-{run_id}",
        daemon=True,
    )
    thread.start()
    return thread


def _home_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop serving this web process, when we are called from inside it (ASGI views).

    The in-memory channel layer's queues belong to that loop; the runner
    thread must hand its messages to it rather than touch them from its own.
    """
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) == os.getpid():
        return getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    return None
