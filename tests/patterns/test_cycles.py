"""Warnings about asynchronous cycles: a storm or an endless loop is flagged, a retry loop not."""

from __future__ import annotations

from typing import Any

import pytest

from patterns import load, scenarios, warnings_of
from tests.patterns.test_budget import doubling, report_loop


def retry_loop(failure_rate: float) -> dict[str, Any]:
    """A service whose failures go back on the topic it consumes: a retry loop."""
    return {
        "version": 1,
        "nodes": [
            {"id": "users", "kind": "client"},
            {"id": "jobs", "kind": "topic"},
            {"id": "worker", "kind": "service", "failure_rate": failure_rate},
        ],
        "edges": [
            {"from": "users", "to": "jobs"},
            {"from": "jobs", "to": "worker"},
            {"from": "worker", "to": "jobs", "when": "error"},
        ],
    }


def test_it_warns_about_issue_12s_document_naming_the_cycle() -> None:
    """reports <-> jobs: saved (it loads) but warned about, at the node that starts the cycle."""
    (warning,) = warnings_of(load(report_loop()))
    assert warning.path == 'nodes[1] "jobs"'
    assert "asynchronous cycle jobs -> reports -> jobs" in warning.message
    assert "grows without end" in warning.message


def test_it_says_how_much_a_round_multiplies() -> None:
    """A topic delivering to two nodes that each publish back: twice the messages a round."""
    (warning,) = warnings_of(load(doubling()))
    assert "about 2 for each one, every round" in warning.message


def test_it_warns_about_a_filter_pipe_cycle_that_splits() -> None:
    doc = {
        "version": 1,
        "nodes": [
            {"id": "src", "kind": "source"},
            {"id": "f", "kind": "filter", "split": 3},
            {"id": "g", "kind": "filter"},
        ],
        "edges": [{"from": "src", "to": "f"}, {"from": "f", "to": "g"}, {"from": "g", "to": "f"}],
    }
    (warning,) = warnings_of(load(doc))
    assert "about 3 for each one" in warning.message


@pytest.mark.parametrize("rate", [0.0, 0.3, 0.9])
def test_it_leaves_a_retry_loop_that_dies_out_alone(rate: float) -> None:
    """Failures sent round again die out when fewer than all fail."""
    assert warnings_of(load(retry_loop(rate))) == []


def test_it_warns_when_every_message_goes_round_for_ever() -> None:
    (warning,) = warnings_of(load(retry_loop(1.0)))
    assert "goes round for ever" in warning.message
    assert "jobs -> worker -> jobs" in warning.message


@pytest.mark.parametrize("slug", [s.slug for s in scenarios.all()])
def test_no_built_in_scenario_is_warned_about(slug: str) -> None:
    assert warnings_of(load(scenarios.get(slug).document)) == []
