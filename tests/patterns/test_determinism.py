"""Seeds replay exactly; common random numbers across algorithms."""

from __future__ import annotations

import json
from typing import Any

from patterns import Simulation

from .topologies import balanced, exp


def stream(doc: dict[str, Any], seed: int | None = None) -> str:
    sim = Simulation(doc, seed=seed)
    lines = []
    while not sim.done:
        lines += [json.dumps(e, sort_keys=True) for e in sim.advance(sim.now + 500)]
    return "\n".join(lines)


def doc() -> dict[str, Any]:
    return balanced(
        "power_of_two",
        [("api", 3, exp(20))],
        rate=80,
        duration_ms=3000,
        latency_ms=1,
        faults=[{"at_ms": 1000, "kind": "crash", "node": "api", "instance": 1, "for_ms": 800}],
    )


def test_it_replays_the_same_stream_byte_for_byte() -> None:
    """Same document and seed: the same event stream, serialised identically."""
    assert stream(doc()) == stream(doc())


def test_it_gives_another_stream_for_another_seed() -> None:
    """Another seed: a different stream."""
    assert stream(doc()) != stream(doc(), seed=2)


def test_it_numbers_events_without_gaps_whatever_the_batches() -> None:
    """seq runs from 0 without gaps, and batching does not change the stream."""
    sim = Simulation(doc())
    events = []
    while not sim.done:
        events += sim.step()
    assert [e["seq"] for e in events] == list(range(len(events)))
    assert "\n".join(json.dumps(e, sort_keys=True) for e in events) == stream(doc())


def arrivals_and_work(algorithm: str) -> tuple[list[tuple[int, float]], dict[int, float]]:
    sim = Simulation(balanced(algorithm, [("api", 4, exp(15))], rate=150, duration_ms=4000), seed=4)
    sent, started, work = [], {}, {}
    while not sim.done:
        for e in sim.advance(sim.now + 1000):
            if e["type"] == "msg.send" and e["from"] == "users":
                sent.append((e["req"], e["t"]))
            elif e["type"] == "node.start":
                started[e["req"]] = e["t"]
            elif e["type"] == "node.finish":
                work[e["req"]] = round(e["t"] - started[e["req"]], 9)
    return sent, work


def test_it_draws_the_same_arrivals_and_service_times_under_another_algorithm() -> None:
    """Common random numbers: changing the balancer changes no arrival and no service time."""
    sent_rr, work_rr = arrivals_and_work("round_robin")
    sent_lc, work_lc = arrivals_and_work("least_connections")
    assert sent_rr == sent_lc
    assert work_rr == work_lc
    assert len(work_rr) > 500
