"""The built-in load-balancing scenarios load, run to the end, and show what they say they show."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import pytest

from patterns import Simulation, scenarios
from patterns.topology import load

SLUGS = [s.slug for s in scenarios.all()]


@cache
def summary(slug: str) -> dict[str, Any]:
    assert Simulation is not None
    return Simulation(scenarios.get(slug).document, record=False).run()


def test_it_has_the_four_load_balancing_scenarios() -> None:
    """Issue 2's scenarios are all there, under the load-balancing pattern."""
    lb = {s.slug for s in scenarios.all() if s.pattern == "load-balancing"}
    assert {
        "round-robin-vs-least-connections",
        "sticky-sessions-and-a-crash",
        "balancer-per-zone",
        "busy-tier-autoscales",
    } <= lb


def test_it_gives_every_scenario_a_unique_slug() -> None:
    """Slugs are unique and match their files."""
    assert len(SLUGS) == len(set(SLUGS))
    files = {
        f.name[:-5]
        for f in resources.files("patterns.scenarios").iterdir()
        if f.name.endswith(".json")
    }
    assert set(SLUGS) == files


@pytest.mark.parametrize("slug", SLUGS)
def test_it_loads_every_scenario(slug: str) -> None:
    """Every scenario is a valid topology with a name and a description."""
    scenario = scenarios.get(slug)
    doc = load(scenario.document)
    assert scenario.name and scenario.name == doc["name"]
    assert scenario.pattern == doc["pattern"]
    sentences = scenario.description.count(". ") + 1
    assert 2 <= sentences <= 4, scenario.description


@pytest.mark.parametrize("slug", SLUGS)
def test_it_places_every_node_for_a_left_to_right_layout(slug: str) -> None:
    """Each node has x in 80..900 and y in 60..500, and flows left to right along its edges."""
    doc = load(scenarios.get(slug).document)
    at = {n["id"]: (n["x"], n["y"]) for n in doc["nodes"]}
    for x, y in at.values():
        assert x is not None and 80 <= x <= 900
        assert y is not None and 60 <= y <= 500
    assert len(set(at.values())) == len(at), "two nodes share a position"
    for edge in doc["edges"]:
        assert at[edge["from"]][0] < at[edge["to"]][0], edge


def test_it_hands_out_copies_of_documents() -> None:
    """Editing a returned document does not change the library."""
    scenarios.get(SLUGS[0]).document["nodes"].clear()
    assert scenarios.get(SLUGS[0]).document["nodes"]


def test_it_raises_key_error_for_an_unknown_slug() -> None:
    """get() of a slug that does not exist is a KeyError."""
    with pytest.raises(KeyError):
        scenarios.get("no-such-scenario")


@pytest.mark.parametrize("slug", SLUGS)
def test_it_runs_every_scenario_with_every_request_accounted_for(slug: str) -> None:
    """Each scenario runs to the end; started = completed + failed + rejected + timed_out."""
    requests = summary(slug)["requests"]
    assert requests["started"] > 0
    ended = (
        requests["completed"] + requests["failed"] + requests["rejected"] + requests["timed_out"]
    )
    assert requests["started"] == ended
    assert requests.get("in_flight", 0) == 0


def test_it_shows_least_connections_sparing_the_slow_servers() -> None:
    """Least connections gives the slow servers less work and shorter queues than round robin."""
    nodes = summary("round-robin-vs-least-connections")["nodes"]
    rr_share = nodes["slow-rr"]["processed"] / (
        nodes["slow-rr"]["processed"] + nodes["fast-rr"]["processed"]
    )
    lc_share = nodes["slow-lc"]["processed"] / (
        nodes["slow-lc"]["processed"] + nodes["fast-lc"]["processed"]
    )
    assert rr_share == pytest.approx(0.5, abs=0.02)
    assert lc_share < 0.45
    assert nodes["slow-lc"]["queue_max"] < nodes["slow-rr"]["queue_max"]


def test_it_shows_a_crash_failing_only_the_sessions_of_the_crashed_instance() -> None:
    """A few requests fail on the crashed instance until health checks catch it; no others."""
    result = summary("sticky-sessions-and-a-crash")
    assert 0 < result["requests"]["failed"] < 50
    instances = result["nodes"]["api"]["instances"]
    assert instances["api#1"]["failed"] == result["requests"]["failed"]


def test_it_shows_zone_b_carrying_the_load_while_zone_a_is_down() -> None:
    """Zone-aware balancers keep to their zone, and zone b serves on through the outage."""
    result = summary("balancer-per-zone")
    picks = result["load_balancers"]
    assert picks["lb-a"]["api#1"] == picks["lb-a"]["api#3"] == 0
    assert picks["lb-b"]["api#0"] == picks["lb-b"]["api#2"] == 0
    assert picks["front"]["lb-b"] > picks["front"]["lb-a"] * 1.5
    per_zone = result["lanes"]["users"]["requests"]
    assert per_zone["failed"] < 0.02 * per_zone["started"]


def test_it_shows_only_the_busy_tier_scaling() -> None:
    """The api tier gains instances; the web tier stays at its two."""
    nodes = summary("busy-tier-autoscales")["nodes"]
    assert len(nodes["web"]["instances"]) == 2
    assert len(nodes["api"]["instances"]) > 2


def test_it_orders_every_scenario_with_each_pattern_together() -> None:
    """ORDER names every built-in scenario, and each pattern's scenarios sit side by side."""
    assert set(scenarios.ORDER) == set(SLUGS)
    assert SLUGS == list(scenarios.ORDER)
    patterns = [scenarios.get(slug).pattern for slug in SLUGS]
    seen: list[str] = []
    for pattern in patterns:
        if not seen or seen[-1] != pattern:
            assert pattern not in seen, f"{pattern} scenarios are split apart in ORDER"
            seen.append(pattern)
