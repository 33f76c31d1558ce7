"""Faults: crash, slow and zone_down, from the document's schedule or injected live.

Each fault is logged as a `fault` event, as applied (its `instance` by name,
NODE#INDEX, as in every event), and undone after `for_ms` when it has one.
Crashes nest: an instance crashed twice comes back when both have ended.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from patterns.kernel import URGENT
from patterns.topology import load_fault

if TYPE_CHECKING:
    from patterns.engine import Simulation


def inject(sim: Simulation, fault: Any) -> None:
    """Validate `fault` against the run's document and apply it now."""
    normalised = dict(load_fault(sim.doc, fault))
    normalised["at_ms"] = sim.kernel.now
    apply(sim, normalised)


def apply(sim: Simulation, fault: dict[str, Any]) -> None:
    """Apply a valid fault at the current time and schedule its end."""
    kernel = sim.kernel
    if sim.log is not None:
        logged = {k: v for k, v in fault.items() if v is not None}
        if "instance" in logged:
            logged["instance"] = f"{fault['node']}#{logged['instance']}"
        sim.log.append(("fault", kernel.now, logged))
    else:
        sim.seq += 1
    kind = fault["kind"]
    targets = _targets(sim, fault)
    if kind == "crash" or kind == "zone_down":
        reason = "crash" if kind == "crash" else f"zone {fault['zone']} down"
        for node, instance in targets:
            node.crash(instance, reason)
    elif kind == "slow":
        for node, instance in targets:
            node.set_slow(instance, float(fault.get("factor", 10)))
    for_ms = fault.get("for_ms")
    if for_ms:
        kernel.at(kernel.now + float(for_ms), _end, fault, targets, URGENT)


def _end(fault: dict[str, Any], targets: list[tuple[Any, int | None]]) -> None:
    kind = fault["kind"]
    for node, instance in targets:
        if kind == "slow":
            node.set_slow(instance, 1.0)
        else:
            node.recover(
                instance, "crash over" if kind == "crash" else f"zone {fault['zone']} back"
            )


def _targets(sim: Simulation, fault: dict[str, Any]) -> list[tuple[Any, int | None]]:
    if fault["kind"] != "zone_down":
        return [(sim.nodes[fault["node"]], fault.get("instance"))]
    zone = fault["zone"]
    out: list[tuple[Any, int | None]] = []
    for node in sim.nodes.values():
        in_zone = getattr(node, "in_zone", None)
        if in_zone is not None:
            out.extend((node, i) for i in in_zone(zone))
        elif zone in node.zones():
            out.append((node, None))
    return out
