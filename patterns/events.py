"""The event record, defined once for the CLI, the database, the WebSocket and the browser.

An event is a flat JSON object `{"seq", "t", "type", ...fields}`; `FIELDS`
lists, per type, the fields after those three, in order (TOPOLOGY.md "Event
stream", plus the compatible extensions marked below). While a run goes, the
engine appends compact tuples `(type, t, field values...)` to a log, which
costs little on the hot path; `to_dict` turns them into event dicts per batch,
off the hot loop, and numbers them with a gap-free `seq`.

The `metrics` event (every `METRICS_INTERVAL_MS` of simulated time while
recording) carries `nodes`: `{node id: {"in_flight", "queued", "utilization",
"completed", "instances_up"}}` where `in_flight` counts requests the node holds
(queued or being worked on, including waits on downstream calls), `queued`
those waiting for a worker, `utilization` the busy fraction of its workers
since the previous metrics event (0..1), `completed` how many it finished
since then, and `instances_up` its instances able to serve.
"""

from __future__ import annotations

from typing import Any, TypedDict

from patterns.balancing import Pick

METRICS_INTERVAL_MS = 1000.0
# How many `lb.pick` reasons a balancer's algorithm keeps for reuse (_lb_pick).
REASONS_KEPT = 4096

FIELDS: dict[str, tuple[str, ...]] = {
    "msg.send": ("req", "from", "to", "arrive_t"),
    "node.start": ("req", "node", "instance"),
    "node.finish": ("req", "node", "instance"),
    "node.reject": ("req", "node", "instance"),
    # Extension: a node failed a request (failure_rate, a crash, a failed call).
    "node.fail": ("req", "node", "instance", "reason"),
    "lb.pick": ("req", "lb", "session", "chosen", "candidates", "reason"),
    # Extension: a balancer's health checks changed their view of a target.
    "lb.health": ("lb", "target", "healthy", "reason"),
    # Extension: why it closed, the workers missing, when the gather opened,
    # the replies in time ({"from", "t", "value"}), the merged result, and the
    # database it is stored in (or null).
    "aggregate.done": ("req", "node", "received", "expected", "partial", "reason", "missing",
                       "started_t", "replies", "result", "store"),
    # Extension: how long after the gather closed the reply came.
    "aggregate.late": ("req", "node", "from", "late_ms"),
    "timeout": ("req", "node", "missing"),
    # Extended with the replica running the saga and the node the step calls
    # (none for the saga's end states); `step` indexes the flat list of call
    # steps (patterns/nodes/orchestrator.py).
    "saga": ("req", "node", "state", "step", "attempt", "replica", "call"),
    # Extension: the result of one call of a saga step (ok, failed, timed_out).
    "saga.step": ("req", "node", "replica", "step", "call", "attempt", "outcome"),
    "fault": ("fault",),
    "instance.up": ("instance", "reason"),
    "instance.down": ("instance", "reason"),
    # Extension: an autoscaler changed a pool's size.
    "autoscale": ("node", "from", "to", "utilization", "reason"),
    "request.done": ("req", "origin", "latency_ms", "outcome"),
    "metrics": ("nodes",),
    # Extensions for brokers and pipelines (patterns/nodes/broker.py): a
    # message delivered again after its consumer failed it (`attempt` counts
    # from 1), a message dead-lettered after `deliveries` failed deliveries,
    # a copy a sink has already received (at-least-once), and a pool resized
    # by hand (`Simulation.scale`).
    "broker.redeliver": ("req", "node", "group", "attempt", "reason"),
    "broker.dead": ("req", "node", "group", "deliveries"),
    "item.duplicate": ("req", "node", "tag"),
    "scale": ("node", "from", "to", "reason"),
    # Extensions for rows kept by request id (patterns/nodes/database.py): an
    # aggregator's result written to its store, and a client's fetch of it
    # (`attempt` counts from 1; `found` is false while nothing is written).
    "store.write": ("req", "node", "from"),
    "store.read": ("req", "node", "from", "attempt", "found"),
}


class Event(TypedDict, total=False):
    """One event as every consumer reads it; the fields beyond these depend on `type`."""

    seq: int
    t: float
    type: str


def _builder(kind: str) -> Any:
    """A function `(seq, record) -> dict` for one type, written out as a dict literal.

    Built once per type from FIELDS: a literal is several times faster than
    filling a dict in a loop, and this runs once per recorded event.
    """
    names = FIELDS[kind]
    items = ", ".join(f"{name!r}: r[{k + 2}]" for k, name in enumerate(names))
    source = f"lambda seq, r: {{'seq': seq, 't': r[1], 'type': {kind!r}, {items}}}"
    return eval(source)  # noqa: S307 - built from the constant FIELDS above


_BUILDERS = {kind: _builder(kind) for kind in FIELDS}


def _lb_pick(seq: int, r: tuple[Any, ...]) -> dict[str, Any]:
    # Logged by LoadBalancer.accept as (..., chosen, algorithm, candidate
    # indices, every target's load, chosen index, the algorithm's note).
    algorithm, cands, loads = r[6], r[7], r[8]
    names = algorithm.lb.names
    if len(cands) == len(loads):
        # Every target is a candidate (cands[j] == j), the common case: the
        # logged copy of the loads is the candidates' loads, in order, and
        # nothing else holds it. `names` may have grown since (targets added
        # after the pick): the first len(loads) of them are those targets.
        cand_loads = loads
        candidates = [{"target": n, "load": x} for n, x in zip(names, loads, strict=False)]
    else:
        cand_loads = [loads[c] for c in cands]
        candidates = [{"target": names[c], "load": loads[c]} for c in cands]
    reasons = algorithm.reasons
    if reasons is None:
        reason = algorithm.explain(Pick(algorithm, cands, cand_loads, r[9], r[4], r[10]))
    else:
        # The same chosen index, note and loads of the same candidates give
        # the same words: a balancer sees few such combinations.
        # Every target a candidate: the loads' length says which they are.
        key = (r[9], r[10], None if cand_loads is loads else tuple(cands), tuple(cand_loads))
        reason = reasons.get(key)
        if reason is None:
            if len(reasons) >= REASONS_KEPT:
                reasons.clear()
            reason = reasons[key] = algorithm.explain(
                Pick(algorithm, cands, cand_loads, r[9], r[4], r[10])
            )
    return {
        "seq": seq,
        "t": r[1],
        "type": "lb.pick",
        "req": r[2],
        "lb": r[3],
        "session": r[4],
        "chosen": r[5],
        # Pick.candidates(), from the loads of every target as logged.
        "candidates": candidates,
        "reason": reason,
    }


def _fault(seq: int, r: tuple[Any, ...]) -> dict[str, Any]:
    # The fault object is spread into the event, as applied.
    return {"seq": seq, "t": r[1], "type": "fault", **r[2]}


_BUILDERS["lb.pick"] = _lb_pick
_BUILDERS["fault"] = _fault


def to_dict(seq: int, record: tuple[Any, ...]) -> dict[str, Any]:
    """Build the event dict of a logged tuple `(type, t, field values...)`."""
    return _BUILDERS[record[0]](seq, record)  # type: ignore[no-any-return]


def to_dicts(first_seq: int, records: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Build the event dicts of a batch of logged tuples, numbered from `first_seq`."""
    builders = _BUILDERS
    return [builders[r[0]](first_seq + k, r) for k, r in enumerate(records)]
