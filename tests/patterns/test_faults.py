"""Crashes, zone outages and the accounting of every request after the drain."""

from __future__ import annotations

from typing import Any

import pytest

from patterns import Simulation, TopologyError

from .topologies import balanced, exp


def run_events(doc: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    sim = Simulation(doc)
    out: list[dict[str, Any]] = []
    while not sim.done:
        out += sim.advance(sim.now + 1000)
    return out, sim.summary()


def test_it_keeps_sending_to_a_crashed_instance_until_health_checks_mark_it_down() -> None:
    """A crashed target gets requests, which fail, until `unhealthy_after` checks have failed."""
    doc = balanced(
        "round_robin",
        [("api", 3, exp(5))],
        rate=100,
        duration_ms=5000,
        latency_ms=1,
        lb={"health_check": {"interval_ms": 1000, "unhealthy_after": 2}},
        faults=[{"at_ms": 1000, "kind": "crash", "node": "api", "instance": 1}],
    )
    evs, summary = run_events(doc)
    down = [e for e in evs if e["type"] == "lb.health"]
    assert [(e["target"], e["healthy"], e["t"]) for e in down] == [("api#1", False, 2000.0)]
    to_crashed = [e for e in evs if e["type"] == "lb.pick" and e["chosen"] == "api#1"]
    during = [e["req"] for e in to_crashed if 1000 < e["t"] < 2000]
    assert during and all(e["t"] < 2000 for e in to_crashed)
    outcome = {e["req"]: e["outcome"] for e in evs if e["type"] == "request.done"}
    assert all(outcome[r] == "failed" for r in during)
    assert summary["requests"]["failed"] == len(during)


def test_it_lets_a_crash_end_after_for_ms() -> None:
    """A crash with for_ms brings the instance back, and checks mark it up again."""
    doc = balanced(
        "round_robin",
        [("api", 2, 5)],
        rate=50,
        duration_ms=6000,
        latency_ms=1,
        faults=[{"at_ms": 1000, "kind": "crash", "node": "api", "instance": 0, "for_ms": 2500}],
    )
    evs, _ = run_events(doc)
    kinds = [
        (e["type"], e.get("instance") or e.get("target"))
        for e in evs
        if e["type"] in ("instance.down", "instance.up", "lb.health")
    ]
    assert kinds == [
        ("instance.down", "api#0"),
        ("lb.health", "api#0"),
        ("instance.up", "api#0"),
        ("lb.health", "api#0"),
    ]


def zones_doc(**kw: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "duration_ms": 8000,
        "seed": 2,
        "nodes": [
            {"id": "users", "kind": "client", "rate": 100},
            {
                "id": "dns",
                "kind": "load_balancer",
                "algorithm": "round_robin",
                "health_check": {"interval_ms": 500, "unhealthy_after": 2},
            },
            {
                "id": "lb-a",
                "kind": "load_balancer",
                "algorithm": "least_connections",
                "zone": "a",
                "zone_aware": True,
            },
            {
                "id": "lb-b",
                "kind": "load_balancer",
                "algorithm": "least_connections",
                "zone": "b",
                "zone_aware": True,
            },
            {
                "id": "api",
                "kind": "service",
                "instances": 4,
                "zones": ["a", "b"],
                "service_time": exp(5),
            },
        ],
        "edges": [
            {"from": "users", "to": "dns"},
            {"from": "dns", "to": "lb-a"},
            {"from": "dns", "to": "lb-b"},
            {"from": "lb-a", "to": "api"},
            {"from": "lb-b", "to": "api"},
        ],
        **kw,
    }


def test_it_routes_zone_aware_and_survives_a_zone_outage() -> None:
    """Zone-aware balancers stay in their zone; when zone a goes down, traffic ends up in zone b."""
    doc = zones_doc(faults=[{"at_ms": 3000, "kind": "zone_down", "zone": "a", "for_ms": 3000}])
    evs, summary = run_events(doc)
    zone_of = {"api#0": "a", "api#2": "a", "api#1": "b", "api#3": "b"}
    for e in evs:
        if e["type"] == "lb.pick" and e["lb"] in ("lb-a", "lb-b"):
            assert zone_of[e["chosen"]] == e["lb"][-1]
    marked = [e for e in evs if e["type"] == "lb.health" and e["lb"] == "dns"]
    assert marked[0]["target"] == "lb-a" and not marked[0]["healthy"]
    late_failures = [
        e
        for e in evs
        if e["type"] == "request.done"
        and e["outcome"] != "ok"
        and marked[0]["t"] + 50 < e["t"] < 6000
    ]
    assert not late_failures
    assert summary["requests"]["failed"] > 0  # the ones sent before the checks noticed


def test_it_falls_back_to_other_zones_when_its_own_has_no_healthy_target() -> None:
    """zone_aware prefers the local zone only while it has a healthy target."""
    doc = balanced(
        "round_robin",
        [("api", 4, 2)],
        rate=100,
        duration_ms=5000,
        lb={"zone": "a", "zone_aware": True},
        zones=["a", "b"],
        faults=[
            {"at_ms": 1000, "kind": "crash", "node": "api", "instance": 0},
            {"at_ms": 1000, "kind": "crash", "node": "api", "instance": 2},
        ],
    )
    evs, _ = run_events(doc)
    chosen_late = {e["chosen"] for e in evs if e["type"] == "lb.pick" and e["t"] > 3500}
    chosen_early = {e["chosen"] for e in evs if e["type"] == "lb.pick" and e["t"] < 1000}
    assert chosen_early == {"api#0", "api#2"}
    assert chosen_late == {"api#1", "api#3"}


def test_it_slows_an_instance_by_the_factor() -> None:
    """A slow fault multiplies the instance's service times."""
    doc = balanced(
        "round_robin",
        [("api", 2, 10)],
        rate=20,
        duration_ms=3000,
        client={"arrival": "constant"},
        faults=[{"at_ms": 0, "kind": "slow", "node": "api", "instance": 1, "factor": 4}],
    )
    evs, _ = run_events(doc)
    start = {}
    took: dict[str, set[float]] = {"api#0": set(), "api#1": set()}
    for e in evs:
        if e["type"] == "node.start":
            start[e["req"]] = e["t"]
        elif e["type"] == "node.finish":
            took[e["instance"]].add(round(e["t"] - start[e["req"]], 6))
    assert took == {"api#0": {10.0}, "api#1": {40.0}}


def test_it_injects_a_fault_live_and_refuses_a_malformed_one() -> None:
    """inject() applies a fault at sim.now and logs it; a bad fault raises TopologyError."""
    sim = Simulation(balanced("round_robin", [("api", 2, 5)], rate=50, duration_ms=4000))
    sim.advance(1500)
    sim.inject({"kind": "crash", "node": "api", "instance": 0, "for_ms": 500})
    evs = sim.advance(1500)
    assert evs[0]["type"] == "fault" and evs[0]["at_ms"] == 1500 and evs[0]["node"] == "api"
    with pytest.raises(TopologyError):
        sim.inject({"kind": "crash", "node": "nope"})
    with pytest.raises(TopologyError):
        sim.inject({"kind": "meteor"})


ACCOUNTED = [
    balanced("least_connections", [("api", 2, exp(30))], rate=200, duration_ms=3000, queue_limit=3),
    balanced(
        "random",
        [("api", 3, exp(10))],
        rate=100,
        duration_ms=3000,
        failure_rate=0.2,
        faults=[
            {"at_ms": 500, "kind": "crash", "node": "api", "instance": 2, "for_ms": 1000},
            {"at_ms": 700, "kind": "crash", "node": "lb", "for_ms": 300},
        ],
    ),
    zones_doc(faults=[{"at_ms": 2000, "kind": "zone_down", "zone": "b"}]),
    {
        "version": 1,
        "duration_ms": 3000,
        "nodes": [
            {"id": "users", "kind": "client", "rate": 150},
            {
                "id": "api",
                "kind": "service",
                "instances": 2,
                "concurrency": 2,
                "service_time": exp(8),
                "failure_rate": 0.1,
                "queue_limit": 5,
            },
            {
                "id": "fallback",
                "kind": "function",
                "max_instances": 2,
                "cold_start_ms": 50,
                "idle_ms": 200,
            },
            {"id": "db", "kind": "database", "concurrency": 2},
            {"id": "feed", "kind": "source", "rate": 50},
            {"id": "resize", "kind": "service", "service_time": exp(5)},
            {"id": "done", "kind": "sink"},
        ],
        "edges": [
            {"from": "users", "to": "api"},
            {"from": "api", "to": "db", "op": "write"},
            {"from": "api", "to": "fallback", "when": "error"},
            {"from": "feed", "to": "resize"},
            {"from": "resize", "to": "done"},
        ],
        "faults": [
            {"at_ms": 1000, "kind": "crash", "node": "db", "for_ms": 400},
            {"at_ms": 1500, "kind": "crash", "node": "fallback", "for_ms": 400},
        ],
    },
]


@pytest.mark.parametrize(
    "doc", ACCOUNTED, ids=["queue-limits", "failures-and-crashes", "zone-down", "mixed"]
)
def test_it_accounts_for_every_request_after_the_drain(doc: dict[str, Any]) -> None:
    """started = completed + failed + rejected + timed_out, with nothing left in flight."""
    for record in (True, False):
        sim = Simulation(doc, record=record)
        r = sim.run()["requests"]
        assert sim.done
        assert r["started"] > 0 and r["in_flight"] == 0
        assert r["started"] == r["completed"] + r["failed"] + r["rejected"] + r["timed_out"]
