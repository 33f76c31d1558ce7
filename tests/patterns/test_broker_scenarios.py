"""The message-broker scenario: a queue between two internal services absorbs a burst
that the synchronous version of the same pair turns away."""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from typing import Any

from patterns import Simulation, scenarios

SLUG = "message-broker-absorbs-a-burst"


@cache
def run() -> tuple[
    dict[str, Any], dict[str, list[int]], dict[str, dict[str, int]], dict[str, list[float]]
]:
    """The summary, the invoices' backlog per metrics tick, outcomes per client, and the
    latencies of answered requests per half (sync, async)."""
    sim = Simulation(scenarios.get(SLUG).document)
    backlog: dict[str, list[int]] = defaultdict(list)
    outcomes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    latencies: dict[str, list[float]] = defaultdict(list)
    while not sim.done:
        for event in sim.advance(sim.now + 1000):
            if event["type"] == "metrics":
                for node in ("invoices-sync", "invoices-async"):
                    backlog[node].append(event["nodes"][node]["backlog"])
            elif event["type"] == "request.done":
                outcomes[event["origin"]][event["outcome"]] += 1
                if event["outcome"] == "ok":
                    latencies[event["origin"].rsplit("-", 1)[1]].append(event["latency_ms"])
    return sim.summary(), backlog, outcomes, latencies


def test_it_rejects_nothing_behind_the_queue_and_much_of_the_burst_without_it() -> None:
    """Behind a queue every order is answered; a synchronous call turns much of the burst away."""
    _, _, outcomes, _ = run()
    assert outcomes["flash-sale-async"]["ok"] == 750
    assert outcomes["shoppers-async"].get("rejected", 0) == 0
    assert outcomes["flash-sale-sync"]["rejected"] > 300


def test_it_lets_the_consumer_backlog_build_then_drain() -> None:
    """The invoice queue's depth climbs well past the synchronous queue's, then falls to zero."""
    summary, backlog, _, _ = run()
    peak = max(backlog["invoices-async"])
    assert peak > 300
    assert peak > 10 * max(backlog["invoices-sync"])
    # Back to the shoppers' trickle: empty again, and at most a few at the last snapshot.
    assert min(backlog["invoices-async"][-5:]) == 0
    assert backlog["invoices-async"][-1] <= 5
    assert summary["nodes"]["invoice-jobs"]["queue_max"] >= peak


def test_it_answers_the_asynchronous_callers_faster() -> None:
    """Behind the broker callers wait milliseconds (p95), not seconds as on a synchronous call."""
    latencies = run()[3]
    p95 = {k: sorted(v)[int(0.95 * len(v))] for k, v in latencies.items()}
    assert p95["async"] < 100
    assert p95["sync"] > 1000
