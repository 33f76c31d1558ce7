"""What an engineer sizing a pipeline looks at: backlog, cost and the bottleneck.

A stage is a pool (service, filter or function). Its backlog is what waits
for its workers: its own queues plus the FIFOs of the topic and queue groups
it consumes from. `annotate` adds to each stage's `metrics` entry its
`backlog`, `instances`, `cost_per_hour` (at its current size) and
`bottleneck` (true for at most one stage); `summarize` adds to the summary a
`bottleneck` and a `cost` over the whole run.

The bottleneck, live: among the stages whose workers were busy at least
`SATURATED` of the last interval and whose backlog is not shrinking, the one
with the highest utilisation (then the longest backlog). Over a run: among
the stages busy at least `SATURATED` of their serving time that ever had a
backlog, the one with the highest utilisation (then the longest backlog).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from patterns.nodes.broker import groups_feeding
from patterns.nodes.emitters import Client
from patterns.nodes.service import UP, Service

if TYPE_CHECKING:
    from patterns.engine import Simulation

SATURATED = 0.85
# Over a whole run a stage scaled mid-run averages out: a lower bar.
RUN_SATURATED = 0.5
MS_PER_HOUR = 3_600_000.0


def stages(sim: Simulation) -> dict[str, Service]:
    return {
        node_id: node
        for node_id, node in sim.nodes.items()
        if isinstance(node, Service) and node.stage
    }


def _fed_backlog(node: Service) -> tuple[int, int]:
    """(now, max) of the broker FIFOs feeding `node`."""
    groups = groups_feeding(node)
    return sum(len(g.pending) for g in groups), max((g.queue_max for g in groups), default=0)


def _serving(node: Service) -> int:
    return sum(1 for i in node.all if i.state == UP and not i.crashed)


def annotate(sim: Simulation, nodes: dict[str, Any]) -> dict[str, Any]:
    """Add backlog, instances, cost and the live bottleneck flag to the stages' metrics entries."""
    previous = sim.stage_backlogs
    current: dict[str, int] = {}
    best: tuple[float, int, str] | None = None
    for node_id, node in stages(sim).items():
        entry = nodes.get(node_id)
        if entry is None:
            continue
        backlog = entry["queued"] + _fed_backlog(node)[0]
        current[node_id] = backlog
        serving = _serving(node)
        entry["backlog"] = backlog
        entry["instances"] = serving
        entry["cost_per_hour"] = round(serving * float(node.spec.get("cost_per_hour", 0)), 4)
        entry["bottleneck"] = False
        util = entry["utilization"]
        shrinking = backlog < 0.9 * previous.get(node_id, 0)
        if util >= SATURATED and backlog > 0 and not shrinking:
            key = (util, backlog, node_id)
            if best is None or key[:2] > best[:2]:
                best = key
    if best is not None:
        nodes[best[2]]["bottleneck"] = True
    sim.stage_backlogs = current
    return nodes


def items(sim: Simulation) -> dict[str, int]:
    """The summary's `items`: the sources' items by what became of them.

    No transaction spans a pipeline's stages: when one copy of an item fails
    (a chunk a stage could not process), the item fails, but its other
    copies go on to their sinks. `partial` counts the failed items of which
    some copies still arrived (partly processed), `failed` those of which
    none did; `completed` the items every copy of which ended well.
    """
    completed = 0
    for node in sim.nodes.values():
        if isinstance(node, Client) and not node.sync and sim.lanes is not None:
            completed += sim.lanes[node.id].counts[0]
    if sim.lanes is None:
        completed = sim.counts[0]  # one emitter, a source
    partial = sum(1 for req in sim.failed_items if req.delivered > 0)
    return {
        "completed": completed,
        "partial": partial,
        "failed": len(sim.failed_items) - partial,
    }


def summarize(sim: Simulation, nodes: dict[str, Any]) -> dict[str, Any]:
    """The run's bottleneck and cost; adds `cost_per_hour`, `cost`, `backlog_max` per stage.

    The per-stage figures go into the stages' entries of `nodes`.
    """
    now = sim.end_t if sim.finished else sim.kernel.now
    per_hour = total = 0.0
    best: tuple[float, int, str] | None = None
    for node_id, node in stages(sim).items():
        entry = nodes.get(node_id)
        if entry is None:
            continue
        rate = float(node.spec.get("cost_per_hour", 0))
        hours = sum(i.serving_ms() for i in node.all) / MS_PER_HOUR
        entry["instances_now"] = _serving(node)
        entry["cost_per_hour"] = round(entry["instances_now"] * rate, 4)
        entry["cost"] = round(hours * rate, 6)
        backlog_max = max(entry["queue_max"], _fed_backlog(node)[1])
        entry["backlog_max"] = backlog_max
        per_hour += entry["cost_per_hour"]
        total += entry["cost"]
        if entry["utilization"] >= RUN_SATURATED and backlog_max > 0:
            key = (entry["utilization"], backlog_max, node_id)
            if best is None or key[:2] > best[:2]:
                best = key
    bottleneck = None
    if best is not None:
        bottleneck = {"node": best[2], "utilization": best[0], "queue_max": best[1]}
    return {
        "bottleneck": bottleneck,
        "cost": {
            "per_hour": round(per_hour, 4),
            "total": round(total, 6),
            "sim_hours": round(now / MS_PER_HOUR, 6),
        },
    }
