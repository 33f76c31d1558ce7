"""Crash safety: runs whose worker died, or whose start was lost, are failed with a reason.

A worker that dies leaves a stale heartbeat, and `reap_stale_runs` marks such runs
failed; a `Sweeper` thread calls it every few seconds in every process that executes
runs (each Celery worker; the web process with the thread backend), so a dead run is
failed whether or not anyone is watching it. docs/workers.md tells the whole lifecycle.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import QuerySet
from django.utils import timezone

from playground.models import Run
from playground.runs.broadcast import notify

log = logging.getLogger(__name__)


def heartbeat_timeout() -> float:
    """Seconds without a heartbeat after which a running run's worker is taken for dead."""
    return float(getattr(settings, "RUN_HEARTBEAT_TIMEOUT_SECONDS", 10))


def queue_timeout() -> float:
    """Seconds a run may wait queued before its start is taken for lost.

    Nothing else would ever end such a run: its Celery message was lost (a broker
    restarted without persistence) or the web process died before its thread
    started. It would stay `queued` forever and hold one of its owner's
    concurrent-run slots. A long wait behind busy workers is failed too, with a
    reason that says so; the run is deterministic, so starting it again loses nothing.
    """
    return float(getattr(settings, "RUN_QUEUE_TIMEOUT_SECONDS", 600))


def reap_stale_runs(run_id: int | None = None, among: QuerySet[Run] | None = None) -> list[int]:
    """Mark failed the running or paused runs whose worker stopped sending heartbeats,
    and the queued runs no worker picked up within `queue_timeout()`.

    Called every few seconds by the `Sweeper` of each process that executes runs,
    when a worker starts, by viewers of a run that has gone quiet (`run_id`), when
    someone starts a run (`among` their own runs) and by `manage.py reap_runs`.
    Returns the ids it failed.
    """
    runs = Run.objects.all() if among is None else among
    if run_id is not None:
        runs = runs.filter(pk=run_id)
    timeout = heartbeat_timeout()
    cutoff = timezone.now() - timedelta(seconds=timeout)
    stale = runs.filter(status__in=(Run.RUNNING, Run.PAUSED), heartbeat__lt=cutoff)
    reaped = []
    for run in stale.only("pk", "status", "heartbeat", "worker"):
        # Conditional on the heartbeat we saw: a worker that just woke up wins.
        if fail(
            run.pk, _silence_reason(run.worker, timeout), status=run.status, heartbeat=run.heartbeat
        ):
            reaped.append(run.pk)
    waited = queue_timeout()
    lost = runs.filter(status=Run.QUEUED, created__lt=timezone.now() - timedelta(seconds=waited))
    for pk in lost.values_list("pk", flat=True):
        reason = (
            f"no worker started it within {waited:g} s of queueing (its start was lost or "
            "the workers were busy); start it again"
        )
        # Conditional on QUEUED: a worker that claims it now wins, and a late claim finds nothing.
        if fail(pk, reason, status=Run.QUEUED):
            reaped.append(pk)
    return reaped


def fail(run_id: int, reason: str, **still: Any) -> bool:
    """Fail the run if it still matches `still` (conditions on its row); tell its viewers.

    False when it no longer matched: someone else ended or claimed it first."""
    if not Run.fail_if(run_id, reason, **still):
        return False
    log.warning("run %s: %s", run_id, reason)
    run = Run.objects.only("pk", "status", "reason", "event_count", "sim_time_ms", "speed").get(
        pk=run_id
    )
    notify(run_id, run.status_message())
    return True


def this_process() -> str:
    """The process that drives a run, as its `worker` names it: "host:pid"."""
    return f"{socket.gethostname()}:{os.getpid()}"


def fail_runs_of_this_process(reason: str) -> list[int]:
    """Fail the runs this process still drives: it is exiting (a worker's cold shutdown)."""
    mine = {"status__in": (Run.RUNNING, Run.PAUSED), "worker__startswith": f"{this_process()}:"}
    ids = Run.objects.filter(**mine).values_list("pk", flat=True)
    return [pk for pk in list(ids) if fail(pk, reason, **mine)]


def _silence_reason(worker: str, timeout: float) -> str:
    """Why a run's heartbeat stopped, as far as this process can tell.

    `worker` is "host:pid:thread" (see `execute`). On the same host we can see
    whether that process still exists: a dead one was killed or crashed; a live
    one is hung (or its pid was reused: then we say no more than we know).
    """
    host, _, rest = worker.partition(":")
    pid = rest.partition(":")[0]
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return (
                f"the worker process running it ({worker}) died: killed or crashed "
                f"(no heartbeat for {timeout:g} s)"
            )
        except PermissionError:
            pass
    return f"the worker running it ({worker}) stopped responding (no heartbeat for {timeout:g} s)"


class Sweeper(threading.Thread):
    """Every `period` seconds, fail the runs whose worker died (`reap_stale_runs`).

    It needs only the database, so it goes on through a broker outage, and a busy
    pool cannot delay it (a periodic Celery task would wait for a free slot).
    Several sweepers (one per worker process) are harmless: each failure is a
    conditional update that only one of them wins.
    """

    def __init__(self, period: float) -> None:
        super().__init__(name="run-sweeper", daemon=True)
        self.period = period
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            try:
                reap_stale_runs()
            except DatabaseError as error:
                log.warning("run sweep skipped, the database is unavailable: %s", error)
            finally:
                connection.close()
            self.halt.wait(self.period)

    def stop(self) -> None:
        self.halt.set()
        self.join(10)


_sweeper: Sweeper | None = None
_sweeper_lock = threading.Lock()


def start_sweeper() -> Sweeper | None:
    """This process's sweeper, started if it is not running; None when RUN_SWEEP_SECONDS is 0."""
    global _sweeper
    period = float(getattr(settings, "RUN_SWEEP_SECONDS", 5))
    if period <= 0:
        return None
    with _sweeper_lock:
        if _sweeper is None or not _sweeper.is_alive():
            _sweeper = Sweeper(period)
            _sweeper.start()
        return _sweeper


def reap_if_stale(run: Run) -> Run:
    """The run as it stands, after failing it if it is stuck (what a reader should be told)."""
    if run.is_active and reap_stale_runs(run.pk):
        run.refresh_from_db()
    return run
