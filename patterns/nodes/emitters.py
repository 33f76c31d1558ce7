"""Clients and sources: where requests and items come from.

Both emit at `rate` per second (Poisson or evenly spaced) until the run's
`duration_ms` or their `requests` cap. A client waits for each request's
answer and measures its latency; with several outgoing edges it calls them
one after another. A source does not wait: its item is complete when it has
reached a sink or a node with nowhere further to go, and failed if a node on
its way fails it.
"""

from __future__ import annotations

import random
from heapq import heappush
from math import log
from typing import TYPE_CHECKING, Any

from patterns.distributions import stable_hash
from patterns.kernel import NORMAL
from patterns.nodes.base import OK, Node, Request, register

if TYPE_CHECKING:
    from patterns.engine import Simulation


@register("client")
class Client(Node):
    """Emits requests and waits for each one's outcome."""

    sync = True

    def __init__(self, sim: Simulation, spec: dict[str, Any]):
        super().__init__(sim, spec)
        self.rng = random.Random(stable_hash(sim.seed, "node", self.id))
        self.salt = stable_hash(sim.seed, "requests", self.id)
        self.gap_ms = 1000.0 / float(spec.get("rate", 10))
        self.poisson = spec.get("arrival", "poisson") == "poisson"
        self.cap = spec.get("requests")
        self.sessions = [f"{self.id}-{k}" for k in range(int(spec.get("sessions", 100)))]
        self.emitted = 0
        self.until = float(sim.duration_ms)

    def start(self) -> None:
        self.sim.emitters += 1
        self.schedule_next()

    def schedule_next(self) -> None:
        gap = -log(1.0 - self.rng.random()) * self.gap_ms if self.poisson else self.gap_ms
        t = self.kernel.now + gap
        if t >= self.until or (self.cap is not None and self.emitted >= self.cap) or not self.calls:
            self.sim.emitter_done()
            return
        self.kernel.at(t, self.emit, None, None)

    def emit(self, _a: object, _b: object) -> None:
        # Once per request: kept flat (Simulation.open and schedule_next inlined).
        sim = self.sim
        now = self.kernel.now
        n = self.emitted = self.emitted + 1
        random = self.rng.random
        sessions = self.sessions
        rid = sim.next_id
        sim.next_id = rid + 1
        req = Request(
            rid, self.id, now, sessions[int(random() * len(sessions))], self.salt ^ n, self.sync
        )
        sim.started += 1
        sim.outstanding[rid] = req
        self.calls[0].call(req, self.answer)
        t = now + (-log(1.0 - random()) * self.gap_ms if self.poisson else self.gap_ms)
        if t >= self.until or (self.cap is not None and n >= self.cap):
            self.sim.emitter_done()
            return
        heappush(self.kernel.heap, (t, NORMAL, next(self.kernel.counter), self.emit, None, None))

    def wire(self, links: list[tuple[Node, dict[str, Any]]]) -> None:
        super().wire(links)
        # TOPOLOGY.md: a client whose first hop is a topic or queue does not
        # wait; its request ends when every branch it spawned has ended.
        if self.calls and self.calls[0].asynchronous:
            self.sync = False

    def answer(self, req: Request, outcome: int) -> None:
        if req.done:
            return
        if outcome != OK:
            self.sim.close(req, outcome)
            return
        req.step += 1
        if req.step < len(self.calls):
            self.calls[req.step].call(req, self.answer)
        elif req.sync:
            self.sim.close(req, OK)
        else:
            # Every edge is sent: the emission's own branch ends; the copies go on.
            self.sim.branch_end(req)


@register("source")
class Source(Client):
    """Emits items into a pipe and does not wait for them."""

    sync = False


@register("sink")
class Sink(Node):
    """Records completed items: the end of a pipe."""

    def __init__(self, sim: Simulation, spec: dict[str, Any]):
        super().__init__(sim, spec)
        self.received = 0
        self.completed_since = 0
        self.duplicates = 0
        # (item id, copy tag) of every copy received: at-least-once delivery
        # may bring the same copy twice, and only the first one counts.
        self.seen: set[tuple[int, str]] = set()

    def accept(self, req: Request, reply: Any, op: str) -> None:
        key = (req.id, req.tag)
        now = self.kernel.now
        if key in self.seen:
            self.duplicates += 1
            if self.log is not None:
                self.log.append(("item.duplicate", now, req.id, self.id, req.tag))
        else:
            self.seen.add(key)
            self.received += 1
            self.completed_since += 1
            if self.log is not None:
                self.log.append(("node.finish", now, req.id, self.id, self.id))
        if req.root is not req and not req.done and not req.branches:
            # An item's copy ends its branch on arrival, even when a service
            # called the sink and answers its own sender later; unless a
            # broker holds the copy until its consumer acknowledges it.
            req.done = True
            self.sim.branch_end(req)
        reply(req, OK)

    def snapshot(self) -> dict[str, Any]:
        done = self.completed_since
        self.completed_since = 0
        return {
            "in_flight": 0,
            "queued": 0,
            "utilization": 0.0,
            "completed": done,
            "instances_up": 1,
        }

    def summary(self) -> dict[str, Any]:
        return {
            "processed": self.received,
            "failed": 0,
            "rejected": 0,
            "utilization": 0.0,
            "queue_max": 0,
            "instances": {},
            "duplicates": self.duplicates,
        }
