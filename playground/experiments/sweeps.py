"""Deadline sweeps as background jobs: asked for by a page, never computed inside a request.

A sweep runs a run's topology headless once per deadline (playground/experiments/sweep_budget.py,
about 2 s of engine time at most). Run inside the request, four visitors sweeping in a
loop held the web process's one thread for synchronous views and took other users' API
p50 from 23 to 231 ms. Now `request_sweep` stores a queued `Sweep` row and hands its id,
once committed, to the same backend as runs (playground/runs/launch.py `start_run`):

- with `RUN_BACKEND=celery`, a Celery task (`playground/experiments/tasks.py`) on a worker;
- otherwise a thread of the web process, which computes in a separate, lower-priority
  process (one for the whole web process, so sweeps queue one behind the other and the
  engine's CPU time does not hold the web process's interpreter).

The page polls `/runs/<id>/sweeps/<sweep>/` until the sweep is finished or failed.
The same sweep of the same run is answered once (the engine is deterministic from the
seed); a caller has one sweep in progress at a time, the site `SWEEP_MAX_ACTIVE`; a sweep
left queued or running longer than `SWEEP_STALE_SECONDS` (its process died) is failed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

import patterns
from patterns.sweep import check
from playground.experiments.background import ProcessPool, hand_over
from playground.experiments.sweep_budget import compute
from playground.models import Run, Sweep
from playground.refusals import Refused

log = logging.getLogger(__name__)

FIELD = "timeout_ms"


def _key(node: str, field: str, values: list[Any]) -> str:
    return hashlib.sha256(json.dumps([node, field, values]).encode()).hexdigest()


def fail_stale() -> None:
    """Fail sweeps whose process died: nothing else would end them, and they hold a slot."""
    cutoff = timezone.now() - timedelta(seconds=settings.SWEEP_STALE_SECONDS)
    Sweep.objects.filter(status__in=Sweep.ACTIVE, created__lt=cutoff).update(
        status=Sweep.FAILED,
        error="the sweep was lost before it finished (its worker stopped): try again",
        finished=timezone.now(),
    )


def request_sweep(run: Run, user: Any, session_key: str, node: Any, values: Any) -> Sweep:
    """A queued (or already answered) sweep of `run`; Refused says why not."""
    if not isinstance(node, str) or not node:
        raise Refused.one("node", "node is required: the id of the aggregator to sweep")
    if not isinstance(values, list) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in values
    ):
        raise Refused.one("values", "values is a list of numbers (deadlines in ms)")
    values = [int(v) if float(v).is_integer() else v for v in values]
    try:
        check(run.document, node, FIELD, values)
    except patterns.TopologyError as error:
        problem = error.problems[0]
        raise Refused.one(problem.path or "node", problem.message) from None
    key = _key(node, FIELD, values)
    fail_stale()
    known = (
        Sweep.objects.filter(run=run, key=key).exclude(status=Sweep.FAILED).order_by("-pk").first()
    )
    if known is not None:
        return known
    anonymous = user is None or not user.is_authenticated
    mine = Sweep.objects.filter(status__in=Sweep.ACTIVE)
    mine = (
        mine.filter(owner__isnull=True, session_key=session_key)
        if anonymous
        else mine.filter(owner=user)
    )
    if (not anonymous or session_key) and mine.exists():
        raise Refused.one(
            "sweep", "you have a sweep in progress: wait for it to finish", status=429
        )
    if Sweep.objects.filter(status__in=Sweep.ACTIVE).count() >= settings.SWEEP_MAX_ACTIVE:
        raise Refused.one(
            "sweep", "the server is busy with other sweeps: try again in a few seconds", status=429
        )
    sweep = Sweep.objects.create(
        run=run,
        owner=None if anonymous else user,
        session_key=session_key if anonymous else "",
        node=node,
        field=FIELD,
        values=values,
        key=key,
    )
    transaction.on_commit(lambda: start_sweep(sweep.pk))
    return sweep


def start_sweep(sweep_id: int) -> None:
    """Hand a committed, queued sweep to the backend runs use (see the module's docstring)."""
    # Imported when called: the task module imports this one to run the sweep.
    from playground.experiments.tasks import execute_sweep

    hand_over(lambda: execute_sweep, execute, sweep_id, f"sweep-{sweep_id}")


# The web process's one deadline-sweep process (the embedded setup).
_pool = ProcessPool()


def _compute(sweep: Sweep) -> dict[str, Any]:
    args = (sweep.run.document, sweep.node, sweep.field, sweep.values, sweep.run.seed)
    if settings.RUN_BACKEND == "celery":
        return compute(*args)  # already in a worker process
    return _pool.get().submit(compute, *args).result()


def execute(sweep_id: int) -> str:
    """Run one queued sweep and store its rows or its error. Safe to call twice: one claims it."""
    claimed = Sweep.objects.filter(pk=sweep_id, status=Sweep.QUEUED).update(
        status=Sweep.RUNNING, started=timezone.now()
    )
    if not claimed:
        return "not queued"
    sweep = Sweep.objects.select_related("run").get(pk=sweep_id)
    try:
        result = _compute(sweep)
    except patterns.TopologyError as error:
        Sweep.objects.filter(pk=sweep_id).update(
            status=Sweep.FAILED, error=str(error), finished=timezone.now()
        )
        return "failed"
    except Exception as error:  # a crash of the engine or of the process: say so, keep serving
        log.exception("sweep %s failed", sweep_id)
        Sweep.objects.filter(pk=sweep_id).update(
            status=Sweep.FAILED, error=f"the sweep failed: {error}", finished=timezone.now()
        )
        return "failed"
    Sweep.objects.filter(pk=sweep_id).update(
        status=Sweep.FINISHED, rows=result["rows"], note=result["note"], finished=timezone.now()
    )
    return "finished"


def as_json(sweep: Sweep) -> dict[str, Any]:
    return {
        "id": sweep.pk,
        "run": sweep.run_id,
        "status": sweep.status,
        "node": sweep.node,
        "field": sweep.field,
        "values": sweep.values,
        "rows": sweep.rows,
        "note": sweep.note,
        "error": sweep.error,
        "url": f"/runs/{sweep.run_id}/sweeps/{sweep.pk}/",
    }
