"""`Simulation`: builds the nodes of a topology and runs them in virtual time.

The web runner advances it in small steps (`advance`), injects faults
(`inject`), and reads `metrics()` and `summary()`; the command line calls
`run()`. With `record=False` nothing is logged: where an event would be, its
number is taken (`seq += 1`) and nothing is built, so the summary, the event
count included, is the same either way.

A run emits until `duration_ms`, then drains: requests in flight finish or
fail, and so does the asynchronous work they published (a message queued
for a consumer outlives the synchronous request that published it). If some
are still in flight long after the end (`DRAIN_FACTOR` times the duration,
and at least `DRAIN_MIN_MS`: a deadlock of calls, or a consumer down for
good, say), the requests are counted as timed out, so that started =
completed + failed + rejected + timed_out always holds, and the run gives up
on the published work still open (a `timeout` event each, no outcome change).

A run that goes over its `Budget` (patterns/budget.py) is stopped where it
stands: `done` turns true, `failure` says why and names the node, and the
summary says so too (`stopped`).
"""

from __future__ import annotations

from typing import Any

from patterns import budget as budgets
from patterns import faults, pipeline
from patterns.budget import Budget
from patterns.events import METRICS_INTERVAL_MS, to_dicts, to_lines
from patterns.kernel import URGENT, Kernel
from patterns.lanes import Lane
from patterns.lanes import summarize as summarize_lanes
from patterns.nodes import (
    FAILED,
    KINDS,
    OK,
    OUTCOMES,
    REJECTED,
    TIMED_OUT,
    Node,
    Request,
    listed,
)
from patterns.nodes.aggregator import Aggregator
from patterns.stats import Histogram
from patterns.topology import load

# How long after `duration_ms` the drain may last.
DRAIN_FACTOR = 10.0
DRAIN_MIN_MS = 600_000.0


class Simulation:
    """One run of a topology from a seed; see patterns/CONTRACT.md for the API."""

    # The public methods take what a caller was sent as `Any` and check it
    # themselves (TopologyError): compiled by mypyc, a narrower annotation
    # would be enforced first, with a TypeError.
    def __init__(
        self,
        doc: Any,
        seed: int | None = None,
        record: bool = True,
        budget: Budget | None = None,
    ):
        doc = load(doc)
        self.doc = doc
        self.seed: int = int(doc.get("seed", 1) if seed is None else seed)
        self.duration_ms = float(doc.get("duration_ms", 60_000))
        self.record = record
        self.kernel = Kernel()
        self.log: list[tuple[Any, ...]] | None = [] if record else None
        # The next event's number: advanced per batch as logged events are taken, or
        # at each event itself when nothing is recorded (so `events` is exact either way).
        self.seq = 0
        self.next_id = 0
        self.emitters = 0
        self.outstanding: dict[int, Request] = {}
        # Requests whose outcome is final but whose asynchronous copies (a
        # published message, a pipe's item) are still open: the run drains them.
        self.lingering: dict[int, Request] = {}
        self.counts = [0] * len(OUTCOMES)  # indexed by outcome: OK, FAILED, REJECTED, TIMED_OUT
        # Items of sources that failed (a copy failed on its way), to tell in
        # the summary which were partly processed: only failures are kept.
        self.failed_items: list[Request] = []
        self.started = 0
        self.latency = Histogram()
        self.finished = False
        self.end_t = 0.0
        self.nodes: dict[str, Node] = {}
        self.budget = budget or Budget()
        # Why the run was stopped before its end (over its budget), naming the node; or None.
        self.failure: str | None = None
        self.failed_node = ""
        # The start of the simulated second whose events are counted (budget.look).
        self.window_t = 0.0
        self.window_seq = 0
        self.spacing = budgets.spacing(self)
        self.kernel.checkpoint = self.spacing
        self.kernel.on_checkpoint = self._look
        # Each stage's backlog at the last metrics snapshot (pipeline.annotate).
        self.stage_backlogs: dict[str, int] = {}
        for spec in doc["nodes"]:
            self.nodes[spec["id"]] = KINDS[spec["kind"]](self, spec)
        outgoing: dict[str, list[tuple[Node, dict[str, Any]]]] = {n: [] for n in self.nodes}
        for edge in doc.get("edges", []):
            outgoing[edge["from"]].append((self.nodes[edge["to"]], edge))
        for node_id, node in self.nodes.items():
            node.wire(outgoing[node_id])
        # Per-lane results (patterns/lanes.py) only where there are lanes to
        # compare: two or more clients or sources. None otherwise, so a
        # one-client run's `close` does no more than before.
        emitters = [n for n, node in self.nodes.items() if node.emitter]
        self.sources = any(
            node.emitter and not getattr(node, "sync", True) for node in self.nodes.values()
        )
        self.lanes: dict[str, Lane] | None = (
            {n: Lane() for n in emitters} if len(emitters) > 1 else None
        )
        for node in self.nodes.values():
            node.start()
        for fault in doc.get("faults", []):
            self.kernel.at(float(fault.get("at_ms", 0)), self._fault, fault, None, URGENT)
        # Scheduled recorded or not: unrecorded, a snapshot is only counted (the
        # summary's `events`), and the kernel runs the same entries in both modes.
        self.kernel.at(METRICS_INTERVAL_MS, self._metrics, None, None)
        limit = self.duration_ms + max(self.duration_ms * DRAIN_FACTOR, DRAIN_MIN_MS)
        self.kernel.at(limit, self._give_up, None, None)
        if self.emitters == 0:
            self._check_done()

    # -- what nodes call -----------------------------------------------------
    def open(self, req: Request) -> None:
        self.started += 1
        self.outstanding[req.id] = req

    def close(self, req: Request, outcome: int) -> None:
        """A request's (or item's) final outcome.

        Its own branch ends with it (a synchronous request's, whose copies do
        not wait for it); copies still open keep it in `lingering` until
        their branches end. The first outcome stands: a later one (an answer
        that arrives after a failed copy or the give-up closed the request) is
        ignored, so a caller may pass its answers straight here (Client.start).
        """
        if req.done:
            return
        req.done = True
        del self.outstanding[req.id]
        if req.emitting:
            req.emitting = False
            req.branches -= 1
        if req.branches > 0:
            self.lingering[req.id] = req
        self.counts[outcome] += 1
        if outcome and not req.sync:
            self.failed_items.append(req)
        now = self.kernel.now
        latency = now - req.t0
        lanes = self.lanes
        if lanes is None:
            if outcome == OK:
                self.latency.add_later(latency)
        else:
            # With lanes, each latency is counted once, in its lane's histogram;
            # the run's is their sum (`summary`), not a second count per request.
            lane = lanes[req.origin]
            lane.counts[outcome] += 1
            if outcome == OK:
                lane.latency.add_later(latency)
        if self.log is not None:
            self.log.append(("request.done", now, req.id, req.origin, latency, OUTCOMES[outcome]))
        else:
            self.seq += 1
        if not self.emitters and not self.outstanding and not self.lingering:
            self._check_done()

    def emission_end(self, req: Request) -> None:
        """An item's own branch ends: everything its origin sends is on its way."""
        req.emitting = False
        self.branch_end(req)

    def branch_end(self, req: Request) -> None:
        """One branch of an item (or of one of its copies) reached its end."""
        root = req.root
        root.branches -= 1
        if root.branches > 0:
            return
        if not root.done:
            self.close(root, OK)
        elif self.lingering.pop(root.id, None) is not None and not self.lingering:
            if not self.emitters and not self.outstanding:
                self._check_done()

    def copy_done(self, copy: Request, outcome: int) -> None:
        """The receiver's answer to a copy sent down an asynchronous edge (Link.send).

        A copy's branch ends once: when it reaches a sink or when its receiver
        answers, whichever comes first (`copy.done`). A failed copy fails the
        item, unless the item's outcome is already final (a synchronous
        request answered before its published message failed): then the
        failure stays with the node that failed it and its broker.
        """
        if copy.done:
            return
        copy.done = True
        self.branch_answered(copy, outcome)

    def branch_answered(self, req: Request, outcome: int) -> None:
        """A branch of an item ends with an answer: a failure fails the item if it is still open."""
        if outcome != OK:
            self.close(req.root, outcome)  # unless already closed: the first outcome stands
        self.branch_end(req)

    def emitter_done(self) -> None:
        self.emitters -= 1
        if not self.emitters:
            self._check_done()

    def _check_done(self) -> None:
        if not self.emitters and not self.outstanding and not self.lingering and not self.finished:
            self.finished = True
            self.end_t = self.kernel.now
            self.kernel.stop()

    def _look(self, seq: int) -> None:
        budgets.look(self, seq)

    def over_budget(self, node_id: str, message: str) -> None:
        """Stop the run now: it went over its budget at `node_id` (the first reason stands)."""
        if self.failure is not None:
            return
        self.failure = f"{node_id}: {message}" if node_id else message
        self.failed_node = node_id
        if not self.finished:
            self.finished = True
            self.end_t = self.kernel.now
        self.kernel.stop()

    def _give_up(self, _a: object, _b: object) -> None:
        for req in sorted(self.outstanding.values(), key=lambda r: r.id):
            if self.log is not None:
                self.log.append(("timeout", self.kernel.now, req.id, req.origin, []))
            else:
                self.seq += 1
            self.close(req, TIMED_OUT)
        # Published work still open: its requests' outcomes stand; the run
        # stops waiting for it (nothing after the end is counted).
        for req in sorted(self.lingering.values(), key=lambda r: r.id):
            if self.log is not None:
                self.log.append(("timeout", self.kernel.now, req.id, req.origin, []))
            else:
                self.seq += 1
        self.lingering.clear()
        self._check_done()

    def _fault(self, fault: dict[str, Any], _: object) -> None:
        faults.apply(self, fault)

    def _metrics(self, _a: object, _b: object) -> None:
        if self.log is not None:
            self.log.append(("metrics", self.kernel.now, self.metrics()))
        else:
            self.seq += 1
        if not self.finished:
            self.kernel.after(METRICS_INTERVAL_MS, self._metrics, None, None)

    # -- the public API ------------------------------------------------------
    @property
    def now(self) -> float:
        return self.kernel.now

    @property
    def done(self) -> bool:
        return self.finished

    def advance(self, until_ms: float) -> list[dict[str, Any]]:
        """Run simulated time up to `until_ms`; return the events produced, in seq order."""
        if not self.finished:
            self.kernel.run(until_ms)
        return self._drain_log()

    def advance_lines(self, until_ms: float) -> str:
        """Like `advance`, but the events in their stored form, as one string: a line each,
        byte for byte `json.dumps(event, separators=(",", ":"))` and a newline (JSON
        Lines, what `python -m patterns run --events` writes), without building dicts."""
        if not self.finished:
            self.kernel.run(until_ms)
        log = self.log
        if not log:
            return ""
        seq = self.seq
        text = to_lines(seq, log)
        self.seq = seq + len(log)
        log.clear()
        return text

    def advance_json(self, until_ms: float) -> list[str]:
        """`advance_lines` as a list of texts, one per event."""
        return self.advance_lines(until_ms).split("\n")[:-1]

    def discard(self, until_ms: float) -> int:
        """Like `advance`, but count the events produced instead of building them.

        For a caller that wants the summary's true event count without the
        stream itself (the command line without --events): no dicts, flat memory.
        """
        if not self.finished:
            self.kernel.run(until_ms)
        log = self.log
        if not log:
            return 0
        count = len(log)
        self.seq += count
        log.clear()
        return count

    def step(self) -> list[dict[str, Any]]:
        """Process the next instant that has anything scheduled; return its events."""
        if not self.finished:
            self.kernel.step()
        return self._drain_log()

    def inject(self, fault: Any) -> None:
        """Apply a fault (docs/topology.md "Faults") now; raises TopologyError if malformed."""
        faults.inject(self, fault)

    def scale(self, node: Any, instances: Any) -> None:
        """Resize a service's or filter's pool to `instances` now (a `scale` event).

        Raises TopologyError if the request is invalid.
        """
        from patterns.scaling import scale

        scale(self, node, instances)

    def run(self) -> dict[str, Any]:
        """Advance to the end (drain included) and return the summary."""
        step = max(self.duration_ms / 50, 1000.0)
        while not self.finished and len(self.kernel):
            self.advance(self.kernel.now + step)
        self._drain_log()
        return self.summary()

    def _drain_log(self) -> list[dict[str, Any]]:
        log = self.log
        if not log:
            return []
        seq = self.seq
        events = to_dicts(seq, log)
        self.seq = seq + len(log)
        log.clear()
        return events

    def stored(self, database_id: str) -> dict[int, Any]:
        """What aggregators have written to `database_id`, by request id (a copy)."""
        out: dict[int, Any] = {}
        for node in self.nodes.values():
            # An orchestrator has a `store` too, but keeps no rows here.
            if isinstance(node, Aggregator) and node.store_id == database_id:
                out.update(node.stored)
        return out

    def sections(self) -> dict[str, Any]:
        """The summary's sections that the kinds declare, each from the nodes that fill it."""
        owners: dict[str, type[Node]] = {}
        for cls in listed():
            if cls.section and cls.section not in owners:
                owners[cls.section] = cls
        out: dict[str, Any] = {}
        for section, owner in owners.items():
            members = [node for node in self.nodes.values() if node.section == section]
            out[section] = owner.summarize_section(members)
        return out

    def metrics(self) -> dict[str, Any]:
        """A snapshot per node: in flight, queued, utilisation, completions since the
        last snapshot, instances up (the `metrics` event's `nodes`)."""
        nodes = {}
        for node_id, node in self.nodes.items():
            snap = node.snapshot()
            if snap is not None:
                nodes[node_id] = snap
        return pipeline.annotate(self, nodes)

    def summary(self) -> dict[str, Any]:
        """The summary (docs/events.md, "The summary")."""
        nodes = {}
        for node_id, node in self.nodes.items():
            part = node.summary()
            if part is not None:
                nodes[node_id] = part
        c = self.counts
        return {
            "seed": self.seed,
            "sim_time_ms": round(self.end_t if self.finished else self.kernel.now, 6),
            "events": self.seq + (len(self.log) if self.log else 0),
            "requests": {
                "started": self.started,
                "completed": c[OK],
                "failed": c[FAILED],
                "rejected": c[REJECTED],
                "timed_out": c[TIMED_OUT],
                "in_flight": len(self.outstanding),
            },
            "latency_ms": (
                self.latency
                if self.lanes is None
                else Histogram.merged([lane.latency for lane in self.lanes.values()])
            ).summary(),
            "nodes": nodes,
            # Each kind's own section (`Node.section`): load_balancers,
            # aggregators, sagas, fetches; present, maybe empty, in every summary.
            **self.sections(),
            **pipeline.summarize(self, nodes),
            # Extension: what became of a pipeline's items, when it has sources.
            **({"items": pipeline.items(self)} if self.sources else {}),
            # Extension: each client's own results, when there are two or more.
            **({"lanes": summarize_lanes(self, self.lanes)} if self.lanes is not None else {}),
            # Only when it was stopped: a finished run's summary keeps its shape.
            **(
                {"stopped": {"node": self.failed_node, "reason": self.failure}}
                if self.failure is not None
                else {}
            ),
        }
