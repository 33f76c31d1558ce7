"""Lanes side by side: the same traffic into each, and each lane's own results in the summary."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from patterns import Simulation, scenarios

RR_LC = "round-robin-vs-least-connections"
LANE_FIELDS = {
    "label",
    "traffic",
    "nodes",
    "requests",
    "latency_ms",
    "utilization",
    "pools",
    "cost",
    "cost_per_hour",
}


@cache
def recorded(slug: str) -> tuple[tuple[dict[str, Any], ...], dict[str, Any]]:
    """The event stream and summary of a built-in scenario, run from its own seed."""
    sim = Simulation(scenarios.get(slug).document)
    events: list[dict[str, Any]] = []
    while not sim.done:
        events.extend(sim.advance(sim.now + 10_000.0))
    events.extend(sim.advance(sim.now))
    return tuple(events), sim.summary()


def arrivals(events: tuple[dict[str, Any], ...], client: str, balancer: str) -> list[Any]:
    """(time, session) of each request `client` sends, in order (from msg.send and lb.pick)."""
    times = {e["req"]: e["t"] for e in events if e["type"] == "msg.send" and e["from"] == client}
    sessions = {
        e["req"]: e["session"] for e in events if e["type"] == "lb.pick" and e["lb"] == balancer
    }
    return [(times[r], sessions[r]) for r in sorted(times)]


def test_it_sends_the_same_arrivals_and_sessions_into_both_balancers() -> None:
    """Round robin and least connections get the very same requests, at the same times."""
    events, _ = recorded(RR_LC)
    rr = arrivals(events, "users-rr", "rr")
    lc = arrivals(events, "users-lc", "lc")
    assert len(rr) > 2000
    assert rr == lc


def test_it_reports_each_lane_on_its_own() -> None:
    """The summary's `lanes`: per client, its requests, latency, pools' utilisation and cost."""
    _, summary = recorded(RR_LC)
    lanes = summary["lanes"]
    assert set(lanes) == {"users-rr", "users-lc"}
    for client, lane in lanes.items():
        assert set(lane) == LANE_FIELDS
        assert lane["label"] == "users"
        assert lane["traffic"] == "users"
        assert lane["nodes"][0] == client
        assert set(lane["latency_ms"]) == {"mean", "p50", "p95", "p99", "max"}
        req = lane["requests"]
        assert (
            req["started"] == req["completed"] + req["failed"] + req["rejected"] + req["timed_out"]
        )
        assert 0.0 < lane["utilization"] <= 1.0
    assert set(lanes["users-rr"]["pools"]) == {"fast-rr", "slow-rr"}
    assert set(lanes["users-lc"]["pools"]) == {"fast-lc", "slow-lc"}
    # The lanes add up to the whole run.
    total = summary["requests"]
    assert sum(lane["requests"]["started"] for lane in lanes.values()) == total["started"]
    assert sum(lane["requests"]["completed"] for lane in lanes.values()) == total["completed"]


def test_it_shows_least_connections_beating_round_robin_on_the_same_arrivals() -> None:
    """On identical traffic, least connections' p95 is below round robin's, for several seeds."""
    doc = scenarios.get(RR_LC).document
    for seed in (42, 5, 7):
        lanes = Simulation(doc, seed=seed, record=False).run()["lanes"]
        rr, lc = lanes["users-rr"], lanes["users-lc"]
        assert rr["requests"]["started"] == lc["requests"]["started"]
        assert lc["latency_ms"]["p95"] < rr["latency_ms"]["p95"]


def test_it_fails_far_fewer_requests_with_a_balancer_per_zone() -> None:
    """The per-zone lane fails under a tenth of what the single-balancer lane fails."""
    doc = scenarios.get("balancer-per-zone").document
    clients = [n for n in doc["nodes"] if n["kind"] == "client"]
    if len(clients) < 2:
        pytest.skip("balancer-per-zone has one lane (no single-balancer lane beside it) yet")
    lanes = Simulation(doc, record=False).run()["lanes"]
    single = [c for c in lanes if "single" in c or "one" in c]
    assert len(single) == 1, f"cannot tell the single-balancer lane among {sorted(lanes)}"
    per_zone = [c for c in lanes if c not in single]
    failed = {c: lanes[c]["requests"]["failed"] + lanes[c]["requests"]["rejected"] for c in lanes}
    for c in per_zone:
        assert failed[c] < 0.1 * failed[single[0]]


def test_it_gives_no_lanes_to_a_run_with_one_client() -> None:
    """One client, no lanes: the summary keeps its shape."""
    summary = Simulation(scenarios.get("sticky-sessions-and-a-crash").document, record=False).run()
    assert "lanes" not in summary


def test_it_draws_by_id_without_a_traffic_name() -> None:
    """Two clients with the same settings but no `traffic` get different arrivals, as before."""
    doc = scenarios.get(RR_LC).document
    for node in doc["nodes"]:
        node.pop("traffic", None)
    lanes = Simulation(doc, record=False).run()["lanes"]
    assert lanes["users-rr"]["requests"]["started"] != lanes["users-lc"]["requests"]["started"]


def twin_lanes(draws: bool) -> dict[str, Any]:
    """Two identical lanes, one client and one pool each, fed the same traffic."""
    nodes: list[dict[str, Any]] = []
    edges = []
    for lane in ("a", "b"):
        nodes.append({"id": f"c-{lane}", "kind": "client", "rate": 50, "traffic": "t"})
        pool = {"id": f"s-{lane}", "kind": "service", "instances": 2, "failure_rate": 0.1,
                "service_time": {"dist": "exponential", "mean_ms": 30}}  # fmt: skip
        if draws:
            pool["draws"] = "work"
        nodes.append(pool)
        edges.append({"from": f"c-{lane}", "to": f"s-{lane}"})
    doc = {"duration_ms": 20_000, "nodes": nodes, "edges": edges}
    return Simulation(doc, record=False).run()["lanes"]


def test_it_gives_each_request_the_same_work_in_pools_sharing_their_draws() -> None:
    """Same traffic and same draws: the twin lanes' requests take as long and fail alike."""
    lanes = twin_lanes(draws=True)
    a, b = lanes["c-a"], lanes["c-b"]
    assert a["requests"] == b["requests"]
    assert a["requests"]["failed"] > 0
    assert a["latency_ms"] == b["latency_ms"]
    # Without `draws` each pool draws by its own id: same arrivals, different work.
    apart = twin_lanes(draws=False)
    assert apart["c-a"]["requests"]["started"] == apart["c-b"]["requests"]["started"]
    assert apart["c-a"]["latency_ms"] != apart["c-b"]["latency_ms"]


def test_it_shows_each_broker_design_with_its_own_pools() -> None:
    """Lanes fed by two streams each: every lane lists its design's pools, not the other's."""
    lanes = Simulation(
        scenarios.get("message-broker-absorbs-a-burst").document, record=False
    ).run()["lanes"]
    assert set(lanes["flash-sale-sync"]["pools"]) == {"orders-sync", "invoices-sync"}
    assert set(lanes["shoppers-async"]["pools"]) == {"orders-async", "invoices-async"}
    sync, queued = lanes["flash-sale-sync"], lanes["flash-sale-async"]
    assert sync["requests"]["started"] == queued["requests"]["started"] == 750
    assert queued["requests"]["rejected"] == 0 < sync["requests"]["rejected"]
    assert queued["latency_ms"]["p95"] < sync["latency_ms"]["p95"]
