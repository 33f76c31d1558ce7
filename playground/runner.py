"""Runs a simulation and streams it: one code path (`execute`), two ways to start it (`start_run`).

The runner claims a queued run with a conditional update, builds the engine,
and advances simulated time in wall-clock ticks at the run's speed. Each
tick's events are stored (the database is the truth) and then sent as one
batch to the channel-layer group `run-<id>` (best effort: a viewer that
misses a batch gets it back from the database). Controls from the owner are
`RunControl` rows, read every tick. A worker that dies leaves a stale
heartbeat, and `reap_stale_runs` marks such runs failed.

A killed run is not re-run: its Celery message is acked late, but the claim
only takes QUEUED runs, so a redelivered message is a no-op and the run stays
`failed` with its reason; the events stored until then are still served.
The simulation is deterministic from its seed, so a user can start it again.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from playground.models import EventBatch, Limits, Run, RunControl

log = logging.getLogger(__name__)

TICK_SECONDS = 0.1
# Stored rows and channel messages stay a reasonable size even at full speed.
MAX_BATCH_EVENTS = 2000
MIN_SPEED, MAX_SPEED = 0.1, 100.0
ACTIONS = ("pause", "resume", "speed", "step", "fault", "cancel", "scale")
TERMINAL = (Run.FINISHED, Run.FAILED, Run.CANCELLED)
# The channel layer is best effort: these mean "Redis is away", never a bug of ours.
LAYER_ERRORS = (RedisError, OSError, asyncio.TimeoutError)


def group_name(run_id: int) -> str:
    return f"run-{run_id}"


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


class ControlError(ValueError):
    """A control was refused; `problems` is a list of {"path", "message"} like the API's errors."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{p['path']}: {p['message']}" for p in problems))
        self.problems = problems


# Starting ------------------------------------------------------------------


def start_run(run_id: int) -> None:
    """Hand a queued run to the configured backend, once the transaction that made it commits."""
    if settings.RUN_BACKEND == "celery":
        from playground.tasks import execute_run

        # Inside an on_commit callback (or in autocommit) this queues at once.
        execute_run.delay_on_commit(run_id)
        return
    home = _home_loop()
    transaction.on_commit(lambda: _start_thread(run_id, home))


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


# Controls ------------------------------------------------------------------


def validate_speed(value: Any) -> float | None:
    """A speed from a user: a number from 0.1 to 100, or "max"/None for as fast as possible."""
    if value is None or value == "max":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ControlError(
            [{"path": "speed", "message": 'expected a number from 0.1 to 100 or "max"'}]
        )
    try:
        speed = float(value)
    except ValueError:
        raise ControlError(
            [{"path": "speed", "message": 'expected a number from 0.1 to 100 or "max"'}]
        ) from None
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise ControlError([{"path": "speed", "message": f"{speed:g} is outside 0.1 to 100"}])
    return speed


def validate_fault(document: dict[str, Any], fault: Any) -> dict[str, Any]:
    """Check a live fault with the engine's own validator; problems are named `fault.<field>`."""
    from patterns import TopologyError, load
    from patterns.topology import check_fault

    if not isinstance(fault, dict):
        raise ControlError([{"path": "fault", "message": "expected a fault object"}])
    try:
        problems = check_fault(load(document), fault)
    except TopologyError as error:
        raise ControlError([{"path": "document", "message": str(error)}]) from None
    if problems:
        raise ControlError([{"path": p.path, "message": p.message} for p in problems])
    return fault


def validate_scale(document: dict[str, Any], node: Any, instances: Any) -> tuple[str, int]:
    """Check a live resize against the run's document and the site's instance limit.

    Problems are named `node` and `instances` (the control's own fields); the
    engine checks the request again against the live simulation when it applies it.
    """
    from patterns.scaling import SCALABLE

    problems = []
    kinds = {n.get("id"): n.get("kind") for n in document.get("nodes") or [] if isinstance(n, dict)}
    if not isinstance(node, str) or not node:
        problems.append({"path": "node", "message": "node is required: the id of a stage to scale"})
    elif node not in kinds:
        problems.append({"path": "node", "message": f"the run has no node {node!r}"})
    elif kinds[node] not in SCALABLE:
        problems.append(
            {
                "path": "node",
                "message": f"{node!r} is a {kinds[node]}: only a "
                f"{' or '.join(SCALABLE)} can be scaled",
            }
        )
    limit = Limits.current().max_instances
    if isinstance(instances, bool) or not isinstance(instances, int):
        problems.append({"path": "instances", "message": "instances is required: a whole number"})
    elif not 1 <= instances <= limit:
        problems.append(
            {"path": "instances", "message": f"instances {instances} is outside 1 to {limit}"}
        )
    if problems:
        raise ControlError(problems)
    return node, instances


def control(run: Run, action: str, **params: Any) -> None:
    """Record a control from the run's owner; the runner applies it within a tick.

    Raises ControlError naming the field when the control is refused. Who may
    control is the caller's business (the consumer and the HTTP endpoint check
    ownership).
    """
    if action not in ACTIONS:
        raise ControlError([{"path": "action", "message": f"expected one of {', '.join(ACTIONS)}"}])
    if run.status in TERMINAL:
        raise ControlError([{"path": "action", "message": f"the run is {run.status}"}])
    stored: dict[str, Any] = {}
    if action == "speed":
        stored["speed"] = validate_speed(params.get("speed"))
    elif action == "fault":
        stored["fault"] = validate_fault(run.document, params.get("fault"))
    elif action == "scale":
        # Checked here against the document, and again against the live simulation when applied.
        stored["node"], stored["instances"] = validate_scale(
            run.document, params.get("node"), params.get("instances")
        )
    if action == "cancel":
        # Nobody has claimed it yet: cancel it here, and the claim will find nothing.
        now = timezone.now()
        reason = "cancelled by its owner before it started"
        if Run.objects.filter(pk=run.pk, status=Run.QUEUED).update(
            status=Run.CANCELLED, reason=reason, finished=now
        ):
            run.status, run.reason = Run.CANCELLED, reason
            notify(run.pk, status_message(run))
            return
    RunControl.objects.create(run=run, action=action, params=stored)


# Crash safety ----------------------------------------------------------------


def reap_stale_runs(run_id: int | None = None) -> list[int]:
    """Mark failed the running or paused runs whose worker stopped sending heartbeats,
    and the queued runs no worker picked up within `queue_timeout()`.

    Called when a worker starts, by viewers of a run that has gone quiet, and
    by `manage.py reap_runs`. Returns the ids it failed.
    """
    timeout = heartbeat_timeout()
    cutoff = timezone.now() - timedelta(seconds=timeout)
    stale = Run.objects.filter(status__in=(Run.RUNNING, Run.PAUSED), heartbeat__lt=cutoff)
    if run_id is not None:
        stale = stale.filter(pk=run_id)
    reaped = []
    for run in stale.only("pk", "status", "heartbeat", "event_count", "sim_time_ms", "speed"):
        reason = f"the worker running it stopped responding (no heartbeat for {timeout:g} s)"
        # Conditional on the heartbeat we saw: a worker that just woke up wins.
        if Run.objects.filter(pk=run.pk, status=run.status, heartbeat=run.heartbeat).update(
            status=Run.FAILED, reason=reason, finished=timezone.now()
        ):
            run.status, run.reason = Run.FAILED, reason
            log.warning("run %s: %s", run.pk, reason)
            notify(run.pk, status_message(run))
            reaped.append(run.pk)
    waited = queue_timeout()
    lost = Run.objects.filter(
        status=Run.QUEUED, created__lt=timezone.now() - timedelta(seconds=waited)
    )
    if run_id is not None:
        lost = lost.filter(pk=run_id)
    for run in lost.only("pk", "status", "event_count", "sim_time_ms", "speed"):
        reason = (
            f"no worker started it within {waited:g} s of queueing (its start was lost or "
            "the workers were busy); start it again"
        )
        # Conditional on QUEUED: a worker that claims it now wins, and a late claim finds nothing.
        if Run.objects.filter(pk=run.pk, status=Run.QUEUED).update(
            status=Run.FAILED, reason=reason, finished=timezone.now()
        ):
            run.status, run.reason = Run.FAILED, reason
            log.warning("run %s: %s", run.pk, reason)
            notify(run.pk, status_message(run))
            reaped.append(run.pk)
    return reaped


def reap_if_stale(run: Run) -> Run:
    """The run as it stands, after failing it if it is stuck (what a reader should be told)."""
    if run.is_active and reap_stale_runs(run.pk):
        run.refresh_from_db()
    return run


def status_message(run: Run) -> dict[str, Any]:
    return {
        "type": "status",
        "status": run.status,
        "reason": run.reason,
        "last_seq": run.event_count - 1,
        "sim_time_ms": run.sim_time_ms,
        "speed": run.speed,
    }


def notify(run_id: int, message: dict[str, Any]) -> None:
    """Send to a run's viewers from synchronous code; best effort, the database has the truth."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group_name(run_id), message)
    except LAYER_ERRORS as error:
        log.warning("run %s: could not notify viewers: %s", run_id, error)


# Executing -------------------------------------------------------------------


def execute(run_id: int, *, layer_loop: asyncio.AbstractEventLoop | None = None) -> str:
    """Claim the run and drive it to its end. Returns the final status, or "skipped".

    The one code path for both backends; the Celery task and the thread call it.
    """
    worker = f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"
    now = timezone.now()
    claimed = Run.objects.filter(pk=run_id, status=Run.QUEUED).update(
        status=Run.RUNNING, worker=worker, started=now, heartbeat=now
    )
    if not claimed:
        log.info(
            "run %s: not queued any more (another worker got there first, or it was cancelled)",
            run_id,
        )
        return "skipped"
    try:
        return asyncio.run(_Driver(run_id, worker, layer_loop).drive())
    finally:
        connection.close()


class _Driver:
    """The state of one run while it executes: the engine, the pace, the controls seen."""

    def __init__(
        self, run_id: int, worker: str, layer_loop: asyncio.AbstractEventLoop | None
    ) -> None:
        self.run_id = run_id
        self.worker = worker
        self.group = group_name(run_id)
        self.layer = get_channel_layer()
        # The in-memory layer lives on the web process's loop; Redis works from any loop.
        self.layer_loop = layer_loop if isinstance(self.layer, InMemoryChannelLayer) else None
        # One thread for the ORM: Django refuses it on a thread running an event loop.
        self.db = ThreadPoolExecutor(1, thread_name_prefix=f"run-{run_id}-db")
        self.paused = False
        self.cancelled = False
        self.speed: float | None = None
        self.last_control = 0
        self.event_count = 0
        self.last_store = 0.0
        self.chunk_ms = 100.0
        self.anchor_wall = 0.0
        self.anchor_sim = 0.0

    async def orm(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(
            self.db, functools.partial(fn, *args, **kwargs)
        )

    async def send(self, message: dict[str, Any]) -> None:
        if self.layer is None:
            return
        try:
            if self.layer_loop is not None and self.layer_loop.is_running():
                future = asyncio.run_coroutine_threadsafe(
                    self.layer.group_send(self.group, message), self.layer_loop
                )
                await asyncio.wrap_future(future)
            else:
                await self.layer.group_send(self.group, message)
        except LAYER_ERRORS as error:
            # Stored already; viewers catch up from the database.
            log.warning(
                "run %s: channel layer unavailable, batch not broadcast: %s", self.run_id, error
            )

    async def drive(self) -> str:
        try:
            return await self._drive()
        except Exception as error:
            log.exception("run %s failed", self.run_id)
            await self.finish(Run.FAILED, f"internal error: {type(error).__name__}: {error}", None)
            return Run.FAILED
        finally:
            await self.orm(lambda: connection.close())  # the db thread's own connection
            self.db.shutdown(wait=False)

    async def _drive(self) -> str:
        from patterns import Simulation, TopologyError

        run = await self.orm(Run.objects.get, pk=self.run_id)
        limit = await self.orm(lambda: Limits.current().max_run_wall_seconds)
        self.speed = run.speed
        try:
            sim = Simulation(run.document, seed=run.seed)
        except TopologyError as error:
            await self.finish(Run.FAILED, f"the document was refused: {error}", None)
            return Run.FAILED
        self.sim = sim
        started = time.monotonic()
        await self.send_status(Run.RUNNING, "")
        self.reanchor()
        while True:
            tick_start = time.monotonic()
            pending = await self.apply_controls()
            if self.cancelled:
                await self.emit(pending)
                await self.finish(Run.CANCELLED, "cancelled by its owner", sim.summary())
                return Run.CANCELLED
            if tick_start - started > limit:
                await self.emit(pending)
                await self.finish(
                    Run.CANCELLED,
                    f"stopped: it ran longer than the wall-clock limit of {limit} s",
                    sim.summary(),
                )
                return Run.CANCELLED
            if not self.paused and not sim.done:
                pending.extend(self.advance())
            if not await self.emit(pending):
                return Run.FAILED  # someone else ended it (a reaper, while we were stalled)
            if sim.done:
                await self.finish(Run.FINISHED, "", sim.summary())
                return Run.FINISHED
            if self.speed is not None or self.paused:
                await asyncio.sleep(max(0.0, tick_start + TICK_SECONDS - time.monotonic()))

    def reanchor(self) -> None:
        self.anchor_wall = time.monotonic()
        self.anchor_sim = self.sim.now

    def advance(self) -> list[dict[str, Any]]:
        sim = self.sim
        if self.speed is not None:
            target = self.anchor_sim + (time.monotonic() - self.anchor_wall) * self.speed * 1000
            # Behind by more than a second of wall time: slip rather than rush to catch up.
            ceiling = sim.now + self.speed * 1000
            if target > ceiling:
                target = ceiling
                self.anchor_wall, self.anchor_sim = time.monotonic(), ceiling
            return list(sim.advance(target))
        # As fast as possible: grow or shrink the step so each call takes a few ms.
        deadline = time.monotonic() + TICK_SECONDS
        events: list[dict[str, Any]] = []
        while not sim.done and time.monotonic() < deadline and len(events) < 10 * MAX_BATCH_EVENTS:
            t0 = time.monotonic()
            events.extend(sim.advance(sim.now + self.chunk_ms))
            took = time.monotonic() - t0
            if took < 0.005:
                self.chunk_ms = min(self.chunk_ms * 2, 3_600_000)
            elif took > 0.03:
                self.chunk_ms = max(self.chunk_ms / 2, 1.0)
        return events

    async def apply_controls(self) -> list[dict[str, Any]]:
        """Apply the owner's new controls in order; returns events they produced (step, fault)."""
        from patterns import TopologyError

        rows = await self.orm(
            lambda: list(
                RunControl.objects.filter(run_id=self.run_id, pk__gt=self.last_control)
                .order_by("pk")
                .values("pk", "action", "params")
            )
        )
        events: list[dict[str, Any]] = []
        for row in rows:
            self.last_control = row["pk"]
            action, params = row["action"], row["params"]
            if action == "cancel":
                self.cancelled = True
            elif action == "pause" and not self.paused:
                self.paused = True
                await self.send_status(Run.PAUSED, "paused by its owner")
            elif action == "resume" and self.paused:
                self.paused = False
                self.reanchor()
                await self.send_status(Run.RUNNING, "")
            elif action == "speed":
                self.speed = params.get("speed")
                self.reanchor()
                await self.orm(Run.objects.filter(pk=self.run_id).update, speed=self.speed)
                await self.send_status(
                    Run.PAUSED if self.paused else Run.RUNNING,
                    "paused by its owner" if self.paused else "",
                )
            elif action == "step":
                if not self.paused:
                    self.paused = True
                    await self.send_status(Run.PAUSED, "paused by its owner")
                if not self.sim.done:
                    events.extend(self.sim.step())
                self.reanchor()
            elif action == "fault":
                try:
                    produced = self.sim.inject(params["fault"])
                except TopologyError as error:
                    await self.send({"type": "error", "message": f"fault refused: {error}"})
                else:
                    if isinstance(produced, list):
                        events.extend(produced)
            elif action == "scale":
                try:
                    self.sim.scale(params["node"], params["instances"])
                except TopologyError as error:
                    await self.send({"type": "error", "message": f"scale refused: {error}"})
        return events

    async def emit(self, events: list[dict[str, Any]]) -> bool:
        """Store this tick's events and heartbeat, then broadcast them.

        False if the run is no longer ours (reaped while this worker stalled)."""
        now = time.monotonic()
        if not events and now - self.last_store < 1.0:
            return True
        self.last_store = now
        chunks = [events[i : i + MAX_BATCH_EVENTS] for i in range(0, len(events), MAX_BATCH_EVENTS)]
        if chunks:
            self.event_count = chunks[-1][-1]["seq"] + 1
        ours = await self.orm(self._store, chunks, self.event_count, self.sim.now)
        if not ours:
            log.warning("run %s: ended elsewhere while it ran here; stopping", self.run_id)
            return False
        for chunk in chunks:
            # Serialised once here, forwarded verbatim by every viewer's consumer.
            frame = json.dumps(
                {"type": "events", "events": chunk, "sent_at": time.time()}, separators=(",", ":")
            )
            await self.send(
                {
                    "type": "events",
                    "first_seq": chunk[0]["seq"],
                    "last_seq": chunk[-1]["seq"],
                    "frame": frame,
                }
            )
        return True

    def _store(
        self, chunks: list[list[dict[str, Any]]], event_count: int, sim_time_ms: float
    ) -> bool:
        with transaction.atomic():
            ours = Run.objects.filter(
                pk=self.run_id, worker=self.worker, status__in=(Run.RUNNING, Run.PAUSED)
            ).update(event_count=event_count, sim_time_ms=sim_time_ms, heartbeat=timezone.now())
            if not ours:
                return False
            EventBatch.objects.bulk_create(
                EventBatch(
                    run_id=self.run_id, first_seq=c[0]["seq"], last_seq=c[-1]["seq"], events=c
                )
                for c in chunks
            )
        return True

    async def send_status(self, status: str, reason: str) -> None:
        await self.orm(
            Run.objects.filter(
                pk=self.run_id, worker=self.worker, status__in=(Run.RUNNING, Run.PAUSED)
            ).update,
            status=status,
            reason=reason,
            heartbeat=timezone.now(),
        )
        await self.send(
            {
                "type": "status",
                "status": status,
                "reason": reason,
                "last_seq": self.event_count - 1,
                "sim_time_ms": self.sim.now if hasattr(self, "sim") else 0.0,
                "speed": self.speed,
            }
        )

    async def finish(self, status: str, reason: str, summary: dict[str, Any] | None) -> None:
        sim_now = self.sim.now if hasattr(self, "sim") else 0.0
        ours = await self.orm(
            Run.objects.filter(
                pk=self.run_id, worker=self.worker, status__in=(Run.RUNNING, Run.PAUSED)
            ).update,
            status=status,
            reason=reason,
            summary=summary,
            event_count=self.event_count,
            sim_time_ms=sim_now,
            finished=timezone.now(),
        )
        if not ours:
            return  # a reaper or a cancel got there first; its status stands
        log.info("run %s: %s %s (%s events)", self.run_id, status, reason, self.event_count)
        await self.send(
            {
                "type": "status",
                "status": status,
                "reason": reason,
                "last_seq": self.event_count - 1,
                "sim_time_ms": sim_now,
                "speed": self.speed,
            }
        )
