"""Scatter-gather: a dispatcher's copies, an aggregator's completion rules, merges and store."""

from __future__ import annotations

import math
from typing import Any

import pytest

from patterns import Simulation

N = 4


def scatter(
    workers: list[Any],
    *,
    aggregator: dict[str, Any] | None = None,
    rate: float = 20,
    requests: int | None = 200,
    latency: float = 1,
    seed: int = 3,
    extra_nodes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """client -> dispatcher -> workers w0..wN-1 -> aggregator; each worker a dict or a duration."""
    nodes: list[dict[str, Any]] = [
        {"id": "c", "kind": "client", "rate": rate, "requests": requests},
        {"id": "d", "kind": "dispatcher"},
        {"id": "agg", "kind": "aggregator", **(aggregator or {})},
    ]
    edges: list[dict[str, Any]] = [{"from": "c", "to": "d"}]
    for i, worker in enumerate(workers):
        spec = (
            worker
            if isinstance(worker, dict) and "dist" not in worker
            else {"service_time": worker}
        )
        # Plenty of workers: no queueing, so a reply's delay is its service time.
        nodes.append({"id": f"w{i}", "kind": "service", "concurrency": 1000, **spec})
        edges.append({"from": "d", "to": f"w{i}", "latency_ms": latency})
        edges.append({"from": f"w{i}", "to": "agg", "latency_ms": latency})
    nodes.extend(extra_nodes or [])
    return {"version": 1, "seed": seed, "duration_ms": 600_000, "nodes": nodes, "edges": edges}


def exp(mean: float) -> dict[str, Any]:
    return {"dist": "exponential", "mean_ms": mean}


def events(doc: dict[str, Any]) -> list[dict[str, Any]]:
    sim = Simulation(doc)
    out: list[dict[str, Any]] = []
    while not sim.done:
        out.extend(sim.advance(sim.now + 10_000))
    return out


def of_type(evs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in evs if e["type"] == kind]


# -- theory ----------------------------------------------------------------


def test_it_matches_theory_for_partial_answers_and_late_replies() -> None:
    """Exponential workers, deadline T: p = exp(-(T - 2 lat)/mean) late each; partial 1-(1-p)^n."""
    n, mean, deadline, latency, count = 5, 40.0, 100.0, 1.0, 20_000
    doc = scatter(
        [exp(mean)] * n,
        aggregator={"completion": "deadline", "timeout_ms": deadline},
        rate=50,
        requests=count,
        latency=latency,
        seed=17,
    )
    summary = Simulation(doc, record=False).run()
    agg = summary["aggregators"]["agg"]
    # A copy travels out and its reply back: each costs one edge latency.
    p = math.exp(-(deadline - 2 * latency) / mean)
    partial_theory = 1 - (1 - p) ** n
    assert agg["complete"] + agg["partial"] == count
    partial_share = agg["partial"] / count
    se = math.sqrt(partial_theory * (1 - partial_theory) / count)
    assert abs(partial_share - partial_theory) < 4 * se, (partial_share, partial_theory)
    # Every reply comes in the end: the late ones are exactly the missing ones.
    late_per_request = agg["late"] / count
    se_late = math.sqrt(n * p * (1 - p) / count)
    assert abs(late_per_request - n * p) < 4 * se_late + 5 / count, (late_per_request, n * p)
    completeness = agg["received"] / agg["expected"]
    assert abs(completeness - (1 - p)) < 4 * math.sqrt(p * (1 - p) / (n * count))
    # Nobody waits past the deadline (plus the hop to the dispatcher and back).
    assert summary["latency_ms"]["max"] <= deadline + 2 * latency + 1e-6


def test_it_waits_for_the_slowest_worker_under_all() -> None:
    """Under `all` a request waits for the slowest: E[max of n exponentials] = mean * H(n)."""
    n, mean, count = 4, 20.0, 10_000
    doc = scatter([exp(mean)] * n, rate=20, requests=count, latency=0, seed=5)
    summary = Simulation(doc, record=False).run()
    harmonic = sum(1 / k for k in range(1, n + 1))
    theory = mean * harmonic + 2  # plus the hop into the dispatcher and back
    assert summary["aggregators"]["agg"] == {
        "complete": count, "partial": 0, "late": 0, "received": n * count, "expected": n * count,
    }  # fmt: skip
    # sd of max of n exponentials = mean * sqrt(sum 1/k^2)
    se = mean * math.sqrt(sum(1 / k**2 for k in range(1, n + 1))) / math.sqrt(count)
    assert abs(summary["latency_ms"]["mean"] - theory) < 4 * se


# -- completion rules and reasons ------------------------------------------


def test_it_says_all_arrived_with_nothing_missing() -> None:
    """Under `all`, every aggregate.done has every reply, reason "all arrived", nothing missing."""
    evs = events(scatter([5, 10, 15, 20], requests=20))
    done = of_type(evs, "aggregate.done")
    assert len(done) == 20
    for e in done:
        assert (e["received"], e["expected"], e["partial"]) == (4, 4, False)
        assert e["reason"] == "all arrived" and e["missing"] == []
        assert e["t"] - e["started_t"] == pytest.approx(20 + 2)
    assert not of_type(evs, "aggregate.late")


def test_it_closes_when_count_is_reached_and_marks_the_rest_late() -> None:
    """Under `count` 2 of 4, it answers after the two fastest; the other two replies are late."""
    doc = scatter([5, 10, 15, 20], aggregator={"completion": "count", "count": 2}, requests=20)
    evs = events(doc)
    done = of_type(evs, "aggregate.done")
    assert {(e["received"], e["reason"], tuple(e["missing"])) for e in done} == {
        (2, "count reached", ("w2", "w3"))
    }
    assert all(e["partial"] for e in done)
    late = of_type(evs, "aggregate.late")
    # The run ends when the last request is answered: its late replies are not seen.
    for rid in range(19):
        assert sorted(e["from"] for e in late if e["req"] == rid) == ["w2", "w3"]
    answers = of_type(evs, "request.done")
    assert {round(e["latency_ms"], 6) for e in answers} == {10 + 2 + 2}


def test_it_leaves_out_a_worker_slower_than_the_deadline() -> None:
    """Under `deadline`, a worker slower than timeout_ms is always missing; its reply is late."""
    doc = scatter(
        [10, 10, 10, 200], aggregator={"completion": "deadline", "timeout_ms": 100}, requests=10
    )
    evs = events(doc)
    done = of_type(evs, "aggregate.done")
    assert len(done) == 10
    for e in done:
        assert e["reason"] == "deadline passed" and e["missing"] == ["w3"]
        assert e["t"] - e["started_t"] == pytest.approx(100)
    late = of_type(evs, "aggregate.late")
    assert [e["req"] for e in late] == list(range(9))  # the last is still on its way at the end
    assert {e["from"] for e in late} == {"w3"}
    # The reply comes 1 + 200 + 1 ms after the scatter, 102 ms after the deadline.
    assert [e["late_ms"] for e in late] == pytest.approx([102] * 9)


def test_it_answers_before_the_deadline_when_everyone_has_replied() -> None:
    """Under `deadline`, a gather whose replies are all in closes at once: "all arrived"."""
    doc = scatter([10, 20], aggregator={"completion": "deadline", "timeout_ms": 100}, requests=5)
    done = of_type(events(doc), "aggregate.done")
    assert {(e["reason"], e["t"] - e["started_t"]) for e in done} == {("all arrived", 22)}


def test_it_bounds_all_with_timeout_ms() -> None:
    """timeout_ms under `all` stops the wait for a stuck worker."""
    doc = scatter([10, 500], aggregator={"completion": "all", "timeout_ms": 50}, requests=5)
    done = of_type(events(doc), "aggregate.done")
    assert {(e["reason"], tuple(e["missing"])) for e in done} == {("deadline passed", ("w1",))}


def test_it_stops_waiting_for_a_worker_that_failed() -> None:
    """A worker failing its copy sends no reply; the gather closes with "workers failed"."""
    doc = scatter([10, {"service_time": 10, "failure_rate": 1.0}], requests=5)
    evs = events(doc)
    done = of_type(evs, "aggregate.done")
    assert {(e["reason"], tuple(e["missing"]), e["partial"]) for e in done} == {
        ("workers failed", ("w1",), True)
    }
    assert {e["outcome"] for e in of_type(evs, "request.done")} == {"ok"}


def test_it_times_out_a_request_with_no_reply_by_the_deadline() -> None:
    """A deadline with no reply in: the request is timed out, not answered empty."""
    doc = scatter([300, 300], aggregator={"completion": "deadline", "timeout_ms": 50}, requests=5)
    summary = Simulation(doc, record=False).run()
    assert summary["requests"]["timed_out"] == 5
    assert summary["aggregators"]["agg"]["partial"] == 5


def test_it_answers_the_dispatchers_caller_when_the_aggregator_completes() -> None:
    """The call into the dispatcher is answered at aggregate.done plus the hop back."""
    evs = events(scatter([5, 30], requests=5))
    done = {e["req"]: e["t"] for e in of_type(evs, "aggregate.done")}
    for e in of_type(evs, "request.done"):
        assert e["t"] == pytest.approx(done[e["req"]] + 1)


# -- merges ----------------------------------------------------------------


def test_it_merges_top_k_as_the_best_k_hits_of_all_shards() -> None:
    """top_k keeps the k best scored hits over every reply in time, best first."""
    doc = scatter([5, 10, 15, 20], aggregator={"merge": "top_k", "k": 5}, requests=30)
    for e in of_type(events(doc), "aggregate.done"):
        hits = sorted(
            ((score, r["from"]) for r in e["replies"] for score in r["value"]),
            key=lambda h: (-h[0], h[1]),
        )
        assert all(len(r["value"]) == 5 for r in e["replies"])
        assert e["result"] == [{"from": w, "score": s} for s, w in hits[:5]]


def test_it_merges_min_as_the_cheapest_quote() -> None:
    """min answers with the lowest quote among the replies in time, and who gave it."""
    doc = scatter(
        [5, 10, 15, 200],
        aggregator={"merge": "min", "completion": "deadline", "timeout_ms": 50},
        requests=30,
    )
    for e in of_type(events(doc), "aggregate.done"):
        best = min(e["replies"], key=lambda r: r["value"])
        assert e["result"] == {"from": best["from"], "value": best["value"]}
        assert "w3" not in {r["from"] for r in e["replies"]}


def test_it_merges_concat_in_arrival_order() -> None:
    """concat lists the replies in the order they arrived."""
    doc = scatter([30, 10, 20], aggregator={"merge": "concat"}, requests=3)
    for e in of_type(events(doc), "aggregate.done"):
        assert e["result"] == ["w1", "w2", "w0"]


def test_it_gives_a_request_the_same_replies_whatever_the_deadline() -> None:
    """A reply's value depends on the request and the worker, not on the deadline."""

    def values(timeout: float) -> dict[tuple[int, str], Any]:
        doc = scatter(
            [exp(30)] * 3,
            aggregator={"merge": "min", "completion": "deadline", "timeout_ms": timeout},
            requests=50,
        )
        return {
            (e["req"], r["from"]): r["value"]
            for e in of_type(events(doc), "aggregate.done")
            for r in e["replies"]
        }

    short, long = values(30), values(300)
    assert short and all(long[key] == value for key, value in short.items())


# -- store -----------------------------------------------------------------


def test_it_stores_the_result_under_the_request_id_paying_the_write() -> None:
    """With store, the result is written before the answer, and retrievable by id after the run."""
    db = {"id": "db", "kind": "database", "write_ms": 5}
    doc = scatter([10, 20], aggregator={"merge": "min", "store": "db"}, requests=8,
                  extra_nodes=[db])  # fmt: skip
    sim = Simulation(doc)
    evs: list[dict[str, Any]] = []
    while not sim.done:
        evs.extend(sim.advance(sim.now + 10_000))
    done = {e["req"]: e for e in of_type(evs, "aggregate.done")}
    stored = sim.stored("db")
    assert sorted(stored) == sorted(done) and len(stored) == 8
    for rid, e in done.items():
        assert stored[rid] == e["result"] and e["store"] == "db"
    # 1 to the dispatcher, 22 for the slower worker, 1 + 5 + 1 for the write, 1 back.
    assert {round(e["latency_ms"], 6) for e in of_type(evs, "request.done")} == {31}
    assert sim.stored("nowhere") == {}


# -- the deadline sweep ----------------------------------------------------


def test_it_sweeps_a_deadline_trading_completeness_for_latency() -> None:
    """A longer deadline: more complete answers, longer waits; each point matches exp(-T/mean)."""
    from patterns.sweep import sweep

    doc = scatter([exp(40)] * 3, aggregator={"completion": "deadline", "timeout_ms": 50},
                  requests=3000, rate=50, latency=0)  # fmt: skip
    rows = sweep(doc, "agg", "timeout_ms", [25, 50, 100, 200])
    assert [r["value"] for r in rows] == [25, 50, 100, 200]
    for row in rows:
        p = math.exp(-row["value"] / 40)
        assert abs(row["completeness"] - (1 - p)) < 4 * math.sqrt(p * (1 - p) / 9000) + 1e-3
    means = [r["latency_ms"]["mean"] for r in rows]
    assert means == sorted(means)
    completeness = [r["completeness"] for r in rows]
    assert completeness == sorted(completeness)


def test_it_refuses_a_sweep_of_a_field_the_node_does_not_have() -> None:
    """sweep names the bad field instead of running anything."""
    from patterns import TopologyError
    from patterns.sweep import sweep

    with pytest.raises(TopologyError, match="no field"):
        sweep(scatter([10]), "agg", "colour", [1])
