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

METRICS_INTERVAL_MS = 1000.0

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
    "aggregate.done": ("req", "node", "received", "expected", "partial"),
    "aggregate.late": ("req", "node", "from"),
    "timeout": ("req", "node", "missing"),
    "saga": ("req", "node", "state", "step", "attempt"),
    "fault": ("fault",),
    "instance.up": ("instance", "reason"),
    "instance.down": ("instance", "reason"),
    # Extension: an autoscaler changed a pool's size.
    "autoscale": ("node", "from", "to", "utilization", "reason"),
    "request.done": ("req", "origin", "latency_ms", "outcome"),
    "metrics": ("nodes",),
}


class Event(TypedDict, total=False):
    """One event as every consumer reads it; the fields beyond these depend on `type`."""

    seq: int
    t: float
    type: str


def to_dict(seq: int, record: tuple[Any, ...]) -> dict[str, Any]:
    """Build the event dict of a logged tuple `(type, t, field values...)`."""
    kind = record[0]
    event: dict[str, Any] = {"seq": seq, "t": round(record[1], 6), "type": kind}
    for name, value in zip(FIELDS[kind], record[2:], strict=True):
        event[name] = value
    if kind == "fault":
        # The fault object is spread into the event, as applied.
        event.update(event.pop("fault"))
    return event
