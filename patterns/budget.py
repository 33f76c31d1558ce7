"""A run's budget: how much work and memory one run may take before it is stopped.

A document may be valid and still make unbounded work: an asynchronous
cycle whose messages each come back as more than one (a topic that feeds a
node that publishes on the same topic again) grows geometrically, and even
a cycle that only passes one message round and round makes each copy's path
(`Request.tag`) longer at every hop. The engine does not try to prove a run
finite; it measures, and stops a run that goes over its `Budget`, naming the
node where the storm grows (`Simulation.failure`).

What is measured, and where:

- `in_flight`: messages held at once, in transit (the kernel's heap), queued
  at a broker or an instance, or being served. This is what memory grows with.
- `events_per_second` and `events`: the kernel's scheduled events (callbacks)
  within one simulated second, and in the whole run: the work, in the unit the
  engine spends it (the recorded stream has about as many).
- `hops`: asynchronous hops one message may take (publishes and pipes). A
  path through a graph without cycles is at most as long as its nodes are
  many, so only a message going round a cycle gets near it.

The first three are checked every `CHECK_SPACING` scheduled events
(`Kernel.checkpoint`): nothing is added to the per-event path but one
comparison. The hop count is checked where a message is copied down an
asynchronous edge, off the synchronous call path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from patterns.engine import Simulation

# How many scheduled events apart the budget is looked at. Between two looks
# a storm can add at most this many messages (each one is scheduled at least once).
CHECK_SPACING = 16_384
SIMULATED_SECOND_MS = 1000.0


@dataclass(frozen=True)
class Budget:
    """The most one run may take; see the module docstring. The CLI's defaults are these."""

    in_flight: int = 200_000
    events_per_second: int = 5_000_000
    events: int = 500_000_000
    hops: int = 100

    def __post_init__(self) -> None:
        for name in ("in_flight", "events_per_second", "events", "hops"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"budget {name} must be a whole number >= 1 (got {value!r})")


def spacing(sim: Simulation) -> int:
    """Scheduled events between two looks: more for pools so large that a look costs more."""
    from patterns.topology import instance_count

    slots = sum(instance_count(spec) for spec in sim.doc["nodes"])
    return max(CHECK_SPACING, 8 * slots)


def look(sim: Simulation, seq: int) -> None:
    """The kernel's checkpoint: stop the run (`Simulation.over_budget`) if it is over its budget."""
    kernel = sim.kernel
    budget = sim.budget
    now = kernel.now
    if seq > budget.events:
        sim.over_budget(
            busiest(sim)[0],
            f"{seq:,} events so far, over the run's limit of {budget.events:,}",
        )
        return
    if now - sim.window_t >= SIMULATED_SECOND_MS:
        sim.window_t, sim.window_seq = now, seq
    elif seq - sim.window_seq > budget.events_per_second:
        node, _ = busiest(sim)
        sim.over_budget(
            node,
            f"{seq - sim.window_seq:,} events within one simulated second "
            f"(from {sim.window_t / 1000:g} s), over the limit of {budget.events_per_second:,}",
        )
        return
    # The next look: after `spacing` more events, or exactly where an event limit would be passed.
    kernel.checkpoint = min(
        seq + sim.spacing, budget.events + 1, sim.window_seq + budget.events_per_second + 1
    )
    held = len(kernel.heap)
    for node_ in sim.nodes.values():
        held += node_.backlog()
    if held > budget.in_flight:
        node, here = busiest(sim)
        sim.over_budget(
            node,
            f"{held:,} messages in flight, over the limit of {budget.in_flight:,} "
            f"({here:,} of them queued at, served by or on their way to {node})",
        )


def busiest(sim: Simulation) -> tuple[str, int]:
    """The node holding the most messages (queued, in service, or scheduled for it).

    Runs only when a run is stopped: it walks the whole heap.
    """
    counts: dict[str, int] = {node_id: node.backlog() for node_id, node in sim.nodes.items()}
    for entry in sim.kernel.heap:
        owner = _owner(entry[3], entry[4])
        if owner is not None:
            counts[owner] = counts.get(owner, 0) + 1
    if not counts:
        return "", 0
    node_id = max(counts, key=lambda n: counts[n])
    return node_id, counts[node_id]


def _owner(fn: Any, arg: Any) -> str | None:
    """The node a scheduled callback works for: its object's node, broker or link target."""
    from patterns.nodes.base import Node

    for obj in (getattr(fn, "__self__", None), arg):
        for _ in range(4):
            if obj is None:
                break
            if isinstance(obj, Node):
                return obj.id
            obj = next(
                (
                    getattr(obj, name)
                    for name in ("node", "broker", "target", "db", "group", "inst", "link")
                    if getattr(obj, name, None) is not None
                ),
                None,
            )
    return None


def too_many_hops(sim: Simulation, node_id: str, tag: str) -> None:
    """Stop the run: a message at `node_id` has taken more asynchronous hops than the budget allows.

    The message's path (`tag`, "/a>b/b>c.0/...") shows the cycle it goes round:
    the senders of its last hops, back to the first one that repeats.
    """
    senders = [hop.split(">", 1)[0] for hop in tag.split("/")[1:]]
    cycle: list[str] = []
    for sender in reversed(senders):
        cycle.append(sender)
        if len(cycle) > 1 and sender == cycle[0]:
            break
    loop = " -> ".join(reversed(cycle))
    sim.over_budget(
        node_id,
        f"a message has taken {len(senders):,} asynchronous hops, going round {loop}, "
        f"over the limit of {sim.budget.hops:,} hops",
    )
