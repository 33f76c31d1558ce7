"""Lanes: each client's (or source's) own results, for documents that put
several designs side by side (docs/events.md, "The summary", `lanes`).

A lane is a client and the nodes reachable from it over edges that no other
client reaches; for a client with a `traffic` name, no other client with the
same name (so the lanes of a design fed by several streams, say shoppers and
a flash sale, each show that design's pools). Its requests, failures and
latency are its own requests' (counted where each request gets its outcome,
`Simulation.close`); the utilisation and cost are those of the pools among
its nodes, the cost also as a mean rate per hour of the run. A node that
rival clients both reach (a shared store, say) belongs to no lane: its load
cannot be split between them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from patterns.nodes.service import Service
from patterns.stats import Histogram

if TYPE_CHECKING:
    from patterns.engine import Simulation

MS_PER_HOUR = 3_600_000.0


class Lane:
    """One client's outcomes (the `counts` of Simulation) and latency of its completed requests."""

    __slots__ = ("counts", "latency")

    def __init__(self) -> None:
        self.counts = [0, 0, 0, 0]
        self.latency = Histogram()


def own_nodes(doc: dict[str, Any], clients: list[str]) -> dict[str, list[str]]:
    """Each client's lane: what it reaches and no other client does, in document order."""
    outgoing: dict[str, list[str]] = {}
    for edge in doc.get("edges", []):
        outgoing.setdefault(edge["from"], []).append(edge["to"])
    reached: dict[str, set[str]] = {}
    for client in clients:
        seen = {client}
        stack = [client]
        while stack:
            for nxt in outgoing.get(stack.pop(), []):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        reached[client] = seen
    order = [spec["id"] for spec in doc["nodes"]]
    traffic = {spec["id"]: spec.get("traffic") for spec in doc["nodes"]}
    lanes: dict[str, list[str]] = {}
    for client in clients:
        # Its rivals: the clients fed the same traffic, or all others if it names none.
        others: set[str] = set()
        for other in clients:
            if other != client and (traffic[client] is None or traffic[other] == traffic[client]):
                others |= reached[other]
        lanes[client] = [n for n in order if n in reached[client] and n not in others]
    return lanes


def summarize(sim: Simulation, lanes: dict[str, Lane]) -> dict[str, Any]:
    """The summary's `lanes` section: per client, its requests, latency, pools and cost."""
    specs = {spec["id"]: spec for spec in sim.doc["nodes"]}
    members = own_nodes(sim.doc, list(lanes))
    now = sim.end_t if sim.finished else sim.kernel.now
    hours = now / MS_PER_HOUR
    out: dict[str, Any] = {}
    for client_id, lane in lanes.items():
        node = sim.nodes[client_id]
        c = lane.counts
        pools: dict[str, float] = {}
        busy = capacity = cost = 0.0
        for node_id in members[client_id]:
            pool = sim.nodes[node_id]
            if not isinstance(pool, Service):
                continue  # not a pool of instances (a balancer, a broker, a client)
            area = sum(i.utilization_area() for i in pool.all)
            serving = sum(i.serving_ms() for i in pool.all)
            whole = serving * pool.concurrency
            pools[node_id] = round(min(1.0, area / whole), 4) if whole > 0 else 0.0
            busy += area
            capacity += whole
            cost += float(specs[node_id].get("cost_per_hour", 0) or 0) * serving / MS_PER_HOUR
        out[client_id] = {
            "label": specs[client_id].get("label") or client_id,
            "traffic": specs[client_id].get("traffic"),
            "nodes": members[client_id],
            "requests": {
                "started": getattr(node, "emitted", 0),
                "completed": c[0],
                "failed": c[1],
                "rejected": c[2],
                "timed_out": c[3],
            },
            "latency_ms": lane.latency.summary(),
            "utilization": round(min(1.0, busy / capacity), 4) if capacity > 0 else 0.0,
            "pools": pools,
            "cost": round(cost, 6),
            # The mean rate over the run: an autoscaled pool's instance hours
            # over the run's hours, so lanes that scale differently compare.
            "cost_per_hour": round(cost / hours, 4) if hours > 0 else 0.0,
        }
    return out
