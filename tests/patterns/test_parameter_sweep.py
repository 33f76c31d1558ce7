"""A parameter sweep's pure parts: fields, variants, the interval, and theory against simulation."""

from __future__ import annotations

import pytest

from patterns import TopologyError
from patterns import parameter_sweep as ps


def queue(rate: float, servers: int = 1, dist: str = "exponential") -> dict:
    """One client into one service of `servers` workers, mean service 20 ms."""
    time = {"dist": dist, "mean_ms": 20} if dist == "exponential" else {"dist": dist, "ms": 20}
    return {
        "version": 1,
        "name": "queue",
        "duration_ms": 10_000,
        "nodes": [
            {"id": "users", "kind": "client", "rate": rate},
            {"id": "api", "kind": "service", "concurrency": servers, "service_time": time},
        ],
        "edges": [{"from": "users", "to": "api"}],
    }


def test_every_numeric_field_of_every_node_can_be_swept_nested_ones_by_a_dotted_path() -> None:
    found = {(f["node"], f["field"]) for f in ps.numeric_fields(queue(10))}
    assert {("users", "rate"), ("api", "instances"), ("api", "service_time.mean_ms")} <= found
    assert ("api", "queue_limit") in found  # null now, a number when swept
    assert not any(f["field"] in ("x", "y") for f in ps.numeric_fields(queue(10)))


def test_a_variant_changes_only_its_field_and_refuses_what_is_not_a_number() -> None:
    doc = ps.variant(queue(10), "api", "service_time.mean_ms", 35)
    assert doc["nodes"][1]["service_time"]["mean_ms"] == 35
    assert ps.variant(queue(10), "api", "instances", 3.0)["nodes"][1]["instances"] == 3
    with pytest.raises(TopologyError, match="no field"):
        ps.variant(queue(10), "api", "service_time.nope", 1)
    with pytest.raises(TopologyError, match="not a number"):
        ps.variant(queue(10), "api", "service_time.dist", 1)
    with pytest.raises(TopologyError, match="no node"):
        ps.variant(queue(10), "nope", "rate", 1)
    with pytest.raises(TopologyError, match="rate = -5"):
        ps.variant(queue(10), "users", "rate", -5)


def test_each_point_runs_about_the_requests_asked_whatever_the_rate() -> None:
    for rate in (10, 40):
        point = ps.run_point(queue(rate), "users", "rate", rate, seed=3, requests=400)
        assert 300 <= point["completed"] <= 500


def test_the_interval_is_students_t_over_the_seeds() -> None:
    got = ps.interval([1.0, 2.0, 3.0])
    assert got["mean"] == 2.0 and got["n"] == 3
    assert got["high"] - got["mean"] == pytest.approx(4.303 * 1.0 / 3**0.5)
    assert ps.interval([5.0])["low"] is None


@pytest.mark.parametrize(
    ("servers", "rate"),
    [(1, 25), (1, 40), (3, 60), (3, 120)],  # ρ = 0.5, 0.8 (M/M/1); 0.4, 0.8 (M/M/3)
)
def test_the_theory_is_within_5_percent_of_the_simulated_mean_at_rho_up_to_0_8(
    servers: int, rate: float
) -> None:
    """Seeded, 4 seeds of 20,000 requests: the mean response of M/M/1 and M/M/c (Erlang C)."""
    doc = queue(rate, servers)
    theory = ps.predict(doc, "users", "rate", rate)
    assert theory["fit"] == "exact"
    means = [
        ps.run_point(doc, "users", "rate", rate, seed, 20_000)["latency_mean"]
        for seed in range(1, 5)
    ]
    simulated = ps.interval(means)["mean"]
    assert simulated == pytest.approx(theory["latency_mean"], rel=0.05)
    assert theory["utilisation"] == pytest.approx(rate * 0.02 / servers, rel=1e-3)


def test_a_node_outside_the_assumptions_makes_the_curve_a_bound_or_approximate() -> None:
    """Deterministic service on several workers; a timeout; retries; sticky sessions."""
    deterministic = ps.predict(queue(60, 3, "constant"), "users", "rate", 60)
    assert deterministic["fit"] in ("bound", "approximate") and deterministic["reasons"]
    sticky = queue(60)
    sticky["nodes"].insert(1, {"id": "lb", "kind": "load_balancer", "algorithm": "sticky"})
    sticky["nodes"][2]["instances"] = 2
    sticky["edges"] = [{"from": "users", "to": "lb"}, {"from": "lb", "to": "api"}]
    got = ps.predict(sticky, "users", "rate", 60)
    assert got["fit"] == "approximate"
    assert any("sticky" in r for r in got["reasons"])


def test_a_random_split_into_a_chain_is_exact_and_a_deadline_makes_a_bound() -> None:
    """A random balancer over two M/M/1s, each calling on to a third asynchronously, is a
    Jackson network (exact); a scatter-gather with a deadline is flagged, with its reason."""
    from patterns import scenarios

    exp = {"dist": "exponential", "mean_ms": 10}
    doc = {
        "version": 1,
        "name": "split",
        "nodes": [
            {"id": "users", "kind": "client", "rate": 40},
            {"id": "lb", "kind": "load_balancer", "algorithm": "random"},
            {"id": "a", "kind": "service", "service_time": exp},
            {"id": "b", "kind": "service", "service_time": exp},
        ],
        "edges": [
            {"from": "users", "to": "lb", "latency_ms": 0},
            {"from": "lb", "to": "a", "latency_ms": 0},
            {"from": "lb", "to": "b", "latency_ms": 0},
        ],
    }
    got = ps.predict(doc, "users", "rate", 40)
    assert got["fit"] == "exact"
    assert got["latency_mean"] == pytest.approx(1 / (1 / 10 - 0.02))  # each: M/M/1 at λ = 20/s
    search = scenarios.get("sharded-document-search").document
    agg = next(n["id"] for n in search["nodes"] if n["kind"] == "aggregator")
    flagged = ps.predict(search, agg, "timeout_ms", 100)
    assert flagged["fit"] in ("bound", "approximate")
    assert any("deadline" in r for r in flagged["reasons"])
