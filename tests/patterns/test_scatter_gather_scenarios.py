"""The built-in scatter-gather scenarios show what their descriptions say."""

from __future__ import annotations

from functools import cache
from typing import Any

from patterns import Simulation, scenarios


@cache
def run(slug: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    sim = Simulation(scenarios.get(slug).document)
    events: list[dict[str, Any]] = []
    while not sim.done:
        events.extend(sim.advance(sim.now + 10_000))
    return sim.summary(), [e for e in events if e["type"].startswith("aggregate.")]


def test_it_leaves_the_slow_shard_out_of_some_searches_and_only_it() -> None:
    """Sharded search: the slow shard often misses the 120 ms deadline; the fast ones rarely."""
    summary, events = run("sharded-document-search")
    done = [e for e in events if e["type"] == "aggregate.done"]
    missing = [w for e in done for w in e["missing"]]
    assert 0.1 < missing.count("shard-4") / len(done) < 0.5
    assert missing.count("shard-4") > 0.9 * len(missing)
    assert all(len(e["result"]) == 10 for e in done)
    assert summary["latency_ms"]["max"] <= 120 + 2


def test_it_answers_flight_searches_without_the_slow_provider_within_ten_seconds() -> None:
    """Flight search: answers by the 10 s deadline, often without Budget Air, whose fare is late."""
    summary, events = run("flight-search-ten-second-deadline")
    done = [e for e in events if e["type"] == "aggregate.done"]
    without = [e for e in done if "budget-air" in e["missing"]]
    assert 0.2 < len(without) / len(done) < 0.6
    assert {e["reason"] for e in without} == {"deadline passed"}
    assert all(e["result"]["from"] != "budget-air" for e in without)
    late = [e for e in events if e["type"] == "aggregate.late"]
    assert late and {e["from"] for e in late} <= {"budget-air", "pacific", "blue-jet"}
    assert summary["latency_ms"]["max"] <= 10_000 + 2


def test_it_stores_every_asynchronous_report_retrievable_by_id_after_the_run() -> None:
    """Async report: every request's merged result is in the reports database under its id."""
    sim = Simulation(scenarios.get("report-built-asynchronously").document)
    done = []
    while not sim.done:
        done += [e for e in sim.advance(sim.now + 10_000) if e["type"] == "aggregate.done"]
    stored = sim.stored("reports")
    summary = sim.summary()
    assert summary["requests"]["completed"] == summary["requests"]["started"] == len(stored)
    assert {e["req"]: e["result"] for e in done} == stored
    assert all(
        sorted(r) == ["costs-section", "risk-section", "sales-section"] for r in stored.values()
    )
    # The analysts fetch each report by id: 10 s after asking, again after each miss.
    fetches = summary["fetches"]["analysts"]
    assert fetches["found"] == len(stored) and fetches["gave_up"] == 0
    assert fetches["attempts"] == fetches["found"] + fetches["missed"] and fetches["missed"] > 0
    assert summary["latency_ms"]["p50"] > 10_000
