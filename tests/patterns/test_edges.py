"""Edges: latency each way, synchronous calls in order, error edges, pipes into sinks."""

from __future__ import annotations

from typing import Any

from patterns import Simulation


def run(doc: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    sim = Simulation(doc)
    out: list[dict[str, Any]] = []
    while not sim.done:
        out += sim.advance(sim.now + 1000)
    return out, sim.summary()


def doc(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], **top: Any) -> dict[str, Any]:
    return {"version": 1, "duration_ms": 1000, "nodes": nodes, "edges": edges, **top}


CLIENT = {"id": "users", "kind": "client", "rate": 10, "arrival": "constant"}


def test_it_adds_edge_latency_each_way() -> None:
    """A call over an edge of 3 ms to a 10 ms service answers in 16 ms."""
    evs, _ = run(
        doc(
            [CLIENT, {"id": "api", "kind": "service", "service_time": 10}],
            [{"from": "users", "to": "api", "latency_ms": 3}],
        )
    )
    assert {e["latency_ms"] for e in evs if e["type"] == "request.done"} == {16.0}


def test_it_holds_the_worker_while_it_calls_downstream_in_edge_order() -> None:
    """A service calls its edges one after another, and its worker waits for each answer."""
    evs, _ = run(
        doc(
            [
                {**CLIENT, "rate": 100},
                {"id": "api", "kind": "service", "service_time": 1},
                {"id": "auth", "kind": "service", "service_time": 4},
                {"id": "db", "kind": "database", "read_ms": 5},
            ],
            [
                {"from": "users", "to": "api", "latency_ms": 0},
                {"from": "api", "to": "auth", "latency_ms": 0},
                {"from": "api", "to": "db", "latency_ms": 0},
            ],
        )
    )
    first = [e for e in evs if e.get("req") == 0 and e["type"] == "node.start"]
    assert [(e["node"], e["t"]) for e in first] == [("api", 10.0), ("auth", 11.0), ("db", 15.0)]
    # one worker held 10 ms per request at 100/s: the api is fully busy, so requests queue
    done = [e["latency_ms"] for e in evs if e["type"] == "request.done"]
    assert done[0] == 10.0 and max(done) == 10.0


def test_it_sends_a_failure_down_error_edges_whose_answer_the_caller_gets() -> None:
    """A failed request takes the node's `when: error` edges; their answer goes back."""
    evs, summary = run(
        doc(
            [
                CLIENT,
                {"id": "api", "kind": "service", "failure_rate": 1.0},
                {"id": "fallback", "kind": "service", "service_time": 2},
            ],
            [
                {"from": "users", "to": "api", "latency_ms": 0},
                {"from": "api", "to": "fallback", "latency_ms": 0, "when": "error"},
            ],
        )
    )
    r = summary["requests"]
    assert r["completed"] == r["started"] > 0
    assert summary["nodes"]["api"]["failed"] == r["started"]
    assert summary["nodes"]["fallback"]["processed"] == r["started"]


def test_it_fails_back_to_the_caller_without_error_edges() -> None:
    """With no error edge, a node's failure is the caller's failure."""
    _, summary = run(
        doc(
            [CLIENT, {"id": "api", "kind": "service", "failure_rate": 1.0}],
            [{"from": "users", "to": "api"}],
        )
    )
    r = summary["requests"]
    assert r["failed"] == r["started"] > 0


def test_it_completes_a_source_item_when_it_reaches_the_sink() -> None:
    """An item is complete when it reaches the sink; the source does not wait for an answer."""
    evs, summary = run(
        doc(
            [
                {"id": "feed", "kind": "source", "rate": 10, "arrival": "constant"},
                {"id": "resize", "kind": "service", "service_time": 7},
                {"id": "store", "kind": "sink"},
            ],
            [
                {"from": "feed", "to": "resize", "latency_ms": 2},
                {"from": "resize", "to": "store", "latency_ms": 3},
            ],
        )
    )
    assert {e["latency_ms"] for e in evs if e["type"] == "request.done"} == {12.0}
    assert summary["nodes"]["store"]["processed"] == summary["requests"]["completed"] > 0


def test_it_rejects_when_the_queue_is_full() -> None:
    """A full queue rejects: node.reject events, and the request's outcome is rejected."""
    evs, summary = run(
        doc(
            [
                {**CLIENT, "rate": 1000},
                {"id": "api", "kind": "service", "service_time": 10, "queue_limit": 2},
            ],
            [{"from": "users", "to": "api", "latency_ms": 0}],
        )
    )
    rejects = [e for e in evs if e["type"] == "node.reject"]
    outcome = {e["req"]: e["outcome"] for e in evs if e["type"] == "request.done"}
    assert rejects and all(outcome[e["req"]] == "rejected" for e in rejects)
    assert summary["nodes"]["api"]["queue_max"] == 2
    assert summary["requests"]["rejected"] == len(rejects)


def test_it_emits_periodic_metrics_per_node() -> None:
    """A metrics event every simulated second carries each node's load figures."""
    evs, _ = run(
        doc(
            [{**CLIENT, "rate": 50}, {"id": "api", "kind": "service", "service_time": 10}],
            [{"from": "users", "to": "api"}],
            duration_ms=3000,
        )
    )
    metrics = [e for e in evs if e["type"] == "metrics"]
    assert [m["t"] for m in metrics][:2] == [1000.0, 2000.0]
    api = metrics[1]["nodes"]["api"]
    assert set(api) >= {"in_flight", "queued", "utilization", "completed", "instances_up"}
    assert api["completed"] == 50 and abs(api["utilization"] - 0.5) < 0.02
