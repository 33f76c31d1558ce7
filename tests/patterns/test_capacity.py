"""Capacity on paper: the closed forms, the estimate of a topology, and the cross-check.

Every expected figure is computed here from the textbook formula, independently
of patterns.theory, so a slip in either shows.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path
from statistics import NormalDist
from typing import Any

import pytest

from patterns import Simulation, TopologyError, capacity, scenarios, theory

from .topologies import balanced, exp, single

ROOT = Path(__file__).resolve().parents[2]


def erlang_c_textbook(c: int, a: float) -> float:
    """Erlang C by the sum of a^k/k!, in exact rational arithmetic (no overflow)."""
    x = Fraction(a)
    top = x**c / math.factorial(c) / (1 - x / c)
    return float(top / (sum(x**k / math.factorial(k) for k in range(c)) + top))


def tandem(
    stages: list[tuple[int, float]],
    rate: float,
    latency: float = 1.0,
    duration_ms: float = 60_000,
    seed: int = 1,
) -> dict[str, Any]:
    """source -> filter x N (concurrency c, exponential mean) -> sink: a Jackson tandem."""
    nodes: list[dict[str, Any]] = [{"id": "src", "kind": "source", "rate": rate}]
    ids = ["src"]
    for i, (c, mean) in enumerate(stages):
        nodes.append({"id": f"s{i}", "kind": "filter", "concurrency": c, "service_time": exp(mean)})
        ids.append(f"s{i}")
    nodes.append({"id": "out", "kind": "sink"})
    ids.append("out")
    edges = [
        {"from": a, "to": b, "latency_ms": latency} for a, b in zip(ids, ids[1:], strict=False)
    ]
    return {"version": 1, "seed": seed, "duration_ms": duration_ms, "nodes": nodes, "edges": edges}


# -- the closed forms ------------------------------------------------------------


@pytest.mark.parametrize(
    ("c", "a"),
    [(1, 0.5), (2, 1.0), (2, 1.6), (4, 2.8), (10, 8.0), (50, 45.0), (150, 140.0), (1000, 990.0)],
)
def test_it_matches_erlang_c_of_the_textbook(c: int, a: float) -> None:
    """Erlang C from the Erlang B recursion equals the textbook sum."""
    assert theory.erlang_c(c, a) == pytest.approx(erlang_c_textbook(c, a), rel=1e-9)


def test_it_matches_tabulated_erlang_c_values() -> None:
    """Known values: c=2, a=1 gives C=1/3; c=1 gives C=ρ."""
    assert theory.erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert theory.erlang_c(1, 0.7) == pytest.approx(0.7)


@pytest.mark.parametrize(
    ("c", "a"), [(2500, 2400.0), (5000, 3000.0), (20_000, 19_900.0), (3000, 2990.0)]
)
def test_it_computes_erlang_b_for_large_pools_as_the_recursion(c: int, a: float) -> None:
    """The O(√a) form for big pools equals the plain O(c) recursion."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    assert theory.erlang_b(c, a) == pytest.approx(b, rel=1e-9)


def test_it_computes_erlang_c_for_thousands_of_servers() -> None:
    """c = 5000 at ρ = 0.99: finite, in (0, 1), no overflow; the sum form cannot do it."""
    c = theory.erlang_c(5000, 4950.0)
    assert 0.0 < c < 1.0
    # Halfin–Whitt: with a = c - β√c the probability of waiting tends to
    # 1 / (1 + βΦ(β)/φ(β)) as c grows (β = 50/√5000 here).
    beta = 50 / math.sqrt(5000)
    normal = NormalDist()
    limit = 1 / (1 + beta * normal.cdf(beta) / normal.pdf(beta))
    assert c == pytest.approx(limit, rel=0.01)


def test_it_gives_mm1_and_mmc_means() -> None:
    """M/M/1: 1/(μ-λ); M/M/c: C/(cμ-λ) + 1/μ."""
    q = theory.mm1(0.06, 10.0)
    assert q.response_ms == pytest.approx(1 / (0.1 - 0.06))
    q = theory.mmc(4, 0.28, 10.0)
    expected = erlang_c_textbook(4, 2.8) / (0.4 - 0.28) + 10
    assert q.response_ms == pytest.approx(expected)


def test_it_gives_pollaczek_khinchine_for_mg1() -> None:
    """M/D/1: Wq = λ s² / (2(1-ρ)); M/G/1 from mean and variance."""
    q = theory.mg1(0.05, 10.0, 0.0)
    assert q.wait_ms == pytest.approx(0.05 * 100 / (2 * 0.5))
    q = theory.mg1(0.05, 10.0, 300.0)  # E[S²] = 400
    assert q.wait_ms == pytest.approx(0.05 * 400 / (2 * 0.5))


def test_it_gives_waiting_and_response_percentiles() -> None:
    """M/M/1 response p99 = ln(100)/(μ-λ); M/M/c wait tail C·e^{-(cμ-λ)t}."""
    assert theory.mmc_response_quantile(1, 0.06, 0.1, 0.99) == pytest.approx(
        math.log(100) / 0.04, rel=1e-9
    )
    c = erlang_c_textbook(3, 2.4)
    assert theory.mmc_wait_tail(3, 0.24, 10.0, 5.0) == pytest.approx(c * math.exp(-0.06 * 5))
    t = theory.mmc_wait_quantile(3, 0.24, 10.0, 0.99)
    assert theory.mmc_wait_tail(3, 0.24, 10.0, t) == pytest.approx(0.01)


def test_it_gives_the_independent_fork_join_bound() -> None:
    """n identical exponential branches: E[max] = H_n/θ; with a deadline, at most it."""
    branches = [theory.Branch(0.0, 20.0)] * 5
    h5 = 1 + 1 / 2 + 1 / 3 + 1 / 4 + 1 / 5
    assert theory.fork_join(branches) == pytest.approx(20.0 * h5, rel=1e-4)
    assert theory.max_of_exponentials(5, 1 / 20) == pytest.approx(20.0 * h5)
    assert theory.fork_join(branches, need=1) == pytest.approx(20.0 / 5, rel=1e-3)
    assert theory.fork_join(branches, deadline_ms=30.0) < 30.0


def test_it_solves_the_traffic_equations_with_a_loop() -> None:
    """λ_a = 1 + 0.5 λ_b, λ_b = λ_a: λ_a = λ_b = 2."""
    rates = theory.traffic({"a": 1.0}, {"a": [("b", 1.0)], "b": [("a", 0.5)]})
    assert rates["a"] == pytest.approx(2.0)
    assert rates["b"] == pytest.approx(2.0)
    with pytest.raises(ValueError):
        theory.traffic({"a": 1.0}, {"a": [("b", 1.0)], "b": [("a", 1.5)]})


# -- the estimate ------------------------------------------------------------------


def test_it_estimates_an_mmc_as_the_closed_form() -> None:
    """One M/M/4 at 280/s: utilisation, response, p99 and sizing as Erlang C says."""
    doc = single({"concurrency": 4, "service_time": exp(10), "cost_per_hour": 0.5}, 280, 1000)
    est = capacity.estimate(doc)
    api = est["nodes"]["api"]
    lam, mu, c = 0.28, 0.1, 4
    wait = erlang_c_textbook(c, lam / mu) / (c * mu - lam)
    assert api["utilisation"] == pytest.approx(0.7)
    assert api["wait_ms"] == pytest.approx(wait, rel=1e-6)
    assert api["response_ms"] == pytest.approx(wait + 10, rel=1e-6)
    assert est["clients"]["users"]["latency_ms"] == pytest.approx(wait + 10, rel=1e-6)
    assert api["fit"]["status"] == "exact"
    # 70% target: 2.8 erlangs over 4 workers per instance -> 1 instance.
    assert api["needed"] == 1
    assert api["cost_per_month"] == pytest.approx(0.5 * 730)


def test_it_estimates_a_three_stage_jackson_network_as_the_closed_form() -> None:
    """source -> M/M/1 -> M/M/2 -> M/M/1 -> sink: rates, per-stage and end-to-end times."""
    doc = tandem([(1, 5.0), (2, 12.0), (1, 8.0)], rate=100, latency=1.0)
    est = capacity.estimate(doc)
    lam = 0.1  # per ms
    r0 = 1 / (1 / 5 - lam)
    r1 = erlang_c_textbook(2, lam * 12) / (2 / 12 - lam) + 12
    r2 = 1 / (1 / 8 - lam)
    for node_id, expected in (("s0", r0), ("s1", r1), ("s2", r2)):
        assert est["nodes"][node_id]["rate_per_s"] == pytest.approx(100)
        assert est["nodes"][node_id]["response_ms"] == pytest.approx(expected, rel=1e-6)
        assert est["nodes"][node_id]["fit"]["status"] == "exact"
    # Four one-way hops of 1 ms and the three stages.
    assert est["clients"]["src"]["latency_ms"] == pytest.approx(4 + r0 + r1 + r2, rel=1e-6)
    assert est["bottleneck"] == "s2"  # ρ: 0.5, 0.6, 0.8
    assert est["first_to_saturate"]["node"] == "s2"
    assert est["first_to_saturate"]["at_load_factor"] == pytest.approx(1.25, rel=1e-4)


def test_it_splits_traffic_like_the_balancer() -> None:
    """A random balancer over 3 + 1 instances: each instance an M/M/1 at λ/4."""
    doc = balanced("random", [("a", 3, exp(5)), ("b", 1, exp(5))], rate=400)
    est = capacity.estimate(doc)
    assert est["nodes"]["a"]["rate_per_s"] == pytest.approx(300)
    assert est["nodes"]["b"]["rate_per_s"] == pytest.approx(100)
    assert est["nodes"]["a"]["utilisation"] == pytest.approx(0.5)
    assert est["nodes"]["a"]["fit"]["status"] == "exact"


def test_it_scales_to_internet_load() -> None:
    """3 billion a day at peak factor 3: rates, instances and cost at that scale, in ms."""
    doc = balanced("random", [("api", 2, exp(20))], rate=10, cost_per_hour=0.1)
    started = time.perf_counter()
    est = capacity.estimate(doc, load_per_s=capacity.parse_load("3e9/day"), peak_factor=3)
    assert time.perf_counter() - started < 1.0
    peak = 3e9 / 86400 * 3
    assert est["load"]["peak_per_s"] == pytest.approx(peak)
    api = est["nodes"]["api"]
    assert api["saturated"] is True and est["saturated"] == ["api"]
    assert api["fit"]["status"] == "exact"  # the planned design is an M/M/1 pool
    assert api["needed"] == math.ceil(peak * 0.020 / 0.7)
    assert api["planned"]["utilisation"] <= 0.7
    assert est["planned_cost_per_month"] == pytest.approx(api["needed"] * 0.1 * 730, rel=1e-6)


def test_it_sizes_for_a_target_p99() -> None:
    """The fewest instances whose M/M/1 p99 = ln(100)/(μ-λ/n) meets the target."""
    doc = balanced("random", [("api", 1, exp(10))], rate=500)
    est = capacity.estimate(doc, target_p99_ms=60.0)
    n = est["nodes"]["api"]["needed"]
    p99 = lambda k: math.log(100) / (0.1 - 0.5 / k)  # noqa: E731
    assert p99(n) <= 60.0 < p99(n - 1)


def test_it_flags_timeouts_and_retries_as_approximate() -> None:
    """An orchestrator with a timeout and retries: a bound and an approximation, with reasons."""
    doc = scenarios.get("vod-subscription-saga").document
    fits = capacity.applicability(doc)
    saga = next(
        n for n, spec in ((n["id"], n) for n in doc["nodes"]) if spec["kind"] == "orchestrator"
    )
    assert fits[saga]["status"] == "approximate"
    assert any("retries" in r for r in fits[saga]["reasons"])
    deadline = capacity.applicability(scenarios.get("flight-search-ten-second-deadline").document)
    assert any(f["status"] == "bound" for f in deadline.values())


def test_it_reads_loads_in_words() -> None:
    assert capacity.parse_load("3e9/day") == pytest.approx(3e9 / 86400)
    assert capacity.parse_load("3 billion per day") == pytest.approx(3e9 / 86400)
    assert capacity.parse_load("1200/s") == 1200
    assert capacity.parse_load("50k/min") == pytest.approx(50_000 / 60)
    for bad in ("", "fast", "-3/s", "3/fortnight", "0"):
        with pytest.raises(ValueError):
            capacity.parse_load(bad)


def test_it_refuses_bad_inputs_naming_the_field() -> None:
    doc = single({"service_time": exp(10)}, 10, 1000)
    with pytest.raises(TopologyError) as info:
        capacity.estimate(doc, load_per_s=-1, peak_factor=0.5, target_utilisation=1.5)
    assert {p.path for p in info.value.problems} == {"load", "peak_factor", "target_utilisation"}


def test_it_estimates_every_built_in_scenario_quickly() -> None:
    """Each scenario at 3e9/day: an answer, JSON-safe, within a second."""
    for scenario in scenarios.all():
        started = time.perf_counter()
        est = capacity.estimate(scenario.document, load_per_s=3e9 / 86400, peak_factor=2)
        assert time.perf_counter() - started < 1.0, scenario.slug
        assert est["bottleneck"] is not None, scenario.slug


# -- theory against the engine -----------------------------------------------------


def simulated(doc: dict[str, Any]) -> dict[str, Any]:
    return Simulation(doc, record=False).run()


@pytest.mark.parametrize(("concurrency", "rate"), [(1, 80), (4, 320)])
def test_theory_matches_the_engine_for_mm1_and_mmc(concurrency: int, rate: float) -> None:
    """M/M/1 and M/M/4 at ρ = 0.8: mean latency and utilisation within 5% (seeded)."""
    doc = single(
        {"concurrency": concurrency, "service_time": exp(10)},
        rate,
        duration_ms=150_000 / rate * 1000,
        seed=21,
    )
    est = capacity.estimate(doc)
    s = simulated(doc)
    assert s["requests"]["completed"] >= 140_000
    predicted = est["clients"]["users"]["latency_ms"]
    assert abs(s["latency_ms"]["mean"] - predicted) / predicted < 0.05
    assert abs(s["nodes"]["api"]["utilization"] - 0.8) < 0.02


def test_theory_matches_the_engine_for_a_jackson_tandem() -> None:
    """The three-stage tandem at ρ ≤ 0.8: end-to-end mean within 5% (seeded)."""
    doc = tandem([(1, 5.0), (2, 12.0), (1, 8.0)], rate=100, duration_ms=600_000, seed=4)
    est = capacity.estimate(doc)
    s = simulated(doc)
    predicted = est["clients"]["src"]["latency_ms"]
    assert abs(s["latency_ms"]["mean"] - predicted) / predicted < 0.05


def test_the_cross_check_runs_and_reports_its_difference() -> None:
    """At 10 million a day the estimate sizes the pool; the scaled-down copy runs in the
    engine and its mean latency and utilisation come within 5% of the copy's estimate."""
    doc = balanced("random", [("api", 1, exp(10))], rate=10, concurrency=4)
    est = capacity.estimate(doc, load_per_s=1e7 / 86400, peak_factor=4)
    check = capacity.cross_check(doc, est, requests=60_000, seed=3)
    copy = check["document"]
    assert sum(n["rate"] for n in copy["nodes"] if n["kind"] == "client") <= capacity.CHECK_MAX_RATE
    assert check["requests"]["completed"] >= 55_000
    latency = check["latency_ms"]
    assert latency["difference"] is not None
    assert abs(latency["difference"]) < 0.05
    node = check["nodes"]["api"]
    assert node["predicted_utilisation"] <= 0.8
    assert abs(node["difference"]) < 0.05


def test_the_command_line_prints_the_estimate(tmp_path: Path) -> None:
    """`python -m patterns capacity FILE --load 3e9/day --json`; a bad load exits 2, naming it."""
    path = tmp_path / "t.json"
    path.write_text(json.dumps(single({"concurrency": 4, "service_time": exp(10)}, 280, 1000)))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "patterns",
            "capacity",
            str(path),
            "--load",
            "3e9/day",
            "--peak",
            "3",
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["load"]["peak_per_s"] == pytest.approx(3e9 / 86400 * 3)
    assert out["nodes"]["api"]["needed"] > 1
    text = subprocess.run(
        [sys.executable, "-m", "patterns", "capacity", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "bottleneck at this load: api" in text.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "patterns", "capacity", str(path), "--load", "lots"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and bad.stdout == "" and bad.stderr.startswith("--load:")


def test_it_says_when_the_theory_does_not_apply_at_all() -> None:
    """A refund service called only when a saga compensates gets no modelled traffic: none."""
    doc = scenarios.get("vod-subscription-saga").document
    est = capacity.estimate(doc)
    compensations = {
        call["compensate"]
        for spec in doc["nodes"]
        if spec["kind"] == "orchestrator"
        for step in spec["steps"]
        for call in step.get("parallel", [step])
        if call.get("compensate")
    }
    assert compensations
    for node_id in compensations:
        assert est["nodes"][node_id]["fit"]["status"] == "none"
        assert "compensations" in est["nodes"][node_id]["fit"]["reasons"][-1]


def test_the_fork_join_bound_holds_against_the_engine() -> None:
    """Scatter to 3 M/M/1 workers at ρ = 0.5: 2 + 20·H_3 ms is an upper bound of the
    simulated mean, and 2 + 20 ms (the largest branch mean) a lower one (seeded)."""
    nodes: list[dict[str, Any]] = [
        {"id": "users", "kind": "client", "rate": 50},
        {"id": "scatter", "kind": "dispatcher"},
        {"id": "gather", "kind": "aggregator"},
    ]
    edges: list[dict[str, Any]] = [{"from": "users", "to": "scatter", "latency_ms": 0}]
    for i in range(3):
        nodes.append({"id": f"w{i}", "kind": "service", "service_time": exp(10)})
        edges += [
            {"from": "scatter", "to": f"w{i}", "latency_ms": 1},
            {"from": f"w{i}", "to": "gather", "latency_ms": 1},
        ]
    doc = {"version": 1, "seed": 3, "duration_ms": 300_000, "nodes": nodes, "edges": edges}
    est = capacity.estimate(doc)
    assert est["nodes"]["scatter"]["fit"]["status"] == "bound"
    upper = est["clients"]["users"]["latency_ms"]
    assert upper == pytest.approx(2 + 20 * (1 + 1 / 2 + 1 / 3), rel=1e-3)
    simulated = Simulation(doc, record=False).run()["latency_ms"]["mean"]
    assert 2 + 20 < simulated < upper
