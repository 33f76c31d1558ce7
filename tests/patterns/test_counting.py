"""A run that records nothing still counts every event it would have logged.

Each place the engine logs an event takes its number instead when nothing is
recorded (`else: ... seq += 1`), so the summary's `events` is the stream's length
in both modes. These tests hold the two paths in step: by running every built-in
scenario, with steps taken mid-run, both ways; and by reading the engine's source
for a log site without its count.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from patterns import Simulation, forking, scenarios

ENGINE = Path(__file__).resolve().parents[2] / "patterns"


def steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every step a running document accepts (patterns/forking.py): a crash of each node,
    each pool scaled, each settable field changed; the refused ones left out."""
    tried: list[dict[str, Any]] = []
    third = float(doc.get("duration_ms", 60_000)) / 3
    for spec in doc["nodes"]:
        node = spec["id"]
        fault = {"at_ms": third, "kind": "crash", "node": node, "for_ms": third / 2}
        tried.append({"kind": "fault", "fault": fault})
        tried.append({"kind": "scale", "node": node, "instances": 3})
        tried.append({"kind": "set", "node": node, "field": "rate", "value": 40})
        tried.append({"kind": "set", "node": node, "field": "algorithm", "value": "random"})
        tried.append({"kind": "set", "node": node, "field": "timeout_ms", "value": 5})
    return [step for step in tried if not forking.check(doc, step)]


def run(doc: dict[str, Any], record: bool, with_steps: bool) -> tuple[str, int]:
    """(the summary as JSON, how many events were drained from the log)."""
    sim = Simulation(doc, record=record)
    drained = 0
    if with_steps:
        third = float(doc.get("duration_ms", 60_000)) / 3
        drained += len(sim.advance(third))
        for step in steps(sim.doc):
            forking.apply(sim, step)
    while not sim.done:
        drained += len(sim.advance(sim.now + 2000.0))
    summary = sim.run()
    drained += len(sim.advance(sim.now))
    return json.dumps(summary, sort_keys=True), drained


@pytest.mark.parametrize("with_steps", [False, True], ids=["as-written", "with-steps"])
@pytest.mark.parametrize("slug", [sc.slug for sc in scenarios.all()])
def test_an_unrecorded_run_counts_every_event_it_would_log(slug: str, with_steps: bool) -> None:
    """Every built-in scenario, as written and with every accepted step taken a third of
    the way in: the unrecorded run's summary is the recorded run's, `events` included,
    and that count is how many events the recorded run gave out."""
    doc = scenarios.get(slug).document
    recorded, drained = run(doc, record=True, with_steps=with_steps)
    counted, nothing = run(doc, record=False, with_steps=with_steps)
    assert nothing == 0
    assert json.loads(recorded)["events"] == drained > 0
    assert counted == recorded


def _counts(orelse: list[ast.stmt]) -> bool:
    return (
        len(orelse) == 1
        and isinstance(orelse[0], ast.AugAssign)
        and isinstance(orelse[0].op, ast.Add)
        and isinstance(orelse[0].target, ast.Attribute)
        and orelse[0].target.attr == "seq"
        and isinstance(orelse[0].value, ast.Constant)
        and orelse[0].value.value == 1
    )


def test_every_log_site_counts_its_event_when_nothing_is_recorded() -> None:
    """In the engine's source, every `log.append` of an event sits under an `if ... log is
    not None:` whose `else` takes the event's number, and appends exactly one event."""
    sites = 0
    unpaired = []
    for path in sorted(ENGINE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                parents[child] = node
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "append"
                and ast.unparse(node.func.value).split(".")[-1] == "log"
            ):
                continue
            sites += 1
            logged = ast.unparse(node.func.value)
            guard = parents[node]
            while not (
                isinstance(guard, ast.If) and ast.unparse(guard.test) == f"{logged} is not None"
            ):
                if isinstance(guard, (ast.FunctionDef, ast.For, ast.While, ast.Module)):
                    unpaired.append(f"{path.name}:{node.lineno}")
                    break
                guard = parents[guard]
            else:
                if not _counts(guard.orelse):
                    unpaired.append(f"{path.name}:{node.lineno}")
    assert sites >= 50
    assert unpaired == []
