"""Orchestrated sagas: retries against 1 - p^(r+1), compensation order, timeouts, failover."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import pytest

from patterns import Simulation


def saga_doc(
    steps: list[dict[str, Any]],
    services: dict[str, dict[str, Any]],
    requests: int = 200,
    rate: float = 100,
    orchestrator: dict[str, Any] | None = None,
    faults: list[dict[str, Any]] | None = None,
    store: bool = False,
    seed: int = 1,
) -> dict[str, Any]:
    """A client calling an orchestrator that calls the given services (10 ms, ample workers)."""
    nodes: list[dict[str, Any]] = [
        {"id": "users", "kind": "client", "rate": rate, "requests": requests},
        {"id": "orch", "kind": "orchestrator", "steps": steps, **(orchestrator or {})},
    ]
    edges = [{"from": "users", "to": "orch"}]
    for name, spec in services.items():
        nodes.append({"id": name, "kind": "service", "concurrency": 1000, **spec})
        edges.append({"from": "orch", "to": name})
    if store:
        nodes.append({"id": "db", "kind": "database", "write_ms": 5, "concurrency": 1000})
        nodes[1]["store"] = "db"
        edges.append({"from": "orch", "to": "db", "op": "write"})
    return {
        "version": 1,
        "seed": seed,
        "duration_ms": 1_000_000,
        "nodes": nodes,
        "edges": edges,
        "faults": faults or [],
    }


def events_of(doc: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    sim = Simulation(doc)
    events: list[dict[str, Any]] = []
    while not sim.done:
        events += sim.advance(sim.now + 10_000)
    return sim.summary(), events


def by_req(events: list[dict[str, Any]], kind: str) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        if e["type"] == kind:
            out[e["req"]].append(e)
    return out


@pytest.mark.parametrize(("p", "retries"), [(0.3, 0), (0.3, 2), (0.5, 3), (0.6, 1)])
def test_it_completes_one_minus_p_to_the_retries_plus_one(p: float, retries: int) -> None:
    """With failure rate p per attempt and r retries, a share 1 - p^(r+1) of sagas completes."""
    n = 5000
    doc = saga_doc(
        [{"call": "pay", "retries": retries, "backoff_ms": 10}],
        {"pay": {"failure_rate": p}},
        requests=n,
        rate=200,
        seed=11,
    )
    result = Simulation(doc, record=False).run()
    expected = 1 - p ** (retries + 1)
    share = result["sagas"]["completed"] / n
    sigma = math.sqrt(expected * (1 - expected) / n)
    assert abs(share - expected) < 4 * sigma, (share, expected)
    assert result["sagas"]["completed"] + result["sagas"]["failed"] == n
    assert result["requests"]["completed"] == result["sagas"]["completed"]


def test_it_compensates_completed_steps_in_reverse_order_only() -> None:
    """A step failing for good undoes the completed steps that have a compensation, latest first."""
    steps = [
        {"call": "a", "compensate": "undo-a"},
        {"call": "b", "compensate": "undo-b"},
        {"call": "c"},
        {"call": "d", "compensate": "undo-d", "retries": 2, "backoff_ms": 5},
        {"call": "e", "compensate": "undo-e"},
    ]
    services: dict[str, dict[str, Any]] = {
        name: {} for name in ("a", "b", "c", "undo-a", "undo-b", "undo-d", "e", "undo-e")
    }
    services["d"] = {"failure_rate": 1.0}
    result, events = events_of(saga_doc(steps, services, requests=20))
    assert result["sagas"] == {
        "completed": 0,
        "compensated": 20,
        "failed": 0,
        "resumed": 0,
        "lost": 0,
    }
    for req, sagas in by_req(events, "saga").items():
        undone = [e["call"] for e in sagas if e["state"] == "compensating"]
        assert undone == ["undo-b", "undo-a"], req
        assert sagas[-1]["state"] == "compensated"
        assert sagas[-1]["step"] == 3  # the step that failed
    called = {e["to"] for e in events if e["type"] == "msg.send"}
    assert "undo-d" not in called and "e" not in called and "undo-e" not in called


def test_it_compensates_the_completed_branch_of_a_failed_parallel_step() -> None:
    """In a parallel step, the branch that completed is undone when its sibling fails."""
    steps = [
        {"call": "a", "compensate": "undo-a"},
        {
            "parallel": [
                {"call": "x", "compensate": "undo-x"},
                {"call": "y", "compensate": "undo-y"},
            ]
        },
    ]
    services: dict[str, dict[str, Any]] = {n: {} for n in ("a", "undo-a", "x", "undo-x", "undo-y")}
    services["y"] = {"failure_rate": 1.0}
    _, events = events_of(saga_doc(steps, services, requests=10))
    for sagas in by_req(events, "saga").values():
        running = [e["call"] for e in sagas if e["state"] == "running"]
        assert running == ["a", "x", "y"]  # both branches start together
        undone = [e["call"] for e in sagas if e["state"] == "compensating"]
        assert undone == ["undo-x", "undo-a"]


def test_it_backs_off_doubling_between_retries() -> None:
    """Retries wait backoff_ms, then twice that, then four times, after each failure."""
    steps = [{"call": "pay", "retries": 3, "backoff_ms": 100}]
    _, events = events_of(saga_doc(steps, {"pay": {"failure_rate": 1.0}}, requests=5))
    for req, results in by_req(events, "saga.step").items():
        starts = [e["t"] for e in by_req(events, "saga")[req] if e["state"] == "running"]
        ends = [e["t"] for e in results]
        assert [e["attempt"] for e in results] == [1, 2, 3, 4]
        waits = [round(s - f, 6) for f, s in zip(ends, starts[1:], strict=False)]
        assert waits == [100, 200, 400]


def test_it_times_a_slow_step_out_and_ignores_its_late_reply() -> None:
    """A call outlasting timeout_ms counts as failed at the deadline; its late answer is dropped."""
    steps = [{"call": "slow", "timeout_ms": 20, "retries": 1, "backoff_ms": 10}]
    result, events = events_of(saga_doc(steps, {"slow": {"service_time": 50}}, requests=5))
    assert result["sagas"]["failed"] == 5
    outcomes = [e["outcome"] for e in events if e["type"] == "saga.step"]
    assert outcomes == ["timed_out"] * 10
    for req, sagas in by_req(events, "saga").items():
        first = sagas[0]["t"]
        end = by_req(events, "saga.step")[req][0]["t"]
        assert end - first == pytest.approx(20)


CRASH_AT = 2_000.0


def crash_doc(store: bool, replicas: int = 2) -> dict[str, Any]:
    steps = [
        {"call": "auth"},
        {"call": "pay", "retries": 2, "backoff_ms": 50, "compensate": "refund"},
        {"parallel": [{"call": "email"}, {"call": "unlock"}]},
        {"call": "recommend"},
    ]
    services: dict[str, dict[str, Any]] = {
        "auth": {"service_time": 30},
        "pay": {"service_time": 80, "failure_rate": 0.3},
        "refund": {"service_time": 40},
        "email": {"service_time": 60},
        "unlock": {"service_time": 20, "failure_rate": 0.05},
        "recommend": {"service_time": 30},
    }
    faults = [{"at_ms": CRASH_AT, "kind": "crash", "node": "orch", "instance": 0, "for_ms": 3000}]
    return saga_doc(
        steps,
        services,
        requests=400,
        rate=100,
        orchestrator={"replicas": replicas, "failover_ms": 500},
        faults=faults,
        store=store,
        seed=5,
    )


def test_it_resumes_a_crashed_replicas_sagas_from_the_store() -> None:
    """With a store, every saga ends completed, compensated or failed, and the orphans resume."""
    result, events = events_of(crash_doc(store=True))
    sagas = result["sagas"]
    assert sagas["resumed"] > 0 and sagas["lost"] == 0
    assert sagas["completed"] + sagas["compensated"] + sagas["failed"] == 400
    assert result["requests"]["completed"] == sagas["completed"]
    resumed = [e for e in events if e["type"] == "saga" and e["state"] == "resumed"]
    assert len(resumed) == sagas["resumed"]
    for e in resumed:
        assert e["t"] == pytest.approx(CRASH_AT + 500)
        assert e["replica"] == "orch#1"
    # Steps done and recorded well before the crash do not run again after it.
    steps = by_req(events, "saga.step")
    runs = by_req(events, "saga")
    for e in resumed:
        safe = {
            s["step"] for s in steps[e["req"]] if s["outcome"] == "ok" and s["t"] < CRASH_AT - 50
        }
        again = {s["step"] for s in runs[e["req"]] if s["state"] == "running" and s["t"] > CRASH_AT}
        assert not safe & again, e["req"]


def test_it_counts_the_lost_sagas_without_a_store() -> None:
    """Without a store, a crashed replica's sagas are lost: counted, and failed back at once."""
    result, events = events_of(crash_doc(store=False))
    sagas = result["sagas"]
    lost = [e for e in events if e["type"] == "saga" and e["state"] == "lost"]
    assert sagas["lost"] == len(lost) > 0 and sagas["resumed"] == 0
    assert all(e["t"] == CRASH_AT and e["replica"] == "orch#0" for e in lost)
    assert sagas["completed"] + sagas["compensated"] + sagas["failed"] + sagas["lost"] == 400
    assert result["requests"]["failed"] == 400 - sagas["completed"]


def test_it_starts_new_sagas_on_the_live_replica_only() -> None:
    """While a replica is down, new sagas start on the other one; none is refused."""
    _, events = events_of(crash_doc(store=True))
    starts = [e for e in events if e["type"] == "node.start" and e["node"] == "orch"]
    during = [e for e in starts if CRASH_AT <= e["t"] < CRASH_AT + 3000]
    assert during and all(e["instance"] == "orch#1" for e in during)
    assert not [e for e in events if e["type"] == "node.fail" and e["reason"] == "instance is down"]


def test_it_kills_an_orchestrator_replica_injected_live() -> None:
    """A crash injected live on an orchestrator instance (the run view's fault) is failed over."""
    doc = crash_doc(store=True)
    doc["faults"] = []
    sim = Simulation(doc, record=False)
    sim.advance(CRASH_AT)
    sim.inject({"kind": "crash", "node": "orch", "instance": 0})
    result = sim.run()
    assert result["sagas"]["resumed"] > 0
    assert result["nodes"]["orch"]["instances"]["orch#1"]["resumed"] == result["sagas"]["resumed"]
    assert result["requests"]["in_flight"] == 0
