"""Filters: the stages of a pipes-and-filters pipeline.

A filter is a pool like a service (instances, concurrency, queue, resource,
cost per hour, autoscale). After its service time it goes through its
outgoing edges in order: a synchronous call (a read or write of the central
store, say) waits for its answer; a pipe to another filter or a sink, or a
publish to a topic or queue, sends `split` copies of the item at once and
goes on (`patterns.nodes.pipes`). The item it took counts as done when the
last edge is through; the item as a whole completes when every copy it
spawned has ended (`Simulation.branch_end`).

Extension (docs/topology.md, `pass_rate`): a filter may pass on only a
share of its items, as a scan that tells the next stage only when it finds
something. The others make its calls (the store's read, say) and end there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from patterns import schema
from patterns.distributions import draw, stable_hash
from patterns.nodes.base import Drawing, Node, Request, register
from patterns.nodes.service import POOL_FIELDS, Service
from patterns.schema import Int, Num, gettext_noop

if TYPE_CHECKING:
    from patterns.engine import Simulation


class Filter(Service):
    """A pipeline stage: a service whose pipes carry `split` copies of each item."""

    kind = "filter"
    fields = {
        **POOL_FIELDS,
        "split": Int(
            1,
            1,
            schema.MAX_SPLIT,
            help=gettext_noop("How many items it passes on for each one it gets."),
        ),
        # Extension: the share of items it passes down its pipes (a scan that tells the next
        # stage only what it finds); the rest end with it.
        "pass_rate": Num(
            1, 0, 1, help=gettext_noop("share of items passed down its pipes (the rest end here)")
        ),
    }
    pipe = True
    drawing = Drawing("▽", "#cfeee4", "#00664a", gettext_noop("filter"), 60)

    def __init__(self, sim: Simulation, spec: dict[str, Any]):
        super().__init__(sim, spec)
        self.pass_rate = float(spec.get("pass_rate", 1.0))
        # Its own stream: whether an item goes on does not move any other draw.
        self.pass_salt = stable_hash(sim.seed, "passes", str(spec.get("draws") or self.id))

    def wire(self, links: list[tuple[Node, dict[str, Any]]]) -> None:
        super().wire(links)
        self.kept = [link for link in self.calls if not link.asynchronous]

    def passes(self, req: Request) -> bool:
        # Drawn from the item's key alone: the same chunk passes on every run of the seed.
        return draw(req.key, self.pass_salt, 1) < self.pass_rate


register(Filter)
