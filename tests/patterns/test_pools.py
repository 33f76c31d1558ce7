"""Functions (cold starts, idle stops, max_instances) and autoscaling services."""

from __future__ import annotations

import copy
from typing import Any

from patterns import Simulation, scenarios

from .topologies import exp


def run_events(doc: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    sim = Simulation(doc)
    out: list[dict[str, Any]] = []
    while not sim.done:
        out += sim.advance(sim.now + 1000)
    return out, sim.summary()


def function_doc(rate: float, duration_ms: float, **fn: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "duration_ms": duration_ms,
        "nodes": [
            {"id": "users", "kind": "client", "rate": rate, "arrival": "constant"},
            {
                "id": "fn",
                "kind": "function",
                "instances": 0,
                "service_time": 10,
                "cold_start_ms": 100,
                "idle_ms": 500,
                **fn,
            },
        ],
        "edges": [{"from": "users", "to": "fn", "latency_ms": 0}],
    }


def test_it_pays_a_cold_start_then_stays_warm() -> None:
    """The first call waits cold_start_ms; calls that find the instance warm do not."""
    evs, summary = run_events(function_doc(rate=5, duration_ms=2000))
    done = [e for e in evs if e["type"] == "request.done"]
    assert done[0]["latency_ms"] == 110.0
    assert {e["latency_ms"] for e in done[1:]} == {10.0}
    assert summary["nodes"]["fn"]["cold_starts"] == 1
    assert [e["instance"] for e in evs if e["type"] == "instance.up"] == ["fn#0"]


def test_it_stops_an_instance_idle_ms_after_its_last_call() -> None:
    """Calls further apart than idle_ms each find the instance stopped, and pay a cold start."""
    evs, summary = run_events(function_doc(rate=2, duration_ms=2400, idle_ms=300))
    done = [e for e in evs if e["type"] == "request.done"]
    downs = [e for e in evs if e["type"] == "instance.down"]
    assert {e["latency_ms"] for e in done} == {110.0}
    assert summary["nodes"]["fn"]["cold_starts"] == len(done) == 4
    assert all(d["reason"].startswith("idle") for d in downs)
    assert [d["t"] for d in downs] == [e["t"] + 300 for e in done[:-1]]


def test_it_starts_no_more_than_max_instances() -> None:
    """A burst starts instances up to max_instances; the rest wait in the function's queue."""
    doc = function_doc(rate=1000, duration_ms=100, max_instances=3, service_time=50)
    evs, summary = run_events(doc)
    assert summary["nodes"]["fn"]["cold_starts"] == 3
    assert len({e["instance"] for e in evs if e["type"] == "node.start"}) == 3
    assert summary["requests"]["completed"] == summary["requests"]["started"]


def test_it_autoscales_a_busy_tier_after_the_startup_delay() -> None:
    """Under load the pool grows, and the new instances serve only after startup_ms."""
    doc = {
        "version": 1,
        "duration_ms": 15_000,
        "nodes": [
            {"id": "users", "kind": "client", "rate": 250},
            {"id": "lb", "kind": "load_balancer", "algorithm": "least_connections"},
            {
                "id": "api",
                "kind": "service",
                "instances": 1,
                "service_time": exp(10),
                "queue_limit": 50,
                "autoscale": {
                    "min": 1,
                    "max": 5,
                    "target_utilization": 0.7,
                    "interval_ms": 1000,
                    "startup_ms": 2000,
                },
            },
        ],
        "edges": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "api"}],
    }
    evs, summary = run_events(doc)
    scale = [e for e in evs if e["type"] == "autoscale"]
    ups = [e for e in evs if e["type"] == "instance.up"]
    assert scale[0]["t"] == 1000.0 and scale[0]["to"] > scale[0]["from"] == 1
    assert ups and ups[0]["t"] == 3000.0
    first_new_pick = min(e["t"] for e in evs if e["type"] == "lb.pick" and e["chosen"] != "api#0")
    assert first_new_pick >= 3000.0
    assert 4 <= len(summary["nodes"]["api"]["instances"]) <= 5
    r = summary["requests"]
    assert r["started"] == r["completed"] + r["failed"] + r["rejected"] + r["timed_out"]


def test_it_reads_and_writes_a_database_at_its_own_pace() -> None:
    """A database call is a read unless its edge says write; calls queue for connections."""
    doc = {
        "version": 1,
        "duration_ms": 1000,
        "nodes": [
            {"id": "users", "kind": "client", "rate": 10, "arrival": "constant"},
            {"id": "api", "kind": "service", "service_time": 1},
            {"id": "db", "kind": "database", "read_ms": 2, "write_ms": 7},
        ],
        "edges": [
            {"from": "users", "to": "api", "latency_ms": 0},
            {"from": "api", "to": "db", "latency_ms": 0},
            {"from": "api", "to": "db", "latency_ms": 0, "op": "write"},
        ],
    }
    evs, _ = run_events(doc)
    assert {e["latency_ms"] for e in evs if e["type"] == "request.done"} == {10.0}


def test_it_drains_surplus_instances_when_load_falls() -> None:
    """Scaling in: surplus instances take no new work, finish their queue, then stop."""
    doc = {
        "version": 1,
        "duration_ms": 6000,
        "seed": 4,
        "nodes": [
            {"id": "users", "kind": "client", "rate": 150},
            {"id": "lb", "kind": "load_balancer", "algorithm": "round_robin"},
            {
                "id": "api",
                "kind": "service",
                "instances": 4,
                "service_time": exp(10),
                "autoscale": {
                    "min": 1,
                    "max": 4,
                    "target_utilization": 0.9,
                    "interval_ms": 500,
                    "startup_ms": 1000,
                },
            },
        ],
        "edges": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "api"}],
    }
    evs, summary = run_events(doc)
    stopped = [e for e in evs if e["type"] == "instance.down" and "drained" in e["reason"]]
    assert stopped
    r = summary["requests"]
    assert r["completed"] == r["started"] and r["timed_out"] == 0


def busy_tier_every_second() -> dict[str, Any]:
    """The busy-tier scenario with its autoscalers looking every second instead of every two."""
    doc = copy.deepcopy(scenarios.get("busy-tier-autoscales").document)
    for node in doc["nodes"]:
        if "autoscale" in node:
            node["autoscale"]["interval_ms"] = 1000
    return doc


def test_it_names_autoscaled_instances_within_autoscale_max() -> None:
    """Scaling out reuses stopped slots: no name past autoscale.max, no pool larger than it."""
    doc = busy_tier_every_second()
    limits = {n["id"]: n["autoscale"]["max"] for n in doc["nodes"] if "autoscale" in n}
    for seed in (1, 2, 6):
        sim = Simulation(doc, seed=seed, record=False)
        while not sim.done:
            sim.advance(sim.now + 250)
            for node_id, most in limits.items():
                pool = sim.nodes[node_id].all  # type: ignore[attr-defined]
                assert len(pool) <= most
                assert sum(1 for inst in pool if inst.state != "stopped") <= most
        names = sim.summary()["nodes"]["api"]["instances"]
        assert all(int(name.split("#")[1]) < limits["api"] for name in names)


def test_it_serves_calls_already_on_their_way_to_a_drained_instance() -> None:
    """A call on its way to an instance the autoscaler drains is served, not failed or stranded."""
    doc = busy_tier_every_second()
    for seed in (1, 33, 39):
        summary = Simulation(doc, seed=seed, record=False).run()
        r = summary["requests"]
        assert r["completed"] == r["started"], (seed, r)
        assert r["failed"] == r["timed_out"] == 0
        assert summary["sim_time_ms"] < doc["duration_ms"] + 1000


def test_it_stops_a_warm_instance_that_never_gets_a_call() -> None:
    """A function instance that starts warm and is never called stops idle_ms after the start."""
    evs, summary = run_events(function_doc(5, 3000, instances=2))
    stops = [e for e in evs if e["type"] == "instance.down" and e["instance"] == "fn#1"]
    assert [e["t"] for e in stops] == [500.0]
    assert summary["nodes"]["fn"]["instances"]["fn#1"]["processed"] == 0
