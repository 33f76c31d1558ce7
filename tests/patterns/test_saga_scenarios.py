"""The orchestrator scenarios show what their descriptions say."""

from __future__ import annotations

from functools import cache
from typing import Any

from patterns import Simulation, scenarios


@cache
def summary(slug: str) -> dict[str, Any]:
    return Simulation(scenarios.get(slug).document, record=False).run()


def test_it_resumes_the_vod_sagas_of_the_crashed_replica() -> None:
    """The VOD saga survives orch#0's crash: sagas resume on orch#1 and none is lost."""
    result = summary("vod-subscription-saga")
    sagas = result["sagas"]
    assert sagas["resumed"] >= 1 and sagas["lost"] == 0
    assert sagas["compensated"] > 0  # refunds after a regional unlock failed for good
    ended = sagas["completed"] + sagas["compensated"] + sagas["failed"]
    assert ended == result["requests"]["started"]
    assert sagas["completed"] > 0.9 * ended


def test_it_adds_the_profile_service_without_changing_any_other() -> None:
    """The profile variant adds one node, one edge and one step; every other node is the same."""
    first = scenarios.get("vod-subscription-saga").document
    second = scenarios.get("vod-subscription-with-profile").document
    before = {n["id"]: n for n in first["nodes"]}
    after = {n["id"]: n for n in second["nodes"]}
    assert set(after) - set(before) == {"profile"}
    for node_id, node in before.items():
        if node_id != "orch":
            assert after[node_id] == node, node_id
    calls = [s.get("call") for s in after["orch"]["steps"]]
    assert calls[:2] == ["user-service", "profile"]
    assert summary("vod-subscription-with-profile")["nodes"]["profile"]["processed"] > 0


def test_it_runs_the_job_seeker_flow_both_ways_with_the_same_services() -> None:
    """Orchestrated and choreographed job seekers share every service; only the first fails any."""
    work = ("service", "function")
    fields = ("kind", "concurrency", "service_time", "failure_rate", "instances", "cold_start_ms")

    def services(slug: str) -> dict[str, tuple[Any, ...]]:
        doc = scenarios.get(slug).document
        return {n["id"]: tuple(n.get(f) for f in fields) for n in doc["nodes"] if n["kind"] in work}

    orchestrated_services = services("job-seeker-orchestrated")
    choreographed_services = services("job-seeker-choreography")
    # The choreography has one more: the seeker's email on `resume rejected` (the orchestrated
    # seeker hears the outcome of its own request instead).
    assert set(choreographed_services) - set(orchestrated_services) == {"tell-seeker"}
    del choreographed_services["tell-seeker"]
    assert orchestrated_services == choreographed_services
    orchestrated = summary("job-seeker-orchestrated")
    choreographed = summary("job-seeker-choreography")
    assert orchestrated["requests"]["started"] == choreographed["requests"]["started"]
    # A failed parse is compensated both ways; only the orchestrated seeker hears about it.
    assert orchestrated["sagas"]["compensated"] == orchestrated["requests"]["failed"] > 0
    assert choreographed["requests"]["failed"] == 0
    assert choreographed["nodes"]["candidate-cleanup"]["processed"] > 0
