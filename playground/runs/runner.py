"""Runs a simulation and streams it: one code path (`execute`), for both ways to start it
(`launch.start_run`: a Celery task, playground/runs/tasks.py, or a thread of the web process).

The runner claims a queued run with a conditional update (`Run.claim`), builds the
engine, and advances simulated time in wall-clock ticks at the run's speed. Each
tick's events are stored (the database is the truth) and then sent as one
batch to the channel-layer group `run-<id>` (best effort: a viewer that
misses a batch gets it back from the database). Controls from the owner are
`RunControl` rows (playground/runs/controls.py), read every tick. A worker that
dies is found by the reaper (playground/runs/reaper.py).

A killed run is not re-run: its Celery message was acked when a worker took
it, and the claim only takes QUEUED runs, so a message delivered again is a
no-op and the run stays `failed` with its reason; the events stored until then
are still served. The simulation is deterministic from its seed, so a user can
start it again. docs/workers.md tells the whole lifecycle.

Each run has a budget from the site's `Limits` (patterns/budget.py): a run
that goes over it is stopped by the engine and ends `failed`, its reason
naming the node where it grew. At most `Limits.max_stored_events` events are
stored (and streamed); past them the run goes on to its end uncounted in the
store, its summary stays complete, and `Run.notice` says what was left out.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import InterfaceError, OperationalError, connection, transaction

from patterns import Simulation
from playground.models import EventBatch, Limits, Run, RunControl
from playground.runs.broadcast import LAYER_ERRORS, group_name
from playground.runs.forks import simulation_for
from playground.runs.reaper import this_process

log = logging.getLogger(__name__)

TICK_SECONDS = 0.1
# Stored rows and channel messages stay a reasonable size even at full speed.
MAX_BATCH_EVENTS = 2000


def execute(run_id: int, *, layer_loop: asyncio.AbstractEventLoop | None = None) -> str:
    """Claim the run and drive it to its end. Returns the final status, or "skipped".

    The one code path for both backends; the Celery task and the thread call it.
    """
    worker = f"{this_process()}:{threading.current_thread().name}"
    if not Run.claim(run_id, worker):
        log.info(
            "run %s: not queued any more (another worker got there first, or it was cancelled)",
            run_id,
        )
        return "skipped"
    try:
        return asyncio.run(_Driver(run_id, worker, layer_loop).drive())
    finally:
        connection.close()


def _usable() -> bool:
    return connection.connection is not None and connection.is_usable()


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
        self.store_limit = 0
        # Events produced past the stored-events limit: counted, not stored (None: none yet).
        self.unstored: int | None = None
        self.notice = ""
        # Built by `_drive` from the run's row (it needs the database thread); None before that
        # and after the end, when it is dropped for the collector.
        self.sim: Simulation | None = None

    @property
    def engine(self) -> Simulation:
        """The simulation, for the steps that run only once `_drive` has built it."""
        assert self.sim is not None, "the simulation is built before the first tick"
        return self.sim

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
        except (OperationalError, InterfaceError) as error:
            log.exception("run %s: database error", self.run_id)
            # A connection the server dropped (restart, pg_terminate_backend) is unusable:
            # say so, and end the run on a new one, which Django opens on the next query.
            lost = not await self.orm(_usable)
            if lost:
                await self.orm(lambda: connection.close())
            what = "the database connection was lost" if lost else "a database error"
            await self.finish(Run.FAILED, f"{what} mid-run ({type(error).__name__}: {error})", None)
            return Run.FAILED
        except Exception as error:
            log.exception("run %s failed", self.run_id)
            await self.finish(Run.FAILED, f"internal error: {type(error).__name__}: {error}", None)
            return Run.FAILED
        finally:
            await self.orm(lambda: connection.close())  # the db thread's own connection
            self.db.shutdown(wait=False)
            # The engine's nodes and the simulation point at each other: without a
            # collection now, a large run's structures would wait for the cyclic
            # collector, and the worker would start its next run that much larger.
            self.sim = None
            gc.collect()

    async def _drive(self) -> str:
        from patterns import TopologyError

        run = await self.orm(Run.objects.get, pk=self.run_id)
        limits = await self.orm(Limits.current)
        limit = limits.max_run_wall_seconds
        self.store_limit = limits.max_stored_events
        self.speed = run.speed
        try:
            # A fork replays its parent to the fork time first (playground/runs/forks.py).
            sim = await self.orm(simulation_for, run, limits.budget())
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
                await self.finish(Run.CANCELLED, "cancelled by its owner", self.summary())
                return Run.CANCELLED
            if tick_start - started > limit:
                await self.emit(pending)
                await self.finish(
                    Run.CANCELLED,
                    f"stopped: it ran longer than the wall-clock limit of {limit} s",
                    self.summary(),
                )
                return Run.CANCELLED
            if not self.paused and not sim.done:
                pending.extend(self.advance())
            if not await self.emit(pending):
                return Run.FAILED  # someone else ended it (a reaper, while we were stalled)
            if sim.done:
                if sim.failure is not None:
                    # Over its budget: the engine stopped it and says where it grew.
                    await self.finish(Run.FAILED, sim.failure, self.summary())
                    return Run.FAILED
                await self.finish(Run.FINISHED, "", self.summary())
                return Run.FINISHED
            if self.speed is not None or self.paused:
                await asyncio.sleep(max(0.0, tick_start + TICK_SECONDS - time.monotonic()))

    def reanchor(self) -> None:
        self.anchor_wall = time.monotonic()
        self.anchor_sim = self.engine.now

    def advance(self) -> list[dict[str, Any]]:
        sim = self.engine
        if self.speed is not None:
            target = self.anchor_sim + (time.monotonic() - self.anchor_wall) * self.speed * 1000
            # Behind by more than a second of wall time: slip rather than rush to catch up.
            ceiling = sim.now + self.speed * 1000
            if target > ceiling:
                target = ceiling
                self.anchor_wall, self.anchor_sim = time.monotonic(), ceiling
            return self.produce(target)
        # As fast as possible: grow or shrink the step so each call takes a few ms.
        deadline = time.monotonic() + TICK_SECONDS
        events: list[dict[str, Any]] = []
        while not sim.done and time.monotonic() < deadline and len(events) < 10 * MAX_BATCH_EVENTS:
            t0 = time.monotonic()
            events.extend(self.produce(sim.now + self.chunk_ms))
            took = time.monotonic() - t0
            if took < 0.005:
                self.chunk_ms = min(self.chunk_ms * 2, 3_600_000)
            elif took > 0.03:
                self.chunk_ms = max(self.chunk_ms / 2, 1.0)
        return events

    def produce(self, until_ms: float) -> list[dict[str, Any]]:
        """The events up to `until_ms`; once the store is full, only counted (no dicts built)."""
        if self.unstored is None:
            return self.engine.advance(until_ms)
        self.unstored += self.engine.discard(until_ms)
        return []

    def summary(self) -> dict[str, Any]:
        """The engine's summary, and how many of its events were stored when not all were."""
        summary = self.engine.summary()
        if self.unstored is not None:
            summary["stored_events"] = self.event_count
            summary["notice"] = self.notice
        return summary

    def cap(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """What of `events` fits under the stored-events limit; the first cut sets the notice."""
        if self.unstored is None and self.event_count + len(events) <= self.store_limit:
            return events
        room = max(0, self.store_limit - self.event_count)
        if self.unstored is None:
            self.unstored = 0
            self.notice = (
                f"only the first {self.store_limit:,} events are stored (the site's limit per "
                "run); the run went on to its end, and its summary counts every event"
            )
        self.unstored += len(events) - room
        return events[:room]

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
                if not self.engine.done:
                    events.extend(self.engine.step())
                self.reanchor()
            elif action == "fault":
                # Its events come out of the next advance, like a scheduled fault's.
                try:
                    self.engine.inject(params["fault"])
                except TopologyError as error:
                    await self.send({"type": "error", "message": f"fault refused: {error}"})
            elif action == "scale":
                try:
                    self.engine.scale(params["node"], params["instances"])
                except TopologyError as error:
                    await self.send({"type": "error", "message": f"scale refused: {error}"})
        return events

    async def emit(self, events: list[dict[str, Any]]) -> bool:
        """Store this tick's events and heartbeat, then broadcast them.

        False if the run is no longer ours (reaped while this worker stalled)."""
        cut = self.unstored is None
        events = self.cap(events)
        if cut and self.unstored is not None:
            paused = "paused by its owner" if self.paused else ""
            await self.send_status(Run.PAUSED if self.paused else Run.RUNNING, paused)
        now = time.monotonic()
        if not events and now - self.last_store < 1.0:
            return True
        self.last_store = now
        chunks = [events[i : i + MAX_BATCH_EVENTS] for i in range(0, len(events), MAX_BATCH_EVENTS)]
        if chunks:
            self.event_count = chunks[-1][-1]["seq"] + 1
        ours = await self.orm(self._store, chunks, self.event_count, self.engine.now)
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
            if not Run.record_progress(self.run_id, self.worker, event_count, sim_time_ms):
                return False
            EventBatch.objects.bulk_create(
                EventBatch(
                    run_id=self.run_id, first_seq=c[0]["seq"], last_seq=c[-1]["seq"], events=c
                )
                for c in chunks
            )
        return True

    def status_message(self, status: str, reason: str) -> dict[str, Any]:
        """The run's status message as this driver knows it (the row may lag a tick behind)."""
        return Run(
            pk=self.run_id,
            status=status,
            reason=reason,
            notice=self.notice,
            event_count=self.event_count,
            sim_time_ms=self.sim.now if self.sim is not None else 0.0,
            speed=self.speed,
        ).status_message()

    async def send_status(self, status: str, reason: str) -> None:
        await self.orm(Run.record_status, self.run_id, self.worker, status, reason, self.notice)
        await self.send(self.status_message(status, reason))

    async def finish(self, status: str, reason: str, summary: dict[str, Any] | None) -> None:
        message = self.status_message(status, reason)
        ours = await self.orm(
            Run.record_end,
            self.run_id,
            self.worker,
            status,
            reason=reason,
            notice=self.notice,
            summary=summary,
            event_count=self.event_count,
            sim_time_ms=message["sim_time_ms"],
        )
        if not ours:
            return  # a reaper or a cancel got there first; its status stands
        log.info("run %s: %s %s (%s events)", self.run_id, status, reason, self.event_count)
        await self.send(message)
