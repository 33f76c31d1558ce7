"""Pipes and filters and message brokers, checked against counting and queueing theory."""

from __future__ import annotations

import math
from typing import Any

import pytest

from patterns import Simulation
from patterns.topology import TopologyError


def doc(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], **top: Any) -> dict[str, Any]:
    return {"version": 1, "seed": 7, "duration_ms": 10_000, "nodes": nodes, "edges": edges, **top}


def exp(mean_ms: float) -> dict[str, Any]:
    return {"dist": "exponential", "mean_ms": mean_ms}


def events(d: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    sim = Simulation(d)
    out: list[dict[str, Any]] = []
    while not sim.done:
        out += sim.advance(sim.now + 1000)
    return out, sim.summary()


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load a = lambda/mu."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def test_it_splits_and_fans_out_down_every_pipe() -> None:
    """A split of 4, then two pipes (one splits by 3): 4 and 12 copies per item reach the sinks."""
    d = doc(
        [
            {"id": "up", "kind": "source", "rate": 20, "requests": 25},
            {"id": "chunk", "kind": "filter", "split": 4, "service_time": 5},
            {"id": "thumb", "kind": "filter", "service_time": exp(3), "instances": 2},
            {"id": "trans", "kind": "filter", "split": 3, "service_time": exp(5), "instances": 2},
            {"id": "thumbs", "kind": "sink"},
            {"id": "renditions", "kind": "sink"},
        ],
        [
            {"from": "up", "to": "chunk"},
            {"from": "chunk", "to": "thumb"},
            {"from": "chunk", "to": "trans"},
            {"from": "thumb", "to": "thumbs"},
            {"from": "trans", "to": "renditions"},
        ],
    )
    evs, s = events(d)
    assert s["requests"]["completed"] == s["requests"]["started"] == 25
    assert s["nodes"]["thumbs"]["processed"] == 100
    assert s["nodes"]["renditions"]["processed"] == 300
    # An item completes only after its last copy has reached a sink.
    last_at_sink: dict[int, float] = {}
    for e in evs:
        if e["type"] == "node.finish" and e["node"] in ("thumbs", "renditions"):
            last_at_sink[e["req"]] = e["t"]
    done = {e["req"]: e["t"] for e in evs if e["type"] == "request.done"}
    assert done == last_at_sink


def test_it_gives_each_subscriber_a_copy_and_lets_its_instances_compete() -> None:
    """A topic copies each message once per subscribing node; its instances share one queue."""
    d = doc(
        [
            {"id": "up", "kind": "source", "rate": 50, "requests": 200},
            {"id": "events", "kind": "topic"},
            {"id": "scan", "kind": "service", "instances": 3, "service_time": exp(40)},
            {"id": "audit", "kind": "service", "service_time": 1},
        ],
        [
            {"from": "up", "to": "events"},
            {"from": "events", "to": "scan"},
            {"from": "events", "to": "audit"},
        ],
    )
    evs, s = events(d)
    assert s["nodes"]["scan"]["processed"] == s["nodes"]["audit"]["processed"] == 200
    assert all(i["processed"] > 30 for i in s["nodes"]["scan"]["instances"].values())
    # One shared queue: no instance sits idle while a message waits for another.
    assert s["nodes"]["scan"]["queue_max"] == 0
    assert s["nodes"]["events"]["groups"]["scan"]["queue_max"] > 0


def test_it_gives_each_queued_message_to_exactly_one_consumer() -> None:
    """A queue is point-to-point: each message is processed once, by one of the downstream nodes."""
    d = doc(
        [
            {"id": "up", "kind": "source", "rate": 50, "requests": 300},
            {"id": "jobs", "kind": "queue"},
            {"id": "a", "kind": "service", "service_time": exp(30)},
            {"id": "b", "kind": "service", "service_time": exp(30)},
        ],
        [{"from": "up", "to": "jobs"}, {"from": "jobs", "to": "a"}, {"from": "jobs", "to": "b"}],
    )
    _, s = events(d)
    a, b = s["nodes"]["a"]["processed"], s["nodes"]["b"]["processed"]
    assert a + b == 300 and a > 50 and b > 50
    assert s["requests"]["completed"] == 300


def test_it_loses_nothing_when_consumers_crash_mid_work() -> None:
    """At-least-once: with crashes, every item reaches the sink; duplicates are counted apart."""
    d = doc(
        [
            {"id": "up", "kind": "source", "rate": 40, "requests": 300},
            {"id": "work", "kind": "topic", "max_deliveries": 100},
            {"id": "worker", "kind": "service", "instances": 3, "service_time": exp(30)},
            {"id": "done", "kind": "sink"},
            {"id": "db", "kind": "database", "write_ms": 40},
        ],
        [
            {"from": "up", "to": "work"},
            {"from": "work", "to": "worker"},
            # The result reaches the sink before the worker has written to the
            # store and acknowledged: a crash in between makes a duplicate.
            {"from": "worker", "to": "done"},
            {"from": "worker", "to": "db", "op": "write"},
        ],
        faults=[
            {
                "at_ms": 1000 + 700 * k,
                "kind": "crash",
                "node": "worker",
                "instance": k % 3,
                "for_ms": 400,
            }
            for k in range(10)
        ],
    )
    evs, s = events(d)
    reached = {e["req"] for e in evs if e["type"] == "node.finish" and e["node"] == "done"}
    emitted = {e["req"] for e in evs if e["type"] == "msg.send" and e["from"] == "up"}
    redelivered = [e for e in evs if e["type"] == "broker.redeliver"]
    duplicates = [e for e in evs if e["type"] == "item.duplicate"]
    assert len(emitted) == 300 and reached == emitted
    assert s["nodes"]["done"]["processed"] == 300
    assert redelivered and duplicates
    assert s["nodes"]["done"]["duplicates"] == len(duplicates)
    assert s["requests"]["completed"] == 300 and s["requests"]["failed"] == 0


def test_it_dead_letters_after_max_deliveries() -> None:
    """A message failed max_deliveries times (so redelivered one less) goes to the error edge."""
    d = doc(
        [
            {"id": "up", "kind": "source", "rate": 20, "requests": 40},
            {"id": "orders", "kind": "queue", "max_deliveries": 3},
            {"id": "flaky", "kind": "service", "failure_rate": 1.0, "service_time": 5},
            {"id": "dlq", "kind": "queue"},
        ],
        [
            {"from": "up", "to": "orders"},
            {"from": "orders", "to": "flaky"},
            {"from": "orders", "to": "dlq", "when": "error"},
        ],
    )
    evs, s = events(d)
    group = s["nodes"]["orders"]["groups"]["orders"]
    assert group["dead_lettered"] == 40 and group["redelivered"] == 80 and group["delivered"] == 120
    assert s["nodes"]["dlq"]["parked"] == 40
    dead = [e for e in evs if e["type"] == "broker.dead"]
    assert len(dead) == 40 and {e["deliveries"] for e in dead} == {3}
    assert s["requests"]["completed"] == 40


def test_it_fails_the_item_when_there_is_no_dead_letter_edge() -> None:
    """Without a `when: error` edge a message failed max_deliveries times fails its item."""
    d = doc(
        [
            {"id": "up", "kind": "source", "rate": 20, "requests": 10},
            {"id": "orders", "kind": "queue", "max_deliveries": 2},
            {"id": "flaky", "kind": "service", "failure_rate": 1.0, "service_time": 5},
        ],
        [{"from": "up", "to": "orders"}, {"from": "orders", "to": "flaky"}],
    )
    _, s = events(d)
    assert s["requests"]["failed"] == 10
    assert s["nodes"]["orders"]["groups"]["orders"]["delivered"] == 20


@pytest.mark.parametrize("c,lam,mean_ms", [(3, 21.0, 100.0), (2, 16.0, 100.0)])
def test_it_behaves_as_mm_c_with_competing_consumers(c: int, lam: float, mean_ms: float) -> None:
    """Poisson arrivals, a queue, c exponential consumers: mean time in system as Erlang C says."""
    d = doc(
        [
            {"id": "up", "kind": "source", "rate": lam},
            {"id": "q", "kind": "queue", "latency_ms": 0},
            {"id": "consumer", "kind": "service", "instances": c, "service_time": exp(mean_ms)},
        ],
        [
            {"from": "up", "to": "q", "latency_ms": 0},
            {"from": "q", "to": "consumer", "latency_ms": 0},
        ],
        duration_ms=3_000_000,
        seed=11,
    )
    s = Simulation(d, record=False).run()
    mu = 1000.0 / mean_ms
    a = lam / mu
    wq_ms = erlang_c(c, a) / (c * mu - lam) * 1000.0
    expected = wq_ms + mean_ms
    assert s["latency_ms"]["mean"] == pytest.approx(expected, rel=0.04)


def test_it_names_the_bottleneck_and_scaling_it_drains_its_queue() -> None:
    """The saturated stage is named the bottleneck; scaling it by hand drains its backlog."""
    d = doc(
        [
            {"id": "up", "kind": "source", "rate": 40, "arrival": "constant"},
            {"id": "chunk", "kind": "filter", "split": 2, "service_time": 2},
            {"id": "t", "kind": "topic"},
            {
                "id": "gpu",
                "kind": "service",
                "instances": 2,
                "service_time": exp(40),
                "cost_per_hour": 2.5,
            },
            {
                "id": "cpu",
                "kind": "service",
                "instances": 2,
                "service_time": exp(10),
                "cost_per_hour": 0.1,
            },
        ],
        [
            {"from": "up", "to": "chunk"},
            {"from": "chunk", "to": "t"},
            {"from": "t", "to": "gpu"},
            {"from": "t", "to": "cpu"},
        ],
        duration_ms=30_000,
    )
    sim = Simulation(d)
    evs = sim.advance(10_000)
    metrics = [e for e in evs if e["type"] == "metrics"]
    before = metrics[-1]["nodes"]["gpu"]
    assert before["bottleneck"] and not metrics[-1]["nodes"]["cpu"]["bottleneck"]
    assert before["backlog"] > 50 and before["cost_per_hour"] == 5.0
    sim.scale("gpu", 6)
    evs = sim.advance(20_000)
    assert any(e["type"] == "scale" and e["node"] == "gpu" and e["to"] == 6 for e in evs)
    after = [e for e in evs if e["type"] == "metrics"][-1]["nodes"]["gpu"]
    assert after["backlog"] < 10 and after["instances"] == 6 and after["cost_per_hour"] == 15.0
    s = sim.run()
    assert s["bottleneck"]["node"] == "gpu"
    assert s["requests"]["completed"] == s["requests"]["started"]


def test_it_refuses_a_bad_scale_request() -> None:
    """Scaling names a service or filter and a whole number of instances."""
    d = doc(
        [
            {"id": "up", "kind": "source"},
            {"id": "q", "kind": "queue"},
            {"id": "w", "kind": "service"},
        ],
        [{"from": "up", "to": "q"}, {"from": "q", "to": "w"}],
    )
    sim = Simulation(d)
    for node, n in (("q", 2), ("nope", 2), ("w", 0), ("w", 2.5)):
        with pytest.raises(TopologyError):
            sim.scale(node, n)  # type: ignore[arg-type]


def test_it_shows_the_media_pipeline_bottleneck_and_scaling_it_drains_the_queue() -> None:
    """The media scenario: transcode is the bottleneck; scaling it alone to 6 drains its queue."""
    from patterns import scenarios

    sim = Simulation(scenarios.get("media-processing-pipeline").document)
    metrics = [e for e in sim.advance(30_000) if e["type"] == "metrics"]
    flagged = {n for m in metrics[-5:] for n, v in m["nodes"].items() if v.get("bottleneck")}
    assert flagged == {"transcode"}
    depth_before = metrics[-1]["nodes"]["transcode-jobs"]["queued"]
    sim.scale("transcode", 6)
    metrics = [e for e in sim.advance(60_000) if e["type"] == "metrics"]
    assert metrics[-1]["nodes"]["transcode-jobs"]["queued"] < depth_before
    assert metrics[-1]["nodes"]["transcode"]["cost_per_hour"] == 15.0
    s = sim.run()
    assert s["bottleneck"]["node"] == "transcode"
    # Every upload is whole but those of which speech-to-text lost a chunk (partly processed).
    lost = s["nodes"]["speech-to-text"]["failed"]
    assert s["requests"]["completed"] == s["requests"]["started"] - s["items"]["partial"]
    chunks = 6 * s["requests"]["started"]
    assert s["nodes"]["cdn"]["processed"] == chunks * 3 * 2
    assert s["nodes"]["captions"]["processed"] == chunks - lost
    assert 0 < s["nodes"]["notified"]["processed"] < 0.05 * chunks * 2  # findings only


def test_it_keeps_a_sinks_memory_of_copies_flat() -> None:
    """A sink forgets the copies of finished items: what it remembers stays bounded."""
    d = doc(
        [
            {"id": "up", "kind": "source", "rate": 1000, "requests": 20_000},
            {"id": "resize", "kind": "filter", "split": 2, "service_time": exp(1), "instances": 4},
            {"id": "done", "kind": "sink"},
        ],
        [{"from": "up", "to": "resize"}, {"from": "resize", "to": "done"}],
        duration_ms=30_000,
    )
    sim = Simulation(d, record=False)
    largest = 0
    while not sim.done:
        sim.advance(sim.now + 500)
        largest = max(largest, len(sim.nodes["done"].seen))  # type: ignore[attr-defined]
    assert sim.summary()["nodes"]["done"]["processed"] == 40_000
    assert largest <= 2_100
