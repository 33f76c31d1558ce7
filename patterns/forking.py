"""Fork from a moment: replay a run to a time, change one thing, go on (docs/experiments.md).

A run is a function of its document, its seed and what was done to it while
it ran (faults injected, pools scaled, fields set: its *steps*). So a fork
needs no saved state: `fork` builds the simulation again, replays the steps
at the simulated times they were applied, advances to the fork time, then
applies the user's change. Every event up to that moment is the same, byte
for byte, as the original's (tests/patterns/test_forking.py); only what the
change implies differs after it.

A change (and a step) is one of:

- `{"kind": "scale", "node", "instances"}`: resize a service or filter now;
- `{"kind": "fault", "fault": {...}}`: a fault as in docs/topology.md, now;
- `{"kind": "set", "node", "field", "value"}`: one field of a running node,
  from now on: a client's or source's `rate`, a balancer's `algorithm`, an
  aggregator's deadline `timeout_ms` (gathers opened from now on). Logged as
  a `change` event.

`steps_of(doc, events)` reads a run's steps back from its events (an
injected `fault`, every `scale` and `change`), so a fork of a fork replays
its parent's change too.
"""

from __future__ import annotations

from typing import Any, Final

from patterns.balancing import ALGORITHMS
from patterns.budget import Budget
from patterns.engine import Simulation
from patterns.nodes.aggregator import Aggregator
from patterns.nodes.emitters import Client
from patterns.nodes.load_balancer import LoadBalancer
from patterns.scaling import scalable_kinds
from patterns.schema import MAX_INSTANCES, MAX_RATE
from patterns.topology import Problem, TopologyError, check_fault, load

KINDS: Final = ("scale", "fault", "set")
# The fields a running node can take a new value of, by node kind.
SETTABLE: Final = {
    "client": ("rate",),
    "source": ("rate",),
    "load_balancer": ("algorithm",),
    "aggregator": ("timeout_ms",),
}
# The event types that record a step (everything else follows from the document and seed).
STEP_EVENTS: Final = ("fault", "scale", "change")


def check(doc: dict[str, Any], change: Any) -> list[Problem]:
    """Problems of a change against a loaded document; paths start with `change`."""
    if not isinstance(change, dict):
        return [Problem("change", "expected a change object with a kind")]
    kind = change.get("kind")
    if kind not in KINDS:
        return [Problem("change.kind", f"expected one of {', '.join(KINDS)}")]
    if kind == "fault":
        fault = change.get("fault")
        if not isinstance(fault, dict):
            return [Problem("change.fault", "expected a fault object")]
        return [Problem(f"change.{p.path}", p.message) for p in check_fault(doc, fault)]
    kinds = {n["id"]: n["kind"] for n in doc["nodes"]}
    node = change.get("node")
    if not isinstance(node, str) or node not in kinds:
        return [Problem("change.node", f"no node {node!r}")]
    if kind == "scale":
        if kinds[node] not in scalable_kinds():
            return [Problem("change.node", f"a {kinds[node]} cannot be scaled")]
        n = change.get("instances")
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_INSTANCES:
            return [Problem("change.instances", f"a whole number from 1 to {MAX_INSTANCES}")]
        return []
    field = change.get("field")
    allowed = SETTABLE.get(kinds[node], ())
    if field not in allowed:
        what = ", ".join(allowed) if allowed else "nothing"
        return [Problem("change.field", f"a running {kinds[node]} can change {what}")]
    value = change.get("value")
    if field == "rate":
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not 0 < float(value) <= MAX_RATE
        ):
            return [Problem("change.value", f"a rate above 0 and at most {MAX_RATE:g}")]
    elif field == "algorithm":
        if value not in ALGORITHMS:
            return [Problem("change.value", f"one of {', '.join(ALGORITHMS)}")]
    elif value is not None and (
        isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1e9
    ):
        return [Problem("change.value", "a deadline in ms from 0 to 10^9, or null for none")]
    return []


def apply(sim: Simulation, change: Any) -> None:
    """Apply a change to a running simulation now; TopologyError if it is refused."""
    problems = check(sim.doc, change)
    if problems:
        raise TopologyError(problems)
    kind = change["kind"]
    if kind == "fault":
        sim.inject(change["fault"])
        return
    if kind == "scale":
        sim.scale(change["node"], change["instances"])
        return
    node_id, field, value = change["node"], change["field"], change["value"]
    node = sim.nodes[node_id]
    before: Any = None
    if isinstance(node, Client):
        before = round(1000.0 / node.gap_ms, 9)
        # The next arrival is already drawn; each one after it waits 1000/rate
        # ms times the same uniform draw as before, so the arrivals stay common.
        node.gap_ms = 1000.0 / float(value)
    elif isinstance(node, LoadBalancer):
        before = node.algorithm.name
        node.algorithm = ALGORITHMS[value](node)
        node.algorithm.changed()
    elif isinstance(node, Aggregator):
        before = node.timeout_ms
        # Gathers already open keep the deadline they were given.
        node.timeout_ms = None if value is None else float(value)
    if sim.log is not None:
        sim.log.append(("change", sim.kernel.now, node_id, field, before, value))
    else:
        sim.seq += 1


def steps_of(doc: Any, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The steps of a run from its events in seq order: `[{"t", "change"}]`.

    A `fault` event is a step unless it is one of the document's own faults
    (each matched once, in order: the document replays them by itself).
    """
    loaded = load(doc)
    scheduled = [{k: v for k, v in f.items() if v is not None} for f in loaded.get("faults", [])]
    steps: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("type")
        if kind == "fault":
            # The fault's fields are spread into the event (docs/events.md).
            fault = {k: v for k, v in event.items() if k not in ("seq", "t", "type")}
            # The event names the instance ("api#1"); a fault, as a document writes it,
            # gives its index.
            named = fault.get("instance")
            if isinstance(named, str) and "#" in named:
                fault["instance"] = int(named.rsplit("#", 1)[1])
            if fault in scheduled:
                scheduled.remove(fault)
                continue
            steps.append({"t": event["t"], "change": {"kind": "fault", "fault": fault}})
        elif kind == "scale":
            change = {"kind": "scale", "node": event["node"], "instances": event["to"]}
            steps.append({"t": event["t"], "change": change})
        elif kind == "change":
            change = {
                "kind": "set",
                "node": event["node"],
                "field": event["field"],
                "value": event["to"],
            }
            steps.append({"t": event["t"], "change": change})
    return steps


def _run_to(sim: Simulation, t: float) -> None:
    # The kernel directly, not `advance`: the events stay in the log, so the
    # caller's first `advance` returns the whole replayed prefix, numbered from 0.
    if not sim.finished:
        sim.kernel.run(t)


def replay(
    doc: Any,
    seed: int | None,
    steps: list[dict[str, Any]],
    until_ms: float,
    budget: Budget | None = None,
) -> Simulation:
    """A simulation advanced to `until_ms` with the `steps` up to then applied where they were."""
    sim = Simulation(doc, seed=seed, budget=budget)
    for step in steps:
        t = float(step["t"])
        if t > until_ms:
            break
        _run_to(sim, t)
        apply(sim, step["change"])
    _run_to(sim, until_ms)
    return sim


def fork(
    doc: Any,
    seed: int | None,
    steps: list[dict[str, Any]],
    at_ms: float,
    change: Any,
    budget: Budget | None = None,
) -> Simulation:
    """The original replayed to `at_ms`, then `change` applied: ready to go on.

    Its log holds every event so far (the first `advance` returns them from
    seq 0). TopologyError if the change is refused or the run had ended by then.
    """
    problems = check(load(doc), change)
    if problems:
        raise TopologyError(problems)
    sim = replay(doc, seed, steps, at_ms, budget)
    if sim.done:
        raise TopologyError([Problem("t", f"the run had ended by {at_ms:g} ms")])
    apply(sim, change)
    return sim
