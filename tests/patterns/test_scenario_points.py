"""Every built-in scenario makes its point in numbers: its own seeded run, asserted.

One test a scenario (`POINTS` names them, and a test checks that every
scenario has one), each asserting the trade-off its description promises, on
the figures the summary (and, where needed, the event stream) shows. Other
files test the mechanics behind them in more detail.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from patterns import Simulation, scenarios


@cache
def summary(slug: str) -> dict[str, Any]:
    return Simulation(scenarios.get(slug).document, record=False).run()


@cache
def recorded(slug: str) -> tuple[dict[str, Any], tuple[dict[str, Any], ...]]:
    sim = Simulation(scenarios.get(slug).document)
    events: list[dict[str, Any]] = []
    while not sim.done:
        events.extend(sim.advance(sim.now + 10_000.0))
    events.extend(sim.advance(sim.now))
    return sim.summary(), tuple(events)


def failed_at(events: tuple[dict[str, Any], ...], node: str) -> list[int]:
    """The ids of the requests `node` failed, in order, each once."""
    return sorted({e["req"] for e in events if e["type"] == "node.fail" and e["node"] == node})


def test_round_robin_vs_least_connections() -> None:
    """The same requests into both; least connections' p95 is under half round robin's."""
    lanes = summary("round-robin-vs-least-connections")["lanes"]
    rr, lc = lanes["users-rr"], lanes["users-lc"]
    assert rr["requests"] == lc["requests"]
    assert rr["requests"]["started"] > 2000
    assert lc["latency_ms"]["p95"] < 0.5 * rr["latency_ms"]["p95"]


def test_sticky_sessions_and_a_crash() -> None:
    """Only the crashed instance's sessions fail, and only until the health checks see it."""
    result = summary("sticky-sessions-and-a-crash")
    failed = result["requests"]["failed"]
    assert 0 < failed < 0.01 * result["requests"]["started"]
    assert result["nodes"]["api"]["instances"]["api#1"]["failed"] == failed


def test_balancer_per_zone() -> None:
    """Zone a down for 20 s: the per-zone lane fails under a tenth of the single balancer's."""
    lanes = summary("balancer-per-zone")["lanes"]
    per_zone, single = lanes["users"]["requests"], lanes["users-single"]["requests"]
    assert per_zone["started"] == single["started"]
    assert single["failed"] > 500  # the whole 20 s of the outage, at 40 a second
    assert 0 < per_zone["failed"] < 0.1 * single["failed"]


def test_busy_tier_autoscales() -> None:
    """Scaling only the api costs less an hour than scaling every tier, at a similar latency."""
    result = summary("busy-tier-autoscales")
    lanes = result["lanes"]
    tiers, unit = lanes["users"], lanes["users-unit"]
    assert tiers["requests"]["started"] == unit["requests"]["started"]
    assert tiers["cost_per_hour"] < 0.85 * unit["cost_per_hour"]
    assert 0.67 < tiers["latency_ms"]["mean"] / unit["latency_ms"]["mean"] < 1.5
    nodes = result["nodes"]
    assert len(nodes["web"]["instances"]) == 2  # the web tier never scaled
    assert len(nodes["api"]["instances"]) > 2
    assert len(nodes["app"]["instances"]) > 2


def test_message_broker_absorbs_a_burst() -> None:
    """Behind a queue, no order of the flash sale is turned away; without it, most are."""
    lanes = summary("message-broker-absorbs-a-burst")["lanes"]
    sync, queued = lanes["flash-sale-sync"]["requests"], lanes["flash-sale-async"]["requests"]
    assert sync["started"] == queued["started"] == 750
    assert queued["rejected"] == 0 and sync["rejected"] > 375
    assert lanes["flash-sale-async"]["latency_ms"]["p95"] < 100


def test_media_processing_pipeline() -> None:
    """Transcode is the bottleneck; a failed speech-to-text chunk is lost while the rest of
    its upload goes on (partly processed); the scanners notify only when they find something."""
    result = summary("media-processing-pipeline")
    nodes, items = result["nodes"], result["items"]
    uploads = result["requests"]["started"]
    assert result["bottleneck"]["node"] == "transcode"
    # The other pipes of a partly processed upload went on: every rendition is made.
    assert nodes["cdn"]["processed"] == 36 * uploads
    # A plain pipe: a failed chunk is lost, its upload partly processed, the others whole.
    lost = nodes["speech-to-text"]["failed"]
    assert lost > 5 and nodes["captions"]["processed"] == 6 * uploads - lost
    assert items == {"completed": uploads - items["partial"], "partial": items["partial"],
                     "failed": 0}  # fmt: skip
    assert 5 < items["partial"] <= lost
    assert result["requests"]["failed"] == items["partial"]
    # Findings only: a few notifications out of two scans of every chunk.
    scans = nodes["copyright-scan"]["processed"] + nodes["content-scan"]["processed"]
    assert scans == 12 * uploads
    assert 0 < nodes["notified"]["processed"] < 0.05 * scans


def test_sharded_document_search() -> None:
    """The 120 ms deadline closes some gathers without the slow shard; none waits longer."""
    result = summary("sharded-document-search")
    gathers = result["aggregators"]["rank"]
    assert gathers["partial"] > 0.1 * (gathers["complete"] + gathers["partial"])
    assert result["latency_ms"]["max"] <= 122


def test_flight_search_ten_second_deadline() -> None:
    """Every search is answered by the 10 s deadline, many without the slow provider's fare."""
    result = summary("flight-search-ten-second-deadline")
    gathers = result["aggregators"]["cheapest"]
    assert gathers["partial"] > 0.2 * (gathers["complete"] + gathers["partial"])
    assert gathers["late"] > 0
    assert result["latency_ms"]["max"] <= 10_002


def test_report_built_asynchronously() -> None:
    """Every report is found by id in the end, some only after a fetch that found nothing."""
    result = summary("report-built-asynchronously")
    fetches = result["fetches"]["analysts"]
    assert fetches["found"] == result["requests"]["started"] > 0
    assert fetches["missed"] > 0 and fetches["gave_up"] == 0


def test_vod_subscription_saga() -> None:
    """Dozens of sagas are in flight on orch#0 when it crashes: all resume on orch#1."""
    sagas = summary("vod-subscription-saga")["sagas"]
    assert sagas["resumed"] >= 20
    assert sagas["lost"] == 0
    assert sagas["compensated"] > 0


def test_vod_subscription_with_profile() -> None:
    """One more step, one more service: the profile is called for every saga that gets there."""
    with_profile = summary("vod-subscription-with-profile")
    first = summary("vod-subscription-saga")
    assert with_profile["nodes"]["profile"]["processed"] >= with_profile["sagas"]["completed"]
    assert with_profile["latency_ms"]["mean"] > first["latency_ms"]["mean"]
    assert with_profile["sagas"]["resumed"] >= 20 and with_profile["sagas"]["lost"] == 0


def test_job_seeker_orchestrated() -> None:
    """The very requests that fail in the choreography fail here: compensated, the seeker told."""
    result, events = recorded("job-seeker-orchestrated")
    _, choreographed = recorded("job-seeker-choreography")
    failed = failed_at(events, "skill-parser")
    assert len(failed) >= 20
    assert failed == failed_at(choreographed, "skill-parser")
    assert result["sagas"]["compensated"] == result["requests"]["failed"] == len(failed)


def test_job_seeker_choreography() -> None:
    """Each failed parse is undone in the resume store by events, and its seeker is emailed."""
    result, events = recorded("job-seeker-choreography")
    failed = failed_at(events, "skill-parser")
    told = sorted(e["req"] for e in events if e["type"] == "node.finish"
                  and e["node"] == "tell-seeker")  # fmt: skip
    assert len(failed) >= 20 and told == failed
    nodes = result["nodes"]
    assert nodes["candidate-cleanup"]["processed"] == len(failed)
    assert nodes["resumes"]["processed"] == result["requests"]["started"] + len(failed)


POINTS = {
    "round-robin-vs-least-connections": test_round_robin_vs_least_connections,
    "sticky-sessions-and-a-crash": test_sticky_sessions_and_a_crash,
    "balancer-per-zone": test_balancer_per_zone,
    "busy-tier-autoscales": test_busy_tier_autoscales,
    "message-broker-absorbs-a-burst": test_message_broker_absorbs_a_burst,
    "media-processing-pipeline": test_media_processing_pipeline,
    "sharded-document-search": test_sharded_document_search,
    "flight-search-ten-second-deadline": test_flight_search_ten_second_deadline,
    "report-built-asynchronously": test_report_built_asynchronously,
    "vod-subscription-saga": test_vod_subscription_saga,
    "vod-subscription-with-profile": test_vod_subscription_with_profile,
    "job-seeker-orchestrated": test_job_seeker_orchestrated,
    "job-seeker-choreography": test_job_seeker_choreography,
}


def test_every_scenario_has_its_point_tested() -> None:
    """A scenario added without a test of its point fails here."""
    assert set(POINTS) == {s.slug for s in scenarios.all()}
