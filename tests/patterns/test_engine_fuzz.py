"""Random valid topologies: the engine never raises and always accounts for every request."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from patterns import Simulation
from patterns.balancing import ALGORITHMS
from patterns.topology import check

durations = st.one_of(
    st.integers(0, 30),
    st.builds(lambda m: {"dist": "exponential", "mean_ms": m}, st.integers(1, 30)),
    st.builds(
        lambda a, b: {"dist": "uniform", "min_ms": a, "max_ms": a + b},
        st.integers(0, 10),
        st.integers(0, 20),
    ),
    st.builds(
        lambda m, s: {"dist": "lognormal", "median_ms": m, "sigma": s},
        st.integers(1, 20),
        st.floats(0.1, 1.5),
    ),
)


@st.composite
def topologies(draw: Any) -> dict[str, Any]:
    """client -> [lb ->] tier(s) [-> database], with random pools, faults and limits."""
    nodes: list[dict[str, Any]] = [
        {
            "id": "users",
            "kind": "client",
            "rate": draw(st.integers(5, 150)),
            "sessions": draw(st.integers(1, 20)),
        }
    ]
    edges: list[dict[str, Any]] = []
    zones = draw(st.sampled_from([[], ["a"], ["a", "b"]]))
    pools = []
    for k in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["service", "service", "function"]))
        node: dict[str, Any] = {
            "id": f"p{k}",
            "kind": kind,
            "service_time": draw(durations),
            "concurrency": draw(st.integers(1, 3)),
            "failure_rate": draw(st.sampled_from([0, 0, 0.1, 0.5])),
            "queue_limit": draw(st.sampled_from([None, 0, 1, 5])),
            "zones": zones,
        }
        if kind == "service":
            node["instances"] = draw(st.integers(1, 4))
            if draw(st.booleans()):
                node["autoscale"] = {
                    "min": 1,
                    "max": 4,
                    "interval_ms": 300,
                    "startup_ms": 200,
                    "target_utilization": 0.5,
                }
        else:
            node.update(
                instances=draw(st.integers(0, 1)),
                max_instances=draw(st.integers(1, 3)),
                cold_start_ms=draw(st.integers(0, 100)),
                idle_ms=draw(st.integers(0, 300)),
            )
        nodes.append(node)
        pools.append(node["id"])
    if draw(st.booleans()):
        nodes.append(
            {
                "id": "lb",
                "kind": "load_balancer",
                "algorithm": draw(st.sampled_from(sorted(ALGORITHMS))),
                "zone": draw(st.sampled_from([None, "a"])),
                "zone_aware": draw(st.booleans()),
                "health_check": {"interval_ms": draw(st.integers(50, 500)), "unhealthy_after": 1},
            }
        )
        edges.append({"from": "users", "to": "lb", "latency_ms": draw(st.integers(0, 3))})
        edges += [{"from": "lb", "to": p, "latency_ms": draw(st.integers(0, 3))} for p in pools]
    else:
        edges += [{"from": "users", "to": p} for p in pools]
    if draw(st.booleans()):
        nodes.append({"id": "db", "kind": "database", "concurrency": draw(st.integers(1, 3))})
        edges.append({"from": pools[0], "to": "db", "op": draw(st.sampled_from(["read", "write"]))})
    if len(pools) > 1 and draw(st.booleans()):
        edges.append({"from": pools[0], "to": pools[-1], "when": "error"})
    faults = []
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, 1500))
        length = draw(st.sampled_from([None, 100, 700]))
        choice = draw(st.sampled_from(["crash", "slow", "zone"]))
        if choice == "zone" and zones:
            faults.append({"at_ms": at, "kind": "zone_down", "zone": "a", "for_ms": length})
        elif choice != "zone":
            fault = {
                "at_ms": at,
                "kind": choice,
                "node": draw(st.sampled_from(pools)),
                "for_ms": length,
            }
            if choice == "slow":
                fault["factor"] = 5
            faults.append(fault)
    return {
        "version": 1,
        "seed": draw(st.integers(0, 10**6)),
        "duration_ms": 2000,
        "nodes": nodes,
        "edges": edges,
        "faults": faults,
    }


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(topologies(), st.booleans())
def test_it_accounts_for_every_request_of_any_topology(doc: dict[str, Any], record: bool) -> None:
    """Whatever the pools, balancer, faults and limits: it ends, every request has an outcome."""
    assume(not check(doc))  # the generator aims at valid documents; skip the odd refused one
    sim = Simulation(doc, record=record)
    seqs = 0
    while not sim.done:
        events = sim.advance(sim.now + 500)
        assert [e["seq"] for e in events] == list(range(seqs, seqs + len(events)))
        seqs += len(events)
    r = sim.summary()["requests"]
    assert r["in_flight"] == 0
    assert r["started"] == r["completed"] + r["failed"] + r["rejected"] + r["timed_out"]
