"""Every reason a balancer gives in the built-in scenarios has a rule in static/js/reasons.js,
so a Korean page shows it in Korean; the rules' English is the engine's own words."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import patterns
from patterns import scenarios

RULES = Path(__file__).resolve().parents[2] / "static" / "js" / "reasons.js"


def _patterns() -> list[re.Pattern[str]]:
    """The rules' patterns: each `[/^...$/,` literal, read as a Python pattern."""
    found = re.findall(r"^\s*\[/(\^.*\$)/,\s*$", RULES.read_text(), re.M)
    assert len(found) >= 10, "the rules of static/js/reasons.js were not found"
    return [re.compile(p) for p in found]


def _picks(document: dict[str, Any], seed: int) -> set[str]:
    """The reasons of every `lb.pick` of a run, in the order of the stream."""
    sim = patterns.Simulation(document, seed=seed)
    seen: set[str] = set()
    while not sim.done:
        for event in sim.advance(sim.now + 60_000):
            if event["type"] == "lb.pick":
                seen.add(event["reason"])
    return seen


def _reasons() -> set[str]:
    seen: set[str] = set()
    for scenario in scenarios.all():
        document = scenario.document
        if any(n["kind"] == "load_balancer" for n in document["nodes"]):
            seen |= _picks(document, document.get("seed", 1))
    return seen


def test_every_reason_of_the_built_in_scenarios_has_a_rule() -> None:
    rules = _patterns()
    reasons = _reasons()
    assert len(reasons) > 20
    unmatched = sorted(r for r in reasons if not any(p.match(r) for p in rules))
    assert not unmatched, unmatched[:10]


def test_each_algorithm_s_reason_has_a_rule() -> None:
    """The algorithms the scenarios do not use, on a small balancer of their own."""
    rules = _patterns()
    for algorithm in ("random", "power_of_two", "consistent_hash", "ip_hash", "sticky",
                      "weighted_round_robin", "least_connections", "round_robin"):  # fmt: skip
        document = {
            "nodes": [
                {"id": "users", "kind": "client", "rate": 50, "sessions": 5},
                {"id": "lb", "kind": "load_balancer", "algorithm": algorithm},
                {"id": "api", "kind": "service", "instances": 3, "concurrency": 2},
            ],
            "edges": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "api"}],
            "duration_ms": 2000,
        }
        reasons = _picks(document, 3)
        assert reasons, algorithm
        for reason in reasons:
            assert any(p.match(reason) for p in rules), (algorithm, reason)
