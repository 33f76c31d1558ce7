"""A run's budget: a storm of messages is stopped where it grows, named, and stays small."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from patterns import Simulation, scenarios
from patterns.budget import Budget
from tests.patterns.test_cli import ROOT, cli


def report_loop() -> dict[str, Any]:
    """Issue 12's document: the asynchronous report with reports -> jobs and jobs -> reports.

    Every read and write of `reports` publishes on `jobs`, which delivers to `reports`
    again: a message goes round the loop for ever, and its copies to the sections pile up.
    """
    doc = copy.deepcopy(scenarios.get("report-built-asynchronously").document)
    doc["edges"] += [{"from": "reports", "to": "jobs"}, {"from": "jobs", "to": "reports"}]
    return doc


def doubling() -> dict[str, Any]:
    """A topic whose two consumers each publish back on it: twice the messages every round."""
    return {
        "version": 1,
        "duration_ms": 10_000,
        "nodes": [
            {"id": "users", "kind": "client", "rate": 1, "requests": 1},
            {"id": "events", "kind": "topic"},
            {"id": "a", "kind": "service", "service_time": 1, "concurrency": 4},
            {"id": "b", "kind": "service", "service_time": 1, "concurrency": 4},
        ],
        "edges": [
            {"from": "users", "to": "events"},
            {"from": "events", "to": "a"},
            {"from": "events", "to": "b"},
            {"from": "a", "to": "events"},
            {"from": "b", "to": "events"},
        ],
    }


def run(sim: Simulation) -> dict[str, Any]:
    while not sim.done:
        sim.advance(sim.now + 1000)
    return sim.summary()


def test_it_stops_a_doubling_storm_at_the_node_where_messages_pile_up() -> None:
    """Over `in_flight` messages at once, the run stops, naming the topic they queue at."""
    sim = Simulation(doubling(), budget=Budget(in_flight=50_000))
    summary = run(sim)
    assert sim.failure is not None
    assert sim.failure.startswith("events: ")
    assert "messages in flight, over the limit of 50,000" in sim.failure
    held = len(sim.kernel.heap) + sum(n.backlog() for n in sim.nodes.values())
    # Looked at every CHECK_SPACING scheduled events: it cannot overshoot by more.
    assert 50_000 < held < 50_000 + 2 * sim.spacing
    assert summary["stopped"] == {"node": "events", "reason": sim.failure}


def test_it_stops_a_message_going_round_a_cycle_and_names_the_cycle() -> None:
    """Issue 12's document stops at the hop limit, within a few simulated seconds, named."""
    sim = Simulation(report_loop())
    summary = run(sim)
    assert sim.failure is not None
    assert "over the limit of 100 hops" in sim.failure
    assert "jobs -> reports -> jobs" in sim.failure or "reports -> jobs -> reports" in sim.failure
    assert sim.failed_node in ("jobs", "reports")
    assert summary["sim_time_ms"] < 10_000
    assert summary["stopped"]["node"] == sim.failed_node


def test_it_stops_a_storm_of_events_within_one_simulated_second() -> None:
    """More events in one simulated second than the budget allows stops the run there."""
    doc = {
        "version": 1,
        "duration_ms": 60_000,
        "nodes": [
            {"id": "users", "kind": "client", "rate": 100_000},
            {"id": "api", "kind": "service", "service_time": 0, "concurrency": 1000},
        ],
        "edges": [{"from": "users", "to": "api"}],
    }
    sim = Simulation(doc, record=False, budget=Budget(events_per_second=50_000))
    run(sim)
    assert sim.failure is not None
    assert "events within one simulated second" in sim.failure
    assert "over the limit of 50,000" in sim.failure
    assert sim.now < 1000


def test_it_stops_a_run_over_its_total_events() -> None:
    """A run past `events` scheduled events stops with that reason."""
    sim = Simulation(
        scenarios.get("round-robin-vs-least-connections").document, budget=Budget(events=20_000)
    )
    run(sim)
    assert sim.failure is not None and "over the run's limit of 20,000" in sim.failure


@pytest.mark.parametrize("slug", [s.slug for s in scenarios.all()])
def test_it_never_stops_a_built_in_scenario(slug: str) -> None:
    """The default budget leaves every built-in scenario to finish, with no `stopped` key."""
    sim = Simulation(scenarios.get(slug).document, record=False)
    summary = sim.run()
    assert sim.failure is None and "stopped" not in summary


def test_it_refuses_a_budget_that_is_not_a_positive_whole_number() -> None:
    with pytest.raises(ValueError, match="in_flight"):
        Budget(in_flight=0)


# `python -m patterns ARGS`, which writes its own peak resident set (kB) on stderr at exit.
_REPORTS_ITS_PEAK = """
import atexit, re, runpy, sys
atexit.register(lambda: sys.stderr.write("VmHWM " + re.search(
    r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1) + "\\n"))
sys.argv = ["patterns", *sys.argv[1:]]
runpy.run_module("patterns", run_name="__main__", alter_sys=True)
"""


def test_the_cli_stops_the_storm_with_its_reason_and_exit_3(tmp_path: Path) -> None:
    """The command line on issue 12's file: exit 3, the budget's reason, and a small process.

    Before the budget it reached 9 GB in 32 s. The peak is the child's own VmHWM, which
    exec starts afresh, written by the child as it exits: a child's ru_maxrss (wait4 or
    RUSAGE_CHILDREN) also counts the pages of the test process it was forked from, 386 MB
    late in the full suite.
    """
    import json

    path = tmp_path / "loop.json"
    path.write_text(json.dumps(report_loop()))
    done = subprocess.run(
        [sys.executable, "-c", _REPORTS_ITS_PEAK, "run", str(path), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3, done.stderr
    assert done.stderr.startswith("stopped: ")
    assert "over the limit of 100 hops" in done.stderr
    assert "Traceback" not in done.stderr
    summary = json.loads(done.stdout)
    assert summary["stopped"]["node"] in ("jobs", "reports")
    peak_mb = int(re.search(r"^VmHWM (\d+)$", done.stderr, re.M).group(1)) / 1024
    assert peak_mb < 300, peak_mb


def test_the_cli_takes_its_budget_from_options(tmp_path: Path) -> None:
    """--max-in-flight sets the limit the reason quotes; a bad value is bad input (exit 2)."""
    import json

    path = tmp_path / "doubling.json"
    path.write_text(json.dumps(doubling()))
    done = cli("run", str(path), "--max-in-flight", "5000")
    assert done.returncode == 3, done.stderr
    assert "stopped: events: " in done.stderr and "over the limit of 5,000" in done.stderr
    refused = cli("run", str(path), "--max-hops", "0")
    assert refused.returncode == 2 and "hops" in refused.stderr and not refused.stdout
