"""The asynchronous scatter-gather's later fetch: the client reads its result by request id."""

from __future__ import annotations

from typing import Any

import pytest

from patterns import Simulation, TopologyError, load

from .test_scatter_gather import events, of_type


def published(
    *,
    work_ms: float = 100,
    fetch_after: float = 500,
    attempts: int = 5,
    read_ms: float = 2,
    write_ms: float = 5,
    connections: int = 10,
    fetch_latency: float = 20,
    requests: int = 1,
    rate: float = 1,
) -> dict[str, Any]:
    """client -> jobs -> w0, w1 -> results -> agg (store db); client -> db, the fetch."""
    return {
        "version": 1,
        "seed": 4,
        "duration_ms": 60_000,
        "nodes": [
            {
                "id": "c",
                "kind": "client",
                "rate": rate,
                "arrival": "constant",
                "requests": requests,
                "fetch_after_ms": fetch_after,
                "fetch_attempts": attempts,
            },
            {"id": "jobs", "kind": "topic", "latency_ms": 0},
            {"id": "w0", "kind": "service", "concurrency": 100, "service_time": work_ms},
            {"id": "w1", "kind": "service", "concurrency": 100, "service_time": work_ms},
            {"id": "results", "kind": "topic", "latency_ms": 0},
            {"id": "agg", "kind": "aggregator", "store": "db"},
            {
                "id": "db",
                "kind": "database",
                "read_ms": read_ms,
                "write_ms": write_ms,
                "concurrency": connections,
            },
        ],
        "edges": [
            {"from": "c", "to": "jobs", "latency_ms": 0},
            {"from": "jobs", "to": "w0", "latency_ms": 0},
            {"from": "jobs", "to": "w1", "latency_ms": 0},
            {"from": "w0", "to": "results", "latency_ms": 0},
            {"from": "w1", "to": "results", "latency_ms": 0},
            {"from": "results", "to": "agg", "latency_ms": 0},
            {"from": "agg", "to": "db", "op": "write", "latency_ms": 0},
            {"from": "c", "to": "db", "latency_ms": fetch_latency},
        ],
    }


def latencies(evs: list[dict[str, Any]]) -> list[float]:
    return [e["latency_ms"] for e in of_type(evs, "request.done")]


def test_it_completes_a_request_when_its_fetch_finds_the_result_paying_the_read() -> None:
    """A found fetch ends the request: fetch_after + the edge both ways + read_ms."""
    evs = events(published(fetch_after=500, read_ms=30, fetch_latency=20))
    (done,) = of_type(evs, "request.done")
    assert done["outcome"] == "ok"
    assert done["latency_ms"] == pytest.approx(500 + 20 + 30 + 20)
    (read,) = of_type(evs, "store.read")
    assert read["found"] is True and read["attempt"] == 1 and read["from"] == "c"
    assert read["node"] == "db"


def test_it_queues_a_fetch_for_a_connection_like_any_read() -> None:
    """With one connection, the second of two simultaneous fetches waits for the first read."""
    evs = events(published(read_ms=300, connections=1, requests=2, rate=1000))
    first, second = latencies(evs)
    assert first == pytest.approx(500 + 20 + 300 + 20)
    # Emitted 1 ms later, it waits 299 ms for the connection, then reads.
    assert second == pytest.approx(500 + 20 + 299 + 300 + 20)


def test_it_pays_the_write_before_a_read_can_find_the_row() -> None:
    """The row exists from when its write is served, write_ms after it reached the database."""
    evs = events(published(work_ms=100, write_ms=50, fetch_after=500))
    (write,) = of_type(evs, "store.write")
    (gather,) = of_type(evs, "aggregate.done")
    assert write["from"] == "agg" and write["node"] == "db"
    assert write["t"] == pytest.approx(gather["t"] + 50)


def test_it_retries_a_fetch_made_before_the_write_until_it_finds_the_result() -> None:
    """Reads before the write find nothing; the client asks again fetch_after later."""
    evs = events(published(work_ms=1000, fetch_after=400, fetch_latency=20, read_ms=2))
    reads = of_type(evs, "store.read")
    assert [(r["attempt"], r["found"]) for r in reads] == [(1, False), (2, False), (3, True)]
    (write,) = of_type(evs, "store.write")
    assert reads[1]["t"] < write["t"] < reads[2]["t"]
    # Each round: wait 400, 20 out, 2 to read, 20 back.
    assert latencies(evs) == [pytest.approx(3 * (400 + 20 + 2 + 20))]
    summary = Simulation(published(work_ms=1000, fetch_after=400)).run()
    assert summary["fetches"] == {"c": {"attempts": 3, "found": 1, "missed": 2, "gave_up": 0}}
    assert summary["requests"]["completed"] == 1


def test_it_times_the_request_out_after_fetch_attempts_reads_that_found_nothing() -> None:
    """The retries are bounded: after fetch_attempts misses the request is timed_out."""
    summary = Simulation(published(work_ms=10_000, fetch_after=100, attempts=3)).run()
    assert summary["fetches"]["c"] == {"attempts": 3, "found": 0, "missed": 3, "gave_up": 1}
    assert summary["requests"]["timed_out"] == 1 and summary["requests"]["completed"] == 0


def test_it_keeps_every_result_retrievable_by_id_after_the_run() -> None:
    """Simulation.stored holds each request's merged result under its id, as fetched."""
    doc = published(requests=20, rate=5, work_ms={"dist": "exponential", "mean_ms": 400})
    sim = Simulation(doc)
    evs: list[dict[str, Any]] = []
    while not sim.done:
        evs.extend(sim.advance(sim.now + 10_000))
    stored = sim.stored("db")
    results = {e["req"]: e["result"] for e in of_type(evs, "aggregate.done")}
    assert len(stored) == 20 and stored == results
    found = {r["req"] for r in of_type(evs, "store.read") if r["found"]}
    assert found == set(stored)
    assert all(e["outcome"] == "ok" for e in of_type(evs, "request.done"))


def test_it_leaves_a_client_without_fetch_after_ms_as_before() -> None:
    """No fetch_after_ms: the client does not read; its request ends with its last branch."""
    doc = published()
    doc["nodes"][0]["fetch_after_ms"] = None
    doc["edges"].pop()
    summary = Simulation(doc).run()
    assert summary["fetches"] == {} and summary["requests"]["completed"] == 1


def refusals(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(TopologyError) as caught:
        load(doc)
    return [str(p) for p in caught.value.problems]


def test_it_refuses_a_fetch_without_an_edge_to_the_store() -> None:
    """Fetching needs an edge from the client to the database an aggregator stores into."""
    doc = published()
    doc["edges"].pop()
    assert refusals(doc) == [
        'nodes[0] "c".fetch_after_ms: needs an edge to the database an aggregator stores into, '
        "to fetch from"
    ]


def test_it_refuses_a_fetch_by_a_client_that_waits_for_its_answer() -> None:
    """A client whose first edge is a call has its answer already: nothing to fetch."""
    doc = published()
    doc["edges"].insert(0, doc["edges"].pop())  # the read first, then the publish
    assert refusals(doc) == [
        'nodes[0] "c".fetch_after_ms: a client fetches later only if its first edge publishes '
        "on a topic or queue"
    ]


@pytest.mark.parametrize(
    ("field", "value"), [("fetch_after_ms", 0), ("fetch_after_ms", -5), ("fetch_attempts", 0)]
)
def test_it_refuses_fetch_fields_out_of_range_by_name(field: str, value: int) -> None:
    """fetch_after_ms is > 0, fetch_attempts >= 1; the refusal names the node and field."""
    doc = published()
    doc["nodes"][0][field] = value
    (problem,) = refusals(doc)
    assert problem.startswith(f'nodes[0] "c".{field}: ')
