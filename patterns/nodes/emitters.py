"""Clients and sources: where requests and items come from.

Both emit at `rate` per second (Poisson or evenly spaced) until the run's
`duration_ms` or their `requests` cap. A client waits for each request's
answer and measures its latency; with several outgoing edges it calls them
one after another. A source does not wait: its item is complete when it has
reached a sink or a node with nowhere further to go, and failed if a node on
its way fails it.

A client with `fetch_after_ms` (the asynchronous scatter-gather) publishes
and then, instead of waiting, fetches its result by request id from the
database an aggregator stores into: `fetch_after_ms` after publishing and
again that long after each read that found nothing, up to `fetch_attempts`
reads. Its request completes when a read finds the row (its latency runs to
that read's answer), and times out when the last read finds nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from math import log
from typing import TYPE_CHECKING, Any

from patterns import schema
from patterns.distributions import stable_hash
from patterns.kernel import NORMAL, heappush
from patterns.nodes.base import (
    OK,
    TIMED_OUT,
    Drawing,
    Link,
    Node,
    Request,
    Target,
    flow_metrics,
    flow_summary,
    register,
)
from patterns.nodes.database import ById, Database
from patterns.schema import Enum, Field, Int, Num, Str, gettext_noop

if TYPE_CHECKING:
    from patterns.engine import Simulation
    from patterns.topology import Graph, Location

EMITTER_FIELDS: dict[str, Field] = {
    # The original contract gave no default rate: ten a second, a pace one can watch.
    "rate": Num(
        10,
        0,
        schema.MAX_RATE,
        exclusive_min=True,
        help=gettext_noop("How many requests it sends each simulated second."),
    ),
    "arrival": Enum(
        "poisson",
        schema.ARRIVALS,
        help=gettext_noop("Random gaps, as real users arrive, or evenly spaced."),
    ),
    "requests": Int(
        None,
        1,
        schema.MAX_REQUESTS,
        nullable=True,
        help=gettext_noop(
            "Send at most this many requests in all. Empty: keep sending until the run ends."
        ),
    ),
    "sessions": Int(
        100,
        1,
        schema.MAX_SESSIONS,
        help=gettext_noop(
            "How many different users the requests come from. Sticky and "
            "hashing balancers route by user."
        ),
    ),
    # Extension: a traffic stream's name; emitters naming the same one draw
    # the same arrivals, sessions and request keys (`Client.__init__`).
    "traffic": Str(
        None,
        40,
        nullable=True,
        help=gettext_noop("a traffic stream's name; emitters naming the same one send alike"),
    ),
}


class Client(Node):
    """Emits requests and waits for each one's outcome."""

    kind = "client"
    # Extension: a client of the asynchronous scatter-gather fetches its
    # result by request id from the aggregator's store, `fetch_after_ms`
    # after publishing and again after each miss, up to `fetch_attempts`
    # reads (null: it does not fetch).
    fields = {
        **EMITTER_FIELDS,
        "fetch_after_ms": Num(
            None,
            0,
            schema.MAX_MS,
            exclusive_min=True,
            nullable=True,
            help=gettext_noop(
                "Publish, then come back for the result by id this long after. Empty: no fetch."
            ),
        ),
        "fetch_attempts": Int(
            5, 1, 1000, help=gettext_noop("How many reads before giving up on the result.")
        ),
    }
    emitter = True
    faultable = False
    # Extension: the fetches by id of clients with `fetch_after_ms`.
    section = "fetches"
    drawing = Drawing("☺", "#d6ecfa", "#0b5f8a", gettext_noop("client"), 10)
    sync = True

    @staticmethod
    def check_graph(graph: Graph, node: dict[str, Any], at: Location) -> None:
        """A fetching client publishes first and reads from one aggregator's store."""
        if node.get("fetch_after_ms") is None:
            return
        targets = graph.targets(node["id"])
        sub = at.child("fetch_after_ms")
        first = targets[0] if targets else None
        if first is None or not graph.kind_of(first).broker:
            graph.add(
                sub, "a client fetches later only if its first edge publishes on a topic or queue"
            )
        stores = {
            n["store"] for n in graph.by_id.values() if n["kind"] == "aggregator" and n["store"]
        }
        reads = [t for t in targets if t in stores]
        if not reads:
            graph.add(sub, "needs an edge to the database an aggregator stores into, to fetch from")
        elif len(reads) > 1:
            graph.add(sub, f"reads from several stores ({', '.join(reads)}); keep one edge")

    def __init__(self, sim: Simulation, spec: dict[str, Any]):
        super().__init__(sim, spec)
        # Extension (docs/topology.md, "client and source"): clients that name
        # the same `traffic` draw their arrivals, sessions and request keys
        # from that name, not their id, so lanes compared side by side get
        # the very same requests. Without it, the id: as before.
        stream = str(spec.get("traffic") or self.id)
        self.rng = random.Random(stable_hash(sim.seed, "node", stream))
        # Bound once, not per request: compiled, each is a generic attribute lookup
        # and a new bound method.
        self.random: Callable[[], float] = self.rng.random
        self.on_emit = self.emit
        self.salt = stable_hash(sim.seed, "requests", stream)
        self.gap_ms = 1000.0 / float(spec.get("rate", 10))
        self.poisson: bool = spec.get("arrival", "poisson") == "poisson"
        self.cap: int | None = spec.get("requests")
        self.sessions = [f"{stream}-{k}" for k in range(int(spec.get("sessions", 100)))]
        # A float, multiplied by a draw: compiled, float * int would box both.
        self.session_count = float(len(self.sessions))
        self.emitted = 0
        self.until = float(sim.duration_ms)
        after = spec.get("fetch_after_ms")
        self.fetch_after: float | None = None if after is None else float(after)
        self.fetch_max = int(spec.get("fetch_attempts", 5))
        self.fetch_link: Link | None = None
        self.rows: ById | None = None
        self.fetches = {"attempts": 0, "found": 0, "missed": 0, "gave_up": 0}
        # Bound once, not once per request: a balancer in front recognises
        # the same callable and reuses its answer path (LoadBalancer.accept).
        self.on_answer = self.answer
        # Set in `start`, once every edge is wired: the first edge's target
        # when a call over it is just the target's accept and its `msg.send`
        # (Link.call's own common case: no latency, an answer).
        self.direct: Target | None = None
        self.direct_op = ""

    def start(self) -> None:
        self.sim.emitters += 1
        if self.calls:
            first = self.calls[0]
            if not first.latency and not first.oneway and not first.asynchronous:
                self.direct = first.target
                self.direct_op = first.op
        if len(self.calls) == 1 and self.sync and self.fetch_link is None:
            # One edge, waited for: its answer is the request's outcome, which
            # Simulation.close takes directly (a Python call fewer a request).
            self.on_answer = self.sim.close
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
        random = self.random
        sessions = self.sessions
        rid = sim.next_id
        sim.next_id = rid + 1
        req = Request(
            rid,
            self.id,
            now,
            sessions[int(random() * self.session_count)],
            self.salt ^ n,
            self.sync,
        )
        sim.started += 1
        sim.outstanding[rid] = req
        direct = self.direct
        if direct is not None:
            if self.log is not None:
                self.log.append(("msg.send", now, rid, self.id, direct.name, now))
            else:
                sim.seq += 1
            direct.accept(req, self.on_answer, self.direct_op)
        else:
            self.calls[0].call(req, self.on_answer)
        t = now + (-log(1.0 - random()) * self.gap_ms if self.poisson else self.gap_ms)
        if t >= self.until or (self.cap is not None and n >= self.cap):
            self.sim.emitter_done()
            return
        kernel = self.kernel
        serial = kernel.serial
        kernel.serial = serial + 1
        heappush(kernel.heap, (t, NORMAL, serial, self.on_emit, None, None))

    def wire(self, links: list[tuple[Node, dict[str, Any]]]) -> None:
        if self.fetch_after is not None:
            links = self.wire_fetch(links)
        super().wire(links)
        # docs/topology.md ("client and source"): a client whose first hop is
        # a topic or queue does not wait; its request ends when every branch
        # it spawned has ended.
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
            self.calls[req.step].call(req, self.on_answer)
        elif req.sync:
            self.sim.close(req, OK)
        elif self.fetch_link is not None and self.fetch_after is not None:
            # The emission's branch stays open: the fetch, not the branches, ends it.
            self.kernel.at(self.kernel.now + self.fetch_after, self.fetch, req, 1)
        else:
            # Every edge is sent: the emission's own branch ends; the copies go on.
            self.sim.emission_end(req)

    # -- fetching the result by id later --------------------------------------
    def wire_fetch(
        self, links: list[tuple[Node, dict[str, Any]]]
    ) -> list[tuple[Node, dict[str, Any]]]:
        """Take the edge to the aggregators' store out of the calls: it is the fetch's path."""
        stores = {getattr(n, "store_id", None) for n in self.sim.nodes.values()} - {None}
        rest = []
        for node, edge in links:
            if (
                self.fetch_link is None
                and isinstance(node, Database)
                and node.id in stores
                and edge.get("when", "ok") == "ok"
            ):
                self.rows = node.by_id(self.id)
                self.fetch_link = Link(self.sim, self.id, self.rows, {**edge, "op": "read"})
            else:
                rest.append((node, edge))
        return rest

    def fetch(self, req: Request, attempt: int) -> None:
        """Read the result of `req` by its id (attempt `attempt`, from 1)."""
        if req.done or self.fetch_link is None or self.rows is None:
            return  # a branch failed it meanwhile
        self.fetches["attempts"] += 1
        self.rows.attempt[req.id] = attempt
        self.fetch_link.call(req, lambda r, outcome: self.fetched(r, outcome, attempt))

    def fetched(self, req: Request, outcome: int, attempt: int) -> None:
        assert self.rows is not None and self.fetch_after is not None
        self.rows.attempt.pop(req.id, None)
        found = self.rows.found.pop(req.id, False)
        if req.done:
            return
        if outcome == OK and found:
            self.fetches["found"] += 1
            self.sim.close(req, OK)
            return
        self.fetches["missed"] += 1
        if attempt < self.fetch_max:
            self.kernel.at(self.kernel.now + self.fetch_after, self.fetch, req, attempt + 1)
        else:
            self.fetches["gave_up"] += 1
            self.sim.close(req, TIMED_OUT if outcome == OK else outcome)

    def section_entry(self) -> Any:
        return dict(self.fetches) if self.fetch_link is not None else None


register(Client)


class Source(Client):
    """Emits items into a pipe and does not wait for them."""

    kind = "source"
    fields = EMITTER_FIELDS
    # Its items go down pipes; it never waits (patterns/nodes/pipes.py).
    pipe = True
    drawing = Drawing("⇶", "#d6ecfa", "#0b5f8a", gettext_noop("source"), 20)
    sync = False


register(Source)


# How many copies a sink remembers before it forgets those of finished items.
SINK_SWEEP = 1024


class Sink(Node):
    """Records completed items: the end of a pipe."""

    kind = "sink"
    pipe = True
    faultable = False
    # Extension: a copy a sink has already received (at-least-once delivery).
    events = {"item.duplicate": ("req", "node", "tag")}
    drawing = Drawing("⤓", "#e8e8e8", "#444", gettext_noop("sink"), 30)

    def __init__(self, sim: Simulation, spec: dict[str, Any]):
        super().__init__(sim, spec)
        self.received = 0
        self.completed_since = 0
        self.duplicates = 0
        # (item id, copy tag) of every copy received, with its item:
        # at-least-once delivery may bring the same copy twice, and only the
        # first one counts. An item whose branches have all ended can bring
        # no more copies (a broker holds its branch open until the consumer
        # acknowledges), so such items are forgotten now and then, and memory
        # stays flat. A request answered synchronously may still have open
        # branches (what it published): it is remembered until they end.
        self.seen: dict[tuple[int, str], Request] = {}
        self.sweep_at = SINK_SWEEP

    def accept(self, req: Request, reply: Any, op: str) -> None:
        key = (req.id, req.tag)
        now = self.kernel.now
        seen = self.seen
        if key in seen:
            self.duplicates += 1
            if self.log is not None:
                self.log.append(("item.duplicate", now, req.id, self.id, req.tag))
            else:
                self.sim.seq += 1
        else:
            seen[key] = req.root
            if len(seen) >= self.sweep_at:
                self.seen = {
                    k: root for k, root in seen.items() if not root.done or root.branches > 0
                }
                self.sweep_at = max(SINK_SWEEP, 2 * len(self.seen))
            self.received += 1
            self.completed_since += 1
            req.root.delivered += 1
            if self.log is not None:
                self.log.append(("node.finish", now, req.id, self.id, self.id))
            else:
                self.sim.seq += 1
        if req.parent is not None and not req.done and not req.branches:
            # An item's copy ends its branch on arrival, even when a service
            # called the sink and answers its own sender later; unless a
            # broker holds the copy until its consumer acknowledges it.
            req.done = True
            self.sim.branch_end(req)
        reply(req, OK)

    def snapshot(self) -> dict[str, Any]:
        done = self.completed_since
        self.completed_since = 0
        return flow_metrics(0, done)

    def summary(self) -> dict[str, Any]:
        return {**flow_summary(self.received), "duplicates": self.duplicates}


register(Sink)
