"""The stored form written straight from the logged tuples (events.to_json) is the JSON of
the event dicts, byte for byte."""

from __future__ import annotations

import json
from typing import Any

import pytest

from patterns import Simulation, scenarios
from patterns.events import rows_dicts, rows_text, to_dicts, to_json, to_lines

from .topologies import balanced, exp


def streams(doc: dict[str, Any], seed: int | None = None) -> tuple[list[str], list[str]]:
    """A run's events as json.dumps writes their dicts, and as advance_json writes them."""
    dicts, texts = Simulation(doc, seed=seed), Simulation(doc, seed=seed)
    a: list[str] = []
    b: list[str] = []
    while not dicts.done:
        a += [json.dumps(e, separators=(",", ":")) for e in dicts.advance(dicts.now + 700.0)]
    a += [json.dumps(e, separators=(",", ":")) for e in dicts.advance(dicts.now)]
    while not texts.done:
        b += texts.advance_json(texts.now + 700.0)
    b += texts.advance_json(texts.now)
    return a, b


@pytest.mark.parametrize("slug", [s.slug for s in scenarios.all()])
def test_every_scenario_writes_the_same_bytes_either_way(slug: str) -> None:
    """Every built-in scenario, cut short: every event type it logs."""
    doc = {**scenarios.get(slug).document, "duration_ms": 4000}
    dicts, texts = streams(doc, seed=5)
    assert dicts and texts == dicts


def test_faults_balancer_subsets_and_odd_values_write_the_same_bytes() -> None:
    """Faults (a crash, then a balancer choosing among fewer candidates), failures,
    rejections, and values JSON writes in its own way (non-ASCII, -0.0, NaN, None)."""
    crash = {"at_ms": 1000, "kind": "crash", "node": "api", "instance": 1, "for_ms": 1500}
    doc = balanced(
        "least_connections",
        [("api", 3, exp(20))],
        rate=150,
        duration_ms=4000,
        latency_ms=2,
        faults=[crash],
        failure_rate=0.05,
        queue_limit=3,
    )
    dicts, texts = streams(doc, seed=3)
    assert any('"type":"fault"' in line for line in dicts)
    assert texts == dicts
    odd = [
        ("node.fail", 0.0, 1, "n\u00e9", "n#0", 'caf\u00e9 "down"\n'),
        ("node.fail", -0.0, 2, "n", "n#0", None),
        ("msg.send", 3.5, 3, "a", "b", float("nan")),
        ("msg.send", 3.5, 4, "a", "b", 3.5),
        ("msg.send", 1e22, 5, "a", "b", float("inf")),
        ("request.done", 2, True, "users", 1.0, "ok"),
    ]
    assert to_json(7, odd) == [json.dumps(e, separators=(",", ":")) for e in to_dicts(7, odd)]


def test_a_batch_is_one_string_of_lines() -> None:
    """advance_lines: the texts of advance_json, each followed by a newline, as one string."""
    doc = balanced("round_robin", [("api", 2, exp(10))], rate=50, duration_ms=1500)
    lines, texts = Simulation(doc, seed=2), Simulation(doc, seed=2)
    a = lines.advance_lines(800.0) + lines.advance_lines(lines.now)
    b = texts.advance_json(800.0) + texts.advance_json(texts.now)
    assert a == "".join(t + "\n" for t in b) and a.count("\n") == len(b) > 50
    assert to_lines(0, []) == "" and to_json(0, []) == []


def test_rows_are_written_as_the_list_of_objects_they_stand_for() -> None:
    """A kind's rows (the balancer's candidates): json.dumps of its dicts, odd values too."""
    rows = (("target", "load"), ["a#0", "caf\u00e9", 'q"'], [0, 2.5, -(2**70)])
    assert rows_dicts(rows)[1] == {"target": "caf\u00e9", "load": 2.5}
    assert rows_text(rows) == json.dumps(rows_dicts(rows), separators=(",", ":"))
    assert rows_text((("k",), [])) == "[]" == rows_text(((),))
