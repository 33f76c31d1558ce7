"""`python -m patterns run FILE`, and the engine's independence from Django."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .topologies import balanced, exp

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "patterns", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def write(tmp_path: Path, doc: object) -> str:
    path = tmp_path / "topology.json"
    path.write_text(json.dumps(doc))
    return str(path)


def test_it_prints_the_summary_as_json(tmp_path: Path) -> None:
    """--json prints one object with the summary keys of docs/events.md."""
    done = cli(
        "run",
        write(tmp_path, balanced("round_robin", [("api", 2, exp(5))], duration_ms=2000)),
        "--json",
        "--seed",
        "9",
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert {
        "seed",
        "sim_time_ms",
        "events",
        "requests",
        "latency_ms",
        "nodes",
        "load_balancers",
        "aggregators",
        "sagas",
    } <= summary.keys()
    assert summary["seed"] == 9
    assert set(summary["requests"]) >= {"started", "completed", "failed", "rejected", "timed_out"}
    assert set(summary["latency_ms"]) == {"mean", "p50", "p95", "p99", "max"}
    assert summary["nodes"]["api"]["instances"]["api#1"]["processed"] > 0


def test_it_writes_the_event_stream_as_json_lines(tmp_path: Path) -> None:
    """--events writes every event, seq from 0 without gaps, as the summary counts them."""
    events = tmp_path / "events.jsonl"
    done = cli(
        "run",
        write(tmp_path, balanced("sticky", [("api", 2, 3)], duration_ms=1500)),
        "--json",
        "--events",
        str(events),
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    assert [e["seq"] for e in lines] == list(range(len(lines)))
    assert json.loads(done.stdout)["events"] == len(lines)
    assert {"msg.send", "lb.pick", "node.start", "node.finish", "request.done", "metrics"} <= {
        e["type"] for e in lines
    }


def test_it_counts_the_stream_in_the_summary_without_writing_it(tmp_path: Path) -> None:
    """--json alone (nothing recorded, each event only counted) reports as many events as
    --events writes, and so does --fast; the rest of the summary is the same in all three."""
    doc = write(tmp_path, balanced("least_connections", [("api", 2, 3)], duration_ms=1500))
    events = tmp_path / "events.jsonl"
    written = cli("run", doc, "--json", "--events", str(events))
    counted = cli("run", doc, "--json")
    fast = cli("run", doc, "--json", "--fast")
    assert written.returncode == counted.returncode == fast.returncode == 0
    lines = events.read_text().splitlines()
    assert json.loads(counted.stdout)["events"] == len(lines) > 0
    summary, quick = json.loads(counted.stdout), json.loads(fast.stdout)
    assert summary == quick == {**json.loads(written.stdout), "events": len(lines)}


def test_it_refuses_fast_with_events(tmp_path: Path) -> None:
    """--fast records nothing, so asking for the stream too is an error (exit 2)."""
    doc = write(tmp_path, balanced("round_robin", [("api", 1, 1)], duration_ms=500))
    done = cli("run", doc, "--fast", "--events", str(tmp_path / "e.jsonl"))
    assert done.returncode == 2 and done.stdout == ""
    assert "--fast" in done.stderr


def test_it_refuses_a_bad_document_with_exit_2_and_nothing_on_stdout(tmp_path: Path) -> None:
    """A refused document: status 2, one problem a line on stderr, empty stdout."""
    doc = {
        "version": 1,
        "nodes": [
            {"id": "lb", "kind": "load_balancer", "algorithm": "fastest"},
            {"id": "x", "kind": "orchestrator"},
        ],
    }
    done = cli("run", write(tmp_path, doc))
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) >= 2 and any('"lb"' in line for line in lines)


def test_it_imports_nothing_from_django() -> None:
    """Importing every module of patterns (and running a simulation) leaves django out."""
    code = (
        "import importlib, pkgutil, sys, patterns\n"
        "from patterns import Simulation\n"
        "for m in pkgutil.walk_packages(patterns.__path__, 'patterns.'):\n"
        "    if not m.name.endswith('__main__'):\n"
        "        importlib.import_module(m.name)\n"
        "Simulation({'version': 1, 'duration_ms': 100, 'nodes': [{'id': 'c', 'kind': 'client'},"
        " {'id': 's', 'kind': 'service'}], 'edges': [{'from': 'c', 'to': 's'}]}).run()\n"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules)\n"
        "assert 'playground' not in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
