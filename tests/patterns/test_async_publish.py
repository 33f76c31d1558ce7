"""Work published by a synchronous request: at-least-once, and the run drains it.

A client calls a service synchronously; the service publishes to a queue and
answers. The request's outcome is final with that answer, but the message it
published is still asynchronous work the broker must see through: acknowledged,
redelivered when its consumer fails it, dead-lettered after `max_deliveries`,
and the run does not end before it is.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from patterns import Simulation
from patterns.engine import DRAIN_MIN_MS


def publisher(consumer: dict[str, Any], **top: Any) -> dict[str, Any]:
    """shop (sync client) -> orders (service) -> jobs (queue) -> `consumer` (id "work")."""
    edges = [
        {"from": "shop", "to": "orders"},
        {"from": "orders", "to": "jobs"},
        {"from": "jobs", "to": "work"},
    ]
    nodes = [
        {
            "id": "shop",
            "kind": "client",
            "rate": top.pop("rate", 50),
            "requests": top.pop("requests", 200),
        },
        {"id": "orders", "kind": "service", "instances": 2, "concurrency": 4, "service_time": 2},
        {"id": "jobs", "kind": "queue", "max_deliveries": top.pop("max_deliveries", 100)},
        {"id": "work", "kind": "service", **consumer},
    ]
    nodes += top.pop("extra_nodes", [])
    edges += top.pop("extra_edges", [])
    return {"version": 1, "seed": 3, "duration_ms": 10_000, "nodes": nodes, "edges": edges, **top}


def run(d: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    sim = Simulation(d)
    out: list[dict[str, Any]] = []
    while not sim.done:
        out += sim.advance(sim.now + 1000)
    return out, sim.summary()


def group(summary: dict[str, Any]) -> dict[str, int]:
    return summary["nodes"]["jobs"]["groups"]["jobs"]


def test_it_acknowledges_every_message_a_synchronous_request_published() -> None:
    """A consumer's OK acknowledges the message though its publisher was answered long before."""
    _, s = run(publisher({"service_time": {"dist": "exponential", "mean_ms": 10}}))
    published = s["nodes"]["jobs"]["published"]
    assert published == 200
    assert group(s)["acked"] == published
    assert s["nodes"]["work"]["processed"] == published
    assert s["requests"]["completed"] == 200


def test_it_redelivers_what_a_crashed_consumer_dropped_under_a_synchronous_publisher() -> None:
    """At-least-once: a message whose consumer crashes is redelivered, then processed OK once."""
    crashes = [
        {"at_ms": 500 + 600 * k, "kind": "crash", "node": "work", "instance": k % 2, "for_ms": 300}
        for k in range(8)
    ]
    evs, s = run(
        publisher(
            {"instances": 2, "service_time": {"dist": "exponential", "mean_ms": 30}},
            rate=40,
            requests=200,
            faults=crashes,
        )
    )
    published = s["nodes"]["jobs"]["published"]
    assert published == 200
    assert group(s)["redelivered"] > 0
    assert group(s)["acked"] == published
    assert group(s)["dead_lettered"] == 0
    finished = Counter(e["req"] for e in evs if e["type"] == "node.finish" and e["node"] == "work")
    ids = {
        e["req"]
        for e in evs
        if e["type"] == "msg.send" and e["from"] == "orders" and e["to"] == "jobs"
    }
    assert len(ids) == published
    assert set(finished) == ids and set(finished.values()) == {1}


def test_it_drains_the_queue_before_the_run_ends() -> None:
    """Messages still queued when emission ends are consumed before the run is done."""
    evs, s = run(publisher({"service_time": 50}, rate=100, requests=300, duration_ms=3000))
    published = s["nodes"]["jobs"]["published"]
    last = max(e["t"] for e in evs if e["type"] == "node.finish" and e["node"] == "work")
    # 300 messages at 20 per second: the consumer is busy for 15 s, well past the 3 s of emission.
    assert last > 14_000
    assert s["sim_time_ms"] >= last
    assert group(s)["acked"] == published == s["nodes"]["work"]["processed"]
    assert group(s)["depth"] == 0


def test_it_keeps_the_accounting_identities() -> None:
    """started = completed + failed + rejected + timed_out; delivered = acked + retried + dead."""
    d = publisher(
        {
            "instances": 2,
            "service_time": {"dist": "exponential", "mean_ms": 30},
            "failure_rate": 0.3,
        },
        rate=80,
        requests=400,
        max_deliveries=2,
    )
    # One slow orders worker with a short queue: some requests are turned away.
    d["nodes"][1].update(instances=1, concurrency=1, service_time=15, queue_limit=2)
    _, s = run(d)
    r = s["requests"]
    assert r["rejected"] > 0
    assert r["started"] == r["completed"] + r["failed"] + r["rejected"] + r["timed_out"] == 400
    assert r["in_flight"] == 0
    g = group(s)
    assert g["delivered"] == g["acked"] + g["redelivered"] + g["dead_lettered"]
    assert g["acked"] + g["dead_lettered"] == s["nodes"]["jobs"]["published"]
    assert g["acked"] > 0 and g["redelivered"] > 0 and g["dead_lettered"] > 0


def test_it_dead_letters_every_message_a_failing_consumer_gets_once_each() -> None:
    """failure_rate 1, max_deliveries 3: each message is dead-lettered; its request stays ok."""
    _, s = run(publisher({"failure_rate": 1.0, "service_time": 5}, requests=60, max_deliveries=3))
    published = s["nodes"]["jobs"]["published"]
    g = group(s)
    assert published == 60
    assert g["dead_lettered"] == published
    assert g["delivered"] == 3 * published and g["redelivered"] == 2 * published
    assert g["acked"] == 0
    # The client was answered before the consumer failed: its outcome is final.
    assert s["requests"]["completed"] == s["requests"]["started"] == 60


def test_it_sends_dead_letters_of_a_synchronous_publisher_down_the_error_edge() -> None:
    """With a dead-letter queue, what a consumer fails for good lands there, once per message."""
    d = publisher(
        {"failure_rate": 1.0, "service_time": 5},
        requests=60,
        max_deliveries=3,
        extra_nodes=[{"id": "dlq", "kind": "queue"}],
        extra_edges=[{"from": "jobs", "to": "dlq", "when": "error"}],
    )
    _, s = run(d)
    assert group(s)["dead_lettered"] == 60
    assert s["nodes"]["dlq"]["parked"] == 60
    assert s["requests"]["completed"] == 60


def test_it_gives_up_on_published_work_at_the_drain_limit() -> None:
    """A consumer down for good: the run ends at the drain limit, request outcomes unchanged."""
    d = publisher(
        {"service_time": 5},
        requests=20,
        duration_ms=1000,
        faults=[{"at_ms": 0, "kind": "crash", "node": "work"}],
    )
    evs, s = run(d)
    assert s["sim_time_ms"] == 1000 + DRAIN_MIN_MS
    assert s["requests"]["completed"] == 20 and s["requests"]["in_flight"] == 0
    assert group(s)["acked"] == 0 and group(s)["depth"] == 20
    gave_up = [e for e in evs if e["type"] == "timeout" and e["t"] == 1000 + DRAIN_MIN_MS]
    assert len(gave_up) == 20


def scatter_over_topics(first: dict[str, Any]) -> dict[str, Any]:
    """`first` -> jobs -> w1, w2 -> results -> agg (store db) -> out (sink) and -> t2 -> x."""
    return {
        "version": 1,
        "seed": 2,
        "duration_ms": 3000,
        "nodes": [
            {"id": "c", "rate": 20, **first},
            {"id": "jobs", "kind": "topic"},
            {"id": "w1", "kind": "service", "service_time": 5},
            {"id": "w2", "kind": "service", "service_time": 5},
            {"id": "results", "kind": "topic"},
            {"id": "agg", "kind": "aggregator", "store": "db"},
            {"id": "db", "kind": "database"},
            {"id": "out", "kind": "sink"},
            {"id": "t2", "kind": "topic"},
            {"id": "x", "kind": "service", "service_time": 3},
        ],
        "edges": [
            {"from": "c", "to": "jobs"},
            {"from": "jobs", "to": "w1"},
            {"from": "jobs", "to": "w2"},
            {"from": "w1", "to": "results"},
            {"from": "w2", "to": "results"},
            {"from": "results", "to": "agg"},
            {"from": "agg", "to": "out"},
            {"from": "agg", "to": "t2"},
            {"from": "t2", "to": "x"},
        ],
    }


def test_it_ends_the_branches_an_asynchronous_gather_sends_on() -> None:
    """A gather over topics that stores and sends its result on completes its items."""
    s = Simulation(scatter_over_topics({"kind": "source"})).run()
    r = s["requests"]
    assert r["completed"] == r["started"] > 0 and r["timed_out"] == 0
    assert s["nodes"]["out"]["processed"] == s["nodes"]["x"]["processed"] == r["started"]
    assert s["sim_time_ms"] < 3100


def test_it_drains_an_asynchronous_gather_behind_a_synchronous_publisher() -> None:
    """A synchronous request publishing into an asynchronous gather: the run ends when it has."""
    d = scatter_over_topics({"kind": "client"})
    d["nodes"].append({"id": "api", "kind": "service", "service_time": 1})
    d["edges"][0] = {"from": "c", "to": "api"}
    d["edges"].append({"from": "api", "to": "jobs"})
    s = Simulation(d).run()
    r = s["requests"]
    assert r["completed"] == r["started"] > 0
    assert s["aggregators"]["agg"]["complete"] == r["started"]
    assert s["nodes"]["x"]["processed"] == r["started"]
    assert s["sim_time_ms"] < 3100
