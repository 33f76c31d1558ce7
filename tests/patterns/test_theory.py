"""The engine against queueing theory: long runs, record=False."""

from __future__ import annotations

import math

from patterns import Simulation

from .topologies import balanced, exp, heterogeneous, single


def erlang_c_wait(c: int, lam: float, mu: float) -> float:
    """Mean response time of M/M/c (Erlang C), in the units of 1/mu."""
    a = lam / mu
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam) + 1 / mu


def test_it_matches_mm1_mean_response_time() -> None:
    """M/M/1 at 60% load: mean response 1/(mu - lambda) within 4%."""
    doc = single({"service_time": exp(10)}, rate=60, duration_ms=4_000_000, seed=11)
    s = Simulation(doc, record=False).run()
    theory = 1 / (0.1 - 0.06)  # ms
    assert s["requests"]["completed"] > 200_000
    assert abs(s["latency_ms"]["mean"] - theory) / theory < 0.04


def test_it_matches_erlang_c_for_mmc() -> None:
    """M/M/4 (one queue, four workers) at 70% load: Erlang C mean response within 4%."""
    doc = single({"concurrency": 4, "service_time": exp(10)}, rate=280, duration_ms=800_000, seed=5)
    s = Simulation(doc, record=False).run()
    theory = erlang_c_wait(4, 0.28, 0.1)
    assert abs(s["latency_ms"]["mean"] - theory) / theory < 0.04


def test_it_splits_poisson_traffic_like_theory_under_random() -> None:
    """Random over 3 servers: each is M/M/1 at lambda/3; counts near 1/3 each."""
    doc = balanced("random", [("api", 3, exp(5))], rate=300, duration_ms=800_000, seed=9)
    s = Simulation(doc, record=False).run()
    theory = 1 / (0.2 - 0.1)  # each server: mu 0.2/ms, lambda 0.1/ms
    assert abs(s["latency_ms"]["mean"] - theory) / theory < 0.05
    picks = s["load_balancers"]["lb"]
    total = sum(picks.values())
    for count in picks.values():
        assert abs(count / total - 1 / 3) < 0.01


def test_it_shows_least_loaded_algorithms_beating_blind_ones() -> None:
    """On a heterogeneous pool, least connections and power of two beat round robin and random."""
    mean = {
        algorithm: Simulation(heterogeneous(algorithm), record=False).run()["latency_ms"]["mean"]
        for algorithm in ("round_robin", "random", "least_connections", "power_of_two")
    }
    blind = min(mean["round_robin"], mean["random"])
    assert mean["least_connections"] < 0.6 * blind
    assert mean["power_of_two"] < 0.75 * blind
