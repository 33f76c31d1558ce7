"""Parameter sweeps on workers: any numeric field of any node over values, K seeds each.

`create` checks the question (the field exists and is a number, every value gives a valid
document within the site's `Limits`, values × seeds within `Limits.max_sweep_runs`, at most
`Limits.max_concurrent_sweeps` of the caller's sweeps going), stores a `ParamSweep` and one
`SweepPoint` per (value, seed) with the theory's prediction per value (milliseconds of
queueing formulas, patterns/parameter_sweep.py `predict`), and once committed hands the
points to a backend; nothing is simulated in the request:

- with `RUN_BACKEND=celery`, one task per point (`run_sweep_point`, experiments/sweep_tasks.py)
  on the `runs` queue, so every worker process of every machine serving that queue takes
  points as it frees up (the workers prefetch nothing: settings.py, "Workers"). One task per
  point, not a chord: the site has no result backend, and each point stores its own result,
  so progress is a count of stored points and a lost worker loses only its own point;
- otherwise (the embedded default, no Redis) a thread of the web process feeds a local
  pool of `SWEEP_PROCESSES` spawned processes (default: one per core) at lower priority.

`cancel` marks the sweep cancelled, marks its queued points skipped and revokes their tasks;
a point already running finishes and is kept (a task that is delivered anyway sees the
sweep is cancelled and skips itself). The last point to end marks the sweep finished.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, wait
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from patterns import Problem, TopologyError, capacity, load
from patterns import parameter_sweep as ps
from playground.experiments import engine_text
from playground.experiments.background import ProcessPool
from playground.experiments.sweep_models import ParamSweep, SweepPoint
from playground.models import Limits, Topology
from playground.topologies.limits import document_problems

log = logging.getLogger(__name__)

MAX_VALUES = 50
MAX_SEEDS = 30
MAX_RANGE_STEPS = MAX_VALUES
DEFAULT_REQUESTS = 5000


class SweepRefused(Exception):
    """A sweep that cannot start: `status` (400 or 429) and its problems."""

    def __init__(self, status: int, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems))
        self.status = status
        self.problems = problems


def expand(values: list[float] | None, start: float | None, stop: float | None,
           step: float | None, count: int | None) -> list[float]:  # fmt: skip
    """The values of a sweep: a list as given, or a range from `start` to `stop` (inclusive)
    by `step` or in `count` evenly spaced values."""
    if values is not None:
        if start is not None or stop is not None:
            raise SweepRefused(400, [Problem("values", "give values or a range, not both")])
        out = [float(v) for v in values]
    else:
        if start is None or stop is None or (step is None) == (count is None):
            raise SweepRefused(
                400,
                [Problem("values", "give values, or start and stop with a step or a count")],
            )
        if count is not None:
            if not 1 <= count <= MAX_VALUES:
                raise SweepRefused(400, [Problem("count", f"1 to {MAX_VALUES} values")])
            out = [start + (stop - start) * i / max(1, count - 1) for i in range(count)]
        else:
            assert step is not None
            if step <= 0 or (stop - start) / step + 1 > MAX_VALUES + 1e-9:
                raise SweepRefused(
                    400,
                    [Problem("step", f"a positive step giving at most {MAX_VALUES} values")],
                )
            n = int((stop - start) / step + 1e-9) + 1 if stop >= start else 0
            out = [start + step * i for i in range(n)]
        out = [round(v, 9) for v in out]
    if not 1 <= len(out) <= MAX_VALUES:
        raise SweepRefused(400, [Problem("values", f"give 1 to {MAX_VALUES} values")])
    return [int(v) if float(v).is_integer() else v for v in out]


def fail_stale() -> None:
    """Fail sweeps that have not stored a point for `SWEEP_POINT_STALE_SECONDS`: their worker
    or web process died (a point is seconds of engine time), and they hold a caller's slot."""
    cutoff = timezone.now() - timedelta(seconds=settings.SWEEP_POINT_STALE_SECONDS)
    for sweep in ParamSweep.objects.filter(status__in=ParamSweep.ACTIVE, created__lt=cutoff):
        last = sweep.points.aggregate(last=Max("finished"))["last"]
        if last is None or last < cutoff:
            ParamSweep.objects.filter(pk=sweep.pk, status__in=ParamSweep.ACTIVE).update(
                status=ParamSweep.FAILED,
                error="no point ended for a long time (its worker stopped): the points done "
                "are kept; start the sweep again for the rest",
                finished=timezone.now(),
            )
            sweep.points.filter(status=SweepPoint.QUEUED).update(status=SweepPoint.SKIPPED)


def active_sweeps(user: Any) -> int:
    fail_stale()
    return ParamSweep.objects.filter(owner=user, status__in=ParamSweep.ACTIVE).count()


def create(
    user: Any,
    doc: Any,
    node: str,
    field: str,
    values: list[float],
    seeds: int = 3,
    seed: int = 1,
    requests: int = DEFAULT_REQUESTS,
    topology: Topology | None = None,
    start: bool = True,
) -> ParamSweep:
    """A queued sweep (see the module docstring); SweepRefused says why not. With `start`
    False its points wait for a `dispatch` (a test or a benchmark picks the broker)."""
    limits = Limits.current()
    if not 1 <= seeds <= MAX_SEEDS:
        raise SweepRefused(400, [Problem("seeds", f"1 to {MAX_SEEDS} seeds per value")])
    runs = len(values) * seeds
    if runs > limits.max_sweep_runs:
        raise SweepRefused(
            400,
            [
                Problem(
                    "seeds",
                    f"{len(values)} values × {seeds} seeds is {runs} runs, over the limit "
                    f"of {limits.max_sweep_runs}",
                )
            ],
        )
    try:
        variants = [ps.variant(doc, node, field, v) for v in values]
    except TopologyError as error:
        raise SweepRefused(400, error.problems) from None
    problems = []
    for value, variant in zip(values, variants, strict=True):
        problems += [
            Problem("values", f"{field} = {value}: {p.path}: {p.message}")
            for p in document_problems(variant, limits)
        ]
    if problems:
        raise SweepRefused(400, problems)
    if active_sweeps(user) >= limits.max_concurrent_sweeps:
        raise SweepRefused(
            429,
            [
                Problem(
                    "sweep",
                    f"you have {limits.max_concurrent_sweeps} sweeps queued or running, the "
                    "limit: wait for one to end or cancel it",
                )
            ],
        )
    theory = [ps.predict(doc, node, field, v) for v in values]
    sweep = ParamSweep.objects.create(
        owner=user,
        topology=topology,
        name=str(variants[0].get("name") or "")[:200],
        document=load(doc),
        node=node,
        field=field,
        values=values,
        seeds=seeds,
        seed=seed,
        requests=requests,
        theory=theory,
        backend="celery" if settings.RUN_BACKEND == "celery" else "local",
    )
    SweepPoint.objects.bulk_create(
        SweepPoint(sweep=sweep, index=i, value=float(v), seed=seed + k)
        for i, v in enumerate(values)
        for k in range(seeds)
    )
    if start:
        transaction.on_commit(lambda: dispatch(sweep.pk))
    return sweep


def dispatch(sweep_id: int, broker: str | None = None) -> None:
    """Hand a committed sweep's queued points to the backend (`broker`: a broker URL, for
    callers that are not configured with one, such as tests)."""
    sweep = ParamSweep.objects.get(pk=sweep_id)
    if sweep.backend != "celery":
        threading.Thread(
            target=_run_locally_in_thread, args=(sweep_id,), name=f"param-sweep-{sweep_id}",
            daemon=True,
        ).start()  # fmt: skip
        return
    from playground.celery import app
    from playground.experiments.sweep_tasks import run_sweep_point
    from playground.runs.workers import RUNS

    points = list(SweepPoint.objects.filter(sweep_id=sweep_id, status=SweepPoint.QUEUED))
    for point in points:
        point.task_id = str(uuid.uuid4())
    # The ids first: a cancel that comes while they are being sent can revoke them all.
    SweepPoint.objects.bulk_update(points, ["task_id"])
    with app.connection_for_write(broker) as conn:
        for point in points:
            run_sweep_point.apply_async(
                (point.pk,), task_id=point.task_id, queue=RUNS, connection=conn
            )


def _claim(point_id: int) -> SweepPoint | None:
    """The point, now running, or None when it was taken, or skipped as its sweep is over."""
    point = SweepPoint.objects.select_related("sweep").filter(pk=point_id).first()
    if point is None:
        return None
    if point.sweep.status not in ParamSweep.ACTIVE:
        SweepPoint.objects.filter(pk=point_id, status=SweepPoint.QUEUED).update(
            status=SweepPoint.SKIPPED, finished=timezone.now()
        )
        return None
    if not SweepPoint.objects.filter(pk=point_id, status=SweepPoint.QUEUED).update(
        status=SweepPoint.RUNNING, worker=_worker_name()
    ):
        return None
    ParamSweep.objects.filter(pk=point.sweep_id, status=ParamSweep.QUEUED).update(
        status=ParamSweep.RUNNING, started=timezone.now()
    )
    return point


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _args(point: SweepPoint) -> tuple[Any, ...]:
    s = point.sweep
    value = int(point.value) if point.value.is_integer() else point.value
    return (s.document, s.node, s.field, value, point.seed, s.requests)


def _store(point_id: int, sweep_id: int, figures: dict[str, Any] | None, error: str,
           seconds: float) -> None:  # fmt: skip
    SweepPoint.objects.filter(pk=point_id).update(
        status=SweepPoint.FAILED if error else SweepPoint.DONE,
        figures=figures,
        error=error,
        seconds=round(seconds, 4),
        finished=timezone.now(),
    )
    _finish_if_done(sweep_id)


def _finish_if_done(sweep_id: int) -> None:
    """The last point to end finishes its sweep (each point's update is committed first, so
    of two points ending together at least the later one sees both ended)."""
    left = SweepPoint.objects.filter(
        sweep_id=sweep_id, status__in=(SweepPoint.QUEUED, SweepPoint.RUNNING)
    )
    if not left.exists():
        ParamSweep.objects.filter(pk=sweep_id, status__in=ParamSweep.ACTIVE).update(
            status=ParamSweep.FINISHED, finished=timezone.now()
        )


def execute_point(point_id: int) -> str:
    """Run one point where this is called (a Celery worker process) and store it."""
    point = _claim(point_id)
    if point is None:
        return "skipped"
    began = time.monotonic()
    try:
        figures, error = ps.run_point(*_args(point)), ""
    except TopologyError as exc:
        figures, error = None, str(exc)
    except Exception as exc:  # the engine crashed on this point: say so, keep the others
        log.exception("sweep point %s failed", point_id)
        figures, error = None, f"the run failed: {exc}"
    _store(point_id, point.sweep_id, figures, error, time.monotonic() - began)
    return "failed" if error else "done"


def processes() -> int:
    return settings.SWEEP_PROCESSES or os.cpu_count() or 1


# The web process's pool for parameter sweeps without Redis: one process a core.
_pool = ProcessPool(processes)


def _run_locally_in_thread(sweep_id: int) -> None:
    try:
        run_locally(sweep_id)
    except Exception:
        log.exception("sweep %s failed", sweep_id)
        ParamSweep.objects.filter(pk=sweep_id, status__in=ParamSweep.ACTIVE).update(
            status=ParamSweep.FAILED, error="the sweep's local pool failed", finished=timezone.now()
        )
    finally:
        connection.close()  # this thread's own connection: nobody else would close it


def run_locally(sweep_id: int) -> None:
    """Feed the sweep's points to the local pool, no more than it has processes at a time, so
    a cancel leaves the rest unstarted."""
    pool = _pool.get()
    waiting = list(
        SweepPoint.objects.filter(sweep_id=sweep_id, status=SweepPoint.QUEUED).values_list(
            "pk", flat=True
        )
    )
    going: dict[Future[Any], int] = {}
    while waiting or going:
        while waiting and len(going) < processes():
            point = _claim(waiting.pop(0))
            if point is not None:
                going[pool.submit(ps.timed_point, *_args(point))] = point.pk
        if not going:
            continue
        done, _ = wait(going, timeout=1.0, return_when=FIRST_COMPLETED)
        for future in done:
            point_id = going.pop(future)
            try:
                figures, seconds = future.result()
                _store(point_id, sweep_id, figures, "", seconds)
            except TopologyError as exc:
                _store(point_id, sweep_id, None, str(exc), 0.0)
            except Exception as exc:
                log.exception("sweep point %s failed", point_id)
                _store(point_id, sweep_id, None, f"the run failed: {exc}", 0.0)
    _finish_if_done(sweep_id)


def cancel(sweep: ParamSweep, broker: str | None = None) -> bool:
    """Stop the sweep: its queued points are skipped (and their tasks revoked, through
    `broker` when given, as `dispatch`); False when it had already ended."""
    if not ParamSweep.objects.filter(pk=sweep.pk, status__in=ParamSweep.ACTIVE).update(
        status=ParamSweep.CANCELLED, finished=timezone.now()
    ):
        return False
    queued = SweepPoint.objects.filter(sweep=sweep, status=SweepPoint.QUEUED)
    ids = [t for t in queued.values_list("task_id", flat=True) if t]
    queued.update(status=SweepPoint.SKIPPED, finished=timezone.now())
    if ids and sweep.backend == "celery":
        from playground.celery import app

        try:
            with app.connection_for_write(broker) as conn:
                app.control.revoke(ids, connection=conn)
        except Exception:  # the broker is away: the tasks skip themselves when delivered
            log.warning("could not revoke the tasks of sweep %s", sweep.pk, exc_info=True)
    return True


# Reading a sweep ------------------------------------------------------------------------


def progress(sweep: ParamSweep) -> dict[str, int]:
    counts = {s: 0 for s, _ in SweepPoint.STATUS}
    for status in sweep.points.values_list("status", flat=True):
        counts[status] += 1
    return {"total": sum(counts.values()), **counts}


def _worst(fits: list[str]) -> str:
    order = [capacity.EXACT, capacity.BOUND, capacity.APPROXIMATE, capacity.NONE]
    return max(fits, key=order.index, default=capacity.NONE)


def result(sweep: ParamSweep) -> dict[str, Any]:
    """The sweep as the API and the page read it: per value, each figure's mean and 95%
    interval over its seeds beside the theory's prediction; the theory's fit and reasons."""
    if sweep.status in ParamSweep.ACTIVE:
        fail_stale()
        sweep.refresh_from_db()
    points = list(sweep.points.all())
    rows = []
    for i, value in enumerate(sweep.values):
        mine = [p for p in points if p.index == i and p.status == SweepPoint.DONE and p.figures]
        stats = {
            name: ps.interval(
                [p.figures[name] for p in mine if p.figures and p.figures.get(name) is not None]
            )
            for name in ps.FIGURES
        }
        theory = sweep.theory[i] if i < len(sweep.theory) else {}
        rows.append(
            {
                "value": value,
                "runs": len(mine),
                "figures": stats,
                "theory": {k: theory.get(k) for k in ps.PREDICTED},
                "fit": theory.get("fit", capacity.NONE),
            }
        )
    # In the active language (the request's), from each reason's key
    # (playground/experiments/engine_text.py).
    reasons = engine_text.sweep_reasons(sweep.theory)
    return {
        "id": sweep.pk,
        "status": sweep.status,
        "name": sweep.name,
        "topology": sweep.topology_id,
        "node": sweep.node,
        "field": sweep.field,
        "values": sweep.values,
        "seeds": sweep.seeds,
        "seed": sweep.seed,
        "requests": sweep.requests,
        "backend": sweep.backend,
        "progress": progress(sweep),
        "figures": list(ps.FIGURES),
        "predicted": list(ps.PREDICTED),
        "fit": _worst([t.get("fit", capacity.NONE) for t in sweep.theory]),
        "reasons": reasons,
        "rows": rows,
        "error": sweep.error,
        "created": sweep.created.isoformat(),
        "finished": sweep.finished.isoformat() if sweep.finished else None,
        "url": f"/sweeps/{sweep.pk}/",
    }


def point_rows(sweep: ParamSweep) -> list[dict[str, Any]]:
    """Every point, as the exports write them: one row per (value, seed)."""
    rows = []
    for p in sweep.points.all():
        theory = sweep.theory[p.index] if p.index < len(sweep.theory) else {}
        row: dict[str, Any] = {
            "value": sweep.values[p.index],
            "seed": p.seed,
            "status": p.status,
            "seconds": p.seconds,
        }
        row.update({name: (p.figures or {}).get(name) for name in ps.FIGURES})
        row.update({f"theory_{k}": theory.get(k) for k in ps.PREDICTED})
        row["theory_fit"] = theory.get("fit")
        rows.append(row)
    return rows
