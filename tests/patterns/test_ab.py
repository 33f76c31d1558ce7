"""A/B (patterns/ab.py): the same traffic and work in every variant; a paired interval."""

from __future__ import annotations

from typing import Any

import pytest

from patterns import Simulation, TopologyError, theory
from patterns.ab import check, compare, interval, run_one, t975

from .topologies import exp, single

MM1_VS_MM2 = [
    {"name": "M/M/1", "set": []},
    {"name": "M/M/2", "set": [{"node": "api", "field": "concurrency", "value": 2}]},
]


def base(duration_ms: float = 20_000, rate: float = 5.0) -> dict[str, Any]:
    # 5 requests/s, 100 ms of work each: rho 0.5 on one worker, 0.25 on two.
    return single({"concurrency": 1, "service_time": exp(100)}, rate, duration_ms)


def per_request(doc: dict[str, Any], seed: int) -> tuple[list[tuple[float, int]], dict[int, float]]:
    """The arrivals (time, request) and each request's service time at api, from the events."""
    sim = Simulation(doc, seed=seed)
    arrivals: list[tuple[float, int]] = []
    started: dict[int, float] = {}
    work: dict[int, float] = {}
    while not sim.done:
        for e in sim.advance(sim.now + 1000):
            if e["type"] == "msg.send" and e["from"] == "users":
                arrivals.append((e["t"], e["req"]))
            elif e["type"] == "node.start" and e["node"] == "api":
                started[e["req"]] = e["t"]
            elif e["type"] == "node.finish" and e["node"] == "api":
                work[e["req"]] = round(e["t"] - started[e["req"]], 6)
    return arrivals, work


def test_variants_get_the_same_arrivals_and_the_same_work_per_request() -> None:
    docs = check(base(), MM1_VS_MM2, [7])
    one, two = (per_request(d, 7) for d in docs)
    assert len(one[0]) > 50
    assert one[0] == two[0]  # the same arrival times, the same request ids
    assert one[1] == two[1]  # each request's service time, draw for draw
    # ... while the variants differ where they should: waiting in the queue.
    assert run_one(docs[0], 7)["mean_ms"] > run_one(docs[1], 7)["mean_ms"]


def test_the_paired_interval_covers_the_true_difference() -> None:
    """M/M/1 vs M/M/2 mean response: the closed forms' difference is inside the 95% interval."""
    seeds = list(range(1, 13))
    docs = check(base(duration_ms=1_000_000), MM1_VS_MM2, seeds)
    rows = [[run_one(d, s) for s in seeds] for d in docs]
    result = compare(["M/M/1", "M/M/2"], seeds, rows)
    rate = 5.0 / 1000
    truth = theory.mmc(2, rate, 100).response_ms - theory.mm1(rate, 100).response_ms
    diff = result["differences"][0]["figures"]["mean_ms"]
    assert diff["low"] <= truth <= diff["high"], (diff, truth)
    # Paired: far narrower than the spread of either variant alone would allow.
    alone = result["variants"][0]["figures"]["mean_ms"]["half"]
    assert diff["half"] < alone
    assert abs(result["variants"][0]["figures"]["mean_ms"]["mean"] - 200) < 10


def test_t_quantiles_and_intervals() -> None:
    assert t975(1) == pytest.approx(12.7062)
    assert t975(31) == pytest.approx(2.0395, abs=2e-4)
    assert t975(120) == pytest.approx(1.9799, abs=2e-4)
    got = interval([1.0, 2.0, 3.0])
    assert got["mean"] == 2.0
    assert got["half"] == pytest.approx(4.3027 / 3**0.5)
    assert interval([5.0])["low"] is None


def test_variants_are_checked() -> None:
    with pytest.raises(TopologyError, match="variants"):
        check(base(), MM1_VS_MM2[:1], [1])
    with pytest.raises(TopologyError, match="seeds"):
        check(base(), MM1_VS_MM2, [1, 1])
    bad = [MM1_VS_MM2[0], {"name": "x", "set": [{"node": "api", "field": "nope", "value": 1}]}]
    with pytest.raises(TopologyError, match="nope"):
        check(base(), bad, [1])
    worse = [
        MM1_VS_MM2[0],
        {"name": "x", "set": [{"node": "api", "field": "concurrency", "value": -3}]},
    ]
    with pytest.raises(TopologyError, match="concurrency"):
        check(base(), worse, [1])
