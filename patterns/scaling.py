"""Resizing a stage by hand while a run goes (`Simulation.scale`).

New instances serve at once and, when the node consumes from a topic or
queue, start on its backlog at once; surplus instances drain (they take
nothing new, finish what they hold, then stop), as the autoscaler does it.
An autoscaled node keeps autoscaling afterwards. Every resize is a `scale`
event `{"node", "from", "to", "reason"}`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from patterns.nodes.base import listed
from patterns.nodes.service import UP, Service
from patterns.schema import MAX_INSTANCES
from patterns.topology import Problem, TopologyError

if TYPE_CHECKING:
    from patterns.engine import Simulation


def scalable_kinds() -> list[str]:
    """The kinds a pool of which can be resized by hand (`Node.scalable`), in palette order."""
    return [cls.kind for cls in listed() if cls.scalable]


def check(sim: Simulation, node_id: Any, instances: Any) -> list[Problem]:
    """Problems of a scale request against a running simulation.

    Their paths are `scale.node` and `scale.instances`.
    """
    problems = []
    node = sim.nodes.get(node_id) if isinstance(node_id, str) else None
    if node is None:
        problems.append(Problem("scale.node", f"no node {node_id!r}"))
    elif not node.scalable:
        only = ", ".join(scalable_kinds())
        problems.append(
            Problem("scale.node", f"a {node.kind} cannot be scaled by hand (only {only})")
        )
    if isinstance(instances, bool) or not isinstance(instances, int):
        problems.append(Problem("scale.instances", "expected a whole number"))
    elif not 1 <= instances <= MAX_INSTANCES:
        problems.append(Problem("scale.instances", f"must be between 1 and {MAX_INSTANCES}"))
    return problems


def scale(sim: Simulation, node_id: Any, instances: Any, reason: str = "scaled by hand") -> None:
    """Resize `node_id`'s pool to `instances` serving instances now.

    Raises TopologyError if the request is invalid (checked here, so the
    arguments are `Any`: see Simulation.__init__).
    """
    problems = check(sim, node_id, instances)
    if problems:
        raise TopologyError(problems)
    node = sim.nodes[node_id]
    assert isinstance(node, Service)
    serving = [i for i in node.all if i.state == UP]
    have = len(serving)
    if sim.log is not None:
        sim.log.append(("scale", sim.kernel.now, node_id, have, instances, reason))
    else:
        sim.seq += 1
    # Draining instances are kept and stopped slots reused before new ones
    # are added, so instance names stay below the largest size asked for.
    node.grow(max(0, instances - have), UP, reason)
    surplus = have - instances
    for inst in sorted(serving, key=lambda i: -i.index)[: max(0, surplus)]:
        # Drained instances stop when their last job ends (Service.idle).
        inst.idle_hook = node.idle
        node.drain(inst, reason)
