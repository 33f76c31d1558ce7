"""Aggregators: gather the replies of a scattered request, merge them, answer.

A gather is opened by the dispatcher when it scatters a request (the
synchronous scatter-gather), or by the first reply of a request the
aggregator has not seen (the asynchronous variant, where workers publish on
a results topic and nobody told the aggregator the request exists). It
expects one reply from each worker: the dispatcher's downstream nodes, or,
asynchronously, the nodes that publish towards the aggregator.

It completes when its rule is met: `all` (every worker replied), `count`
(`count` replies), or `deadline` (every worker replied, or `timeout_ms`
passed, whichever comes first). `timeout_ms` bounds the wait under `all`
and `count` too. It is counted from the scatter (asynchronously, from when
the request was made). A gather also closes once every worker has replied
or failed, even short of its rule, rather than wait for replies that cannot
come. Replies after completion are logged as `aggregate.late` and ignored.

On completion it merges what arrived (`patterns.merges`), logs
`aggregate.done` with why it closed and which workers were missing, writes
the result to its `store` database under the request id (paying the write's
latency) and then answers the caller, and sends the result on down its
outgoing edges without waiting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from patterns import schema
from patterns.distributions import stable_hash
from patterns.merges import merge, reply_value
from patterns.nodes.base import (
    FAILED,
    OK,
    TIMED_OUT,
    Drawing,
    Link,
    Node,
    Reply,
    Request,
    Target,
    flow_metrics,
    flow_summary,
    register,
)
from patterns.nodes.database import Database
from patterns.scatter import producers_of
from patterns.schema import Enum, Int, Num, Str, gettext_noop

if TYPE_CHECKING:
    from patterns.engine import Simulation
    from patterns.topology import Graph, Location

ALL_ARRIVED = "all arrived"
COUNT_REACHED = "count reached"
DEADLINE_PASSED = "deadline passed"
WORKERS_FAILED = "workers failed"
# Latency of the write into `store` when no edge to that database gives one.
STORE_LATENCY_MS = 1.0


class Gather:
    """The replies of one request at one aggregator, until every worker is accounted for."""

    __slots__ = (
        "req",
        "reply",
        "workers",
        "need",
        "replies",
        "failed",
        "t0",
        "done",
        "closed_t",
        "accounted",
    )

    def __init__(self, req: Request, reply: Reply | None, workers: list[str], need: int, t0: float):
        self.req = req
        self.reply = reply  # the dispatcher's caller; None asynchronously
        self.workers = workers
        self.need = need
        self.replies: list[tuple[str, float, Any]] = []  # (worker, arrival t, value)
        self.failed: list[str] = []
        self.t0 = t0
        self.done = False
        self.closed_t = 0.0
        self.accounted = 0  # workers that replied (in time or late) or failed


class Inbox(Target):
    """An edge into the aggregator from one worker: one-way, and it says who sent it."""

    oneway = True

    def __init__(self, agg: Aggregator, source: str):
        self.agg = agg
        self.source = source
        self.name = agg.id
        self.salt = stable_hash(agg.sim.seed, "reply", source)

    def accept(self, req: Request, reply: Reply, op: str) -> None:
        self.agg.arrive(req, self)


class Aggregator(Node):
    """Collects the replies that belong to one scattered request; see the module docstring."""

    kind = "aggregator"
    fields = {
        "completion": Enum(
            "all",
            schema.COMPLETIONS,
            help=gettext_noop(
                "When it answers: once every reply is in, once enough are, or at a deadline."
            ),
        ),
        "count": Int(
            None,
            1,
            schema.MAX_NODES,
            nullable=True,
            help=gettext_noop("How many replies are enough, when it completes on a count."),
        ),
        "timeout_ms": Num(
            None,
            0,
            schema.MAX_MS,
            exclusive_min=True,
            nullable=True,
            help=gettext_noop("Answer with whatever has arrived after this long, in ms."),
        ),
        "merge": Enum(
            "concat", schema.MERGES, help=gettext_noop("How the replies become one answer.")
        ),
        "k": Int(
            10,
            1,
            1_000_000,
            help=gettext_noop("How many of the best to keep, when merging the best k."),
        ),
        "store": Str(
            None,
            40,
            nullable=True,
            help=gettext_noop("The id of a database node to write the result to."),
        ),
    }
    # Replies arrive as one-way messages (its `Inbox`).
    receives_async = True
    events = {
        # Extension: why it closed, the workers missing, when the gather
        # opened, the replies in time ({"from", "t", "value"}), the merged
        # result, and the database it is stored in (or null).
        "aggregate.done": (
            "req",
            "node",
            "received",
            "expected",
            "partial",
            "reason",
            "missing",
            "started_t",
            "replies",
            "result",
            "store",
        ),
        # Extension: how long after the gather closed the reply came.
        "aggregate.late": ("req", "node", "from", "late_ms"),
    }
    section = "aggregators"
    drawing = Drawing("⋈", "#d3e4f2", "#004f7c", gettext_noop("aggregator"), 110)

    @staticmethod
    def check_graph(graph: Graph, node: dict[str, Any], at: Location) -> None:
        if node["completion"] == "count" and node["count"] is None:
            graph.add(at.child("count"), 'is required when completion is "count"')
        if node["completion"] == "deadline" and node["timeout_ms"] is None:
            graph.add(at.child("timeout_ms"), 'is required when completion is "deadline"')
        node_id = node["id"]
        if not any(e["to"] == node_id for es in graph.out.values() for _, e in es):
            graph.add(at, "aggregator receives no replies (no edge leads to it)")
        if node["store"] is not None:
            graph.check_store(node["store"], at.child("store"))

    def __init__(self, sim: Simulation, spec: dict[str, Any]):
        super().__init__(sim, spec)
        self.completion: str = spec.get("completion", "all")
        # Validation makes it an int whenever completion is "count".
        self.count: int | None = spec.get("count")
        timeout = spec.get("timeout_ms")
        self.timeout_ms: float | None = None if timeout is None else float(timeout)
        self.merge_kind: str = spec.get("merge", "concat")
        self.k = int(spec.get("k", 10))
        self.store_id: str | None = spec.get("store")
        self.store_link: Link | None = None
        self.inboxes: dict[str, Inbox] = {}
        self.pending: dict[int, Gather] = {}
        # Asynchronously, requests whose gather is over, so a late reply does
        # not open a new one; forgotten once every worker is accounted for.
        self.closed: dict[int, Gather] = {}
        self.producers: list[str] = []
        self.stored: dict[int, Any] = {}
        self.complete = 0
        self.partial = 0
        self.late = 0
        self.received_total = 0
        self.expected_total = 0
        self.done_at_snapshot = 0

    def target_from(self, source: Node) -> Target:
        inbox = self.inboxes.get(source.id)
        if inbox is None:
            inbox = self.inboxes[source.id] = Inbox(self, source.id)
        return inbox

    def wire(self, links: list[tuple[Node, dict[str, Any]]]) -> None:
        rest = []
        for node, edge in links:
            if node.id == self.store_id and edge.get("when", "ok") == "ok":
                # The edge to its own store is the write's path, not a send-on.
                self.store_link = Link(
                    self.sim, self.id, _rows(node, self.id), {**edge, "op": "write"}
                )
            else:
                rest.append((node, edge))
        super().wire(rest)
        if self.store_id is not None and self.store_link is None:
            db = self.sim.nodes[self.store_id]
            self.store_link = Link(
                self.sim,
                self.id,
                _rows(db, self.id),
                {"latency_ms": STORE_LATENCY_MS, "op": "write"},
            )

    def start(self) -> None:
        self.producers = producers_of(self.sim.doc, self.id)

    # -- opening a gather ----------------------------------------------------
    def open(self, req: Request, reply: Reply | None, workers: list[str], t0: float) -> Gather:
        """Start gathering the replies of `req` from `workers`."""
        expected = len(workers)
        need = expected
        if self.completion == "count" and self.count is not None:
            need = min(int(self.count), expected)
        gather = Gather(req, reply, workers, need, t0)
        self.pending[req.id] = gather
        if self.timeout_ms is not None:
            deadline = max(self.kernel.now, t0 + self.timeout_ms)
            self.kernel.at(deadline, self.expire, gather, None)
        return gather

    def expire(self, gather: Gather, _: object) -> None:
        if not gather.done:
            self.close(gather, DEADLINE_PASSED)

    # -- replies -------------------------------------------------------------
    def accept(self, req: Request, reply: Reply, op: str) -> None:
        """A delivery from a results topic: the publisher is named in the copy's path."""
        source = next(
            (
                hop.split(">")[0]
                for hop in reversed(req.tag.split("/"))
                if hop.split(">")[0] in self.producers
            ),
            self.producers[0] if self.producers else self.id,
        )
        inbox = self.inboxes.get(source) or self.inboxes.setdefault(source, Inbox(self, source))
        self.arrive(req, inbox, end_branch=False)
        reply(req, OK)  # the broker's acknowledgement ends this copy's branch

    def arrive(self, req: Request, inbox: Inbox, end_branch: bool = True) -> None:
        gather = self.pending.get(req.id)
        if gather is None and req.id not in self.closed:
            # Asynchronous: the first reply of a request nobody announced.
            gather = self.open(req, None, self.producers or [inbox.source], req.t0)
        if gather is None:
            gather = self.closed[req.id]
        gather.accounted += 1
        if gather.done:
            self.late += 1
            if self.log is not None:
                self.log.append(
                    (
                        "aggregate.late",
                        self.kernel.now,
                        req.id,
                        self.id,
                        inbox.source,
                        round(self.kernel.now - gather.closed_t, 6),
                    )
                )
            else:
                self.sim.seq += 1
        else:
            value = reply_value(self.merge_kind, self.k, req.key, inbox.salt)
            gather.replies.append((inbox.source, self.kernel.now, value))
            self.check(gather)
        self.forget_if_over(gather)
        if end_branch and not req.sync:
            self.sim.branch_end(req)  # this reply's branch ends here

    def worker_failed(self, req: Request, worker: str) -> None:
        """A worker failed its copy: no reply will come from it."""
        gather = self.pending.get(req.id) or self.closed.get(req.id)
        if gather is None:
            return
        gather.accounted += 1
        if not gather.done:
            gather.failed.append(worker)
            self.check(gather)
        self.forget_if_over(gather)

    def check(self, gather: Gather) -> None:
        received = len(gather.replies)
        expected = len(gather.workers)
        if received >= gather.need:
            reason = COUNT_REACHED if self.completion == "count" else ALL_ARRIVED
            if self.completion == "count" and received == expected and gather.need == expected:
                reason = ALL_ARRIVED
            self.close(gather, reason)
        elif received + len(gather.failed) >= expected:
            self.close(gather, WORKERS_FAILED)

    def forget_if_over(self, gather: Gather) -> None:
        if gather.done and gather.accounted >= len(gather.workers):
            self.pending.pop(gather.req.id, None)
            self.closed.pop(gather.req.id, None)

    # -- completion ----------------------------------------------------------
    def close(self, gather: Gather, reason: str) -> None:
        gather.done = True
        now = self.kernel.now
        gather.closed_t = now
        req = gather.req
        received = len(gather.replies)
        expected = len(gather.workers)
        partial = received < expected
        self.received_total += received
        self.expected_total += expected
        if partial:
            self.partial += 1
        else:
            self.complete += 1
        result = merge(self.merge_kind, [(w, v) for w, _, v in gather.replies], self.k)
        if self.log is not None:
            arrived = {w for w, _, _ in gather.replies}
            missing = [w for w in gather.workers if w not in arrived]
            replies = [{"from": w, "t": t, "value": v} for w, t, v in gather.replies]
            self.log.append(
                (
                    "aggregate.done",
                    now,
                    req.id,
                    self.id,
                    received,
                    expected,
                    partial,
                    reason,
                    missing,
                    gather.t0,
                    replies,
                    result,
                    self.store_id,
                )
            )
        else:
            self.sim.seq += 1
        del self.pending[req.id]
        if gather.accounted < expected:
            self.closed[req.id] = gather
        if received == 0:
            outcome = TIMED_OUT if reason == DEADLINE_PASSED else FAILED
            self.answer(gather, outcome)
            return
        if not req.sync:
            req.root.branches += len(self.calls) + (1 if self.store_link is not None else 0)
        for link in self.calls:
            link.call(req, self.sent)
        if self.store_link is not None:
            self.store_link.call(req, lambda r, outcome: self.written(gather, result, outcome))
        else:
            self.answer(gather, OK)

    def written(self, gather: Gather, result: Any, outcome: int) -> None:
        req = gather.req
        if outcome == OK:
            self.stored[req.id] = result
        self.answer(gather, outcome)
        if not req.sync:
            self.sim.branch_answered(req, outcome)

    def sent(self, req: Request, outcome: int) -> None:
        """The answer to the merged result sent on: nobody waits for it, but the
        send is a branch of an asynchronous item (counted in `close`) and ends here."""
        if not req.sync:
            self.sim.branch_answered(req, outcome)

    def answer(self, gather: Gather, outcome: int) -> None:
        if gather.reply is not None:
            gather.reply(gather.req, outcome)
        elif outcome != OK:
            self.sim.close(gather.req.root, outcome)  # the first outcome stands

    # -- statistics ----------------------------------------------------------
    def section_entry(self) -> Any:
        return self.gather_counts()

    def gather_counts(self) -> dict[str, int]:
        """The summary's `aggregators` entry; received/expected count replies in time."""
        return {
            "complete": self.complete,
            "partial": self.partial,
            "late": self.late,
            "received": self.received_total,
            "expected": self.expected_total,
        }

    def snapshot(self) -> dict[str, Any]:
        closed = self.complete + self.partial
        done = closed - self.done_at_snapshot
        self.done_at_snapshot = closed
        waiting = sum(1 for g in self.pending.values() if not g.done)
        return flow_metrics(waiting, done)

    def summary(self) -> dict[str, Any]:
        return flow_summary(self.complete + self.partial)


register(Aggregator)


def _rows(db: Node, caller: str) -> Target:
    """The store's rows by request id (validation makes `store` a database)."""
    return db.by_id(caller) if isinstance(db, Database) else db.target_for_link()
