"""Dispatchers: the scatter half of a scatter-gather.

A dispatcher sends a copy of each request down every outgoing edge (its
workers) at once, and opens a gather for it at the aggregator its workers
reply to. Its caller is answered when that aggregator completes, not when
the workers answer. A worker that fails its copy sends no reply; the
dispatcher tells the aggregator, so a gather never waits for a reply that
cannot come.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from patterns.nodes.aggregator import Aggregator
from patterns.nodes.base import (
    OK,
    Drawing,
    Node,
    Reply,
    Request,
    flow_metrics,
    flow_summary,
    register,
)
from patterns.scatter import aggregators_reached
from patterns.schema import gettext_noop

if TYPE_CHECKING:
    from patterns.nodes.base import Link
    from patterns.topology import Graph, Location


class Dispatcher(Node):
    """Sends a copy of the request to every downstream node; see the module docstring."""

    kind = "dispatcher"
    # Its copies go out at once; the aggregator answers the caller.
    sends_async = True
    drawing = Drawing("⋔", "#d3e4f2", "#004f7c", gettext_noop("dispatcher"), 100)

    @staticmethod
    def check_graph(graph: Graph, node: dict[str, Any], at: Location) -> None:
        """A dispatcher's workers all reply to one aggregator (docs/topology.md, scatter-gather)."""
        workers = graph.targets(node["id"])
        if not workers:
            graph.add(at, "dispatcher has no downstream worker")
            return
        doc = {
            "nodes": list(graph.by_id.values()),
            "edges": [e for es in graph.out.values() for _, e in es],
        }
        reached: list[str] = []
        for worker in workers:
            found = aggregators_reached(doc, worker)
            if not found:
                graph.add(at, f'worker "{worker}" replies to no aggregator')
            reached.extend(a for a in found if a not in reached)
        if len(reached) > 1:
            graph.add(at, f"workers reply to more than one aggregator ({', '.join(reached)})")

    aggregator: Aggregator
    workers: list[str]

    def wire(self, links: list[tuple[Node, dict[str, Any]]]) -> None:
        super().wire(links)
        # Workers by node id: the aggregator names the senders of replies so.
        self.workers = [node.id for node, edge in links if edge.get("when", "ok") == "ok"]

    def start(self) -> None:
        found = aggregators_reached(self.sim.doc, self.id)
        # Validation guarantees exactly one (patterns.topology).
        agg = self.sim.nodes[found[0]]
        assert isinstance(agg, Aggregator)
        self.aggregator = agg
        self.scattered = 0
        self.in_flight = 0
        self.done_at_snapshot = 0
        self.copy_answers = [
            self.copy_answer(link, name)
            for link, name in zip(self.calls, self.workers, strict=True)
        ]

    def copy_answer(self, link: Link, worker: str) -> Reply:
        agg = self.aggregator

        def answered(req: Request, outcome: int) -> None:
            if outcome != OK:
                agg.worker_failed(req, worker)

        return answered

    def accept(self, req: Request, reply: Reply, op: str) -> None:
        self.scattered += 1
        self.in_flight += 1

        def gathered(req: Request, outcome: int) -> None:
            self.in_flight -= 1
            reply(req, outcome)

        self.aggregator.open(req, gathered, self.workers, self.kernel.now)
        for link, answered in zip(self.calls, self.copy_answers, strict=True):
            link.call(req, answered)

    def snapshot(self) -> dict[str, Any]:
        done = self.scattered - self.done_at_snapshot
        self.done_at_snapshot = self.scattered
        return flow_metrics(self.in_flight, done)

    def summary(self) -> dict[str, Any]:
        return flow_summary(self.scattered)


register(Dispatcher)
