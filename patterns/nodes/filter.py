"""Filters: the stages of a pipes-and-filters pipeline.

A filter is a pool like a service (instances, concurrency, queue, resource,
cost per hour, autoscale). After its service time it goes through its
outgoing edges in order: a synchronous call (a read or write of the central
store, say) waits for its answer; a pipe to another filter or a sink, or a
publish to a topic or queue, sends `split` copies of the item at once and
goes on (`patterns.nodes.pipes`). The item it took counts as done when the
last edge is through; the item as a whole completes when every copy it
spawned has ended (`Simulation.branch_end`).
"""

from __future__ import annotations

from patterns.nodes.base import register
from patterns.nodes.service import Service


@register("filter")
class Filter(Service):
    """A pipeline stage: a service whose pipes carry `split` copies of each item."""
