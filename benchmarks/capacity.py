"""How long the capacity estimate takes: every built-in scenario, and a topology at the size cap.

Each topology is estimated at 3 billion requests a day with a peak factor of
3 (the page's default), `REPEAT` times after one warm-up; the median and the
best wall time are printed, the largest built-in scenario (by nodes plus
edges) first. The synthetic topology has the engine's 500-node cap: a client,
a random balancer over 98 services, each calling one of 4 databases, and a
pipeline of 300 filters.

    .venv/bin/python benchmarks/capacity.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from patterns import capacity, scenarios  # noqa: E402

REPEAT = 20
LOAD_PER_S = 3e9 / 86_400
PEAK = 3.0


def timed(doc: dict[str, Any]) -> tuple[float, float]:
    """(median, best) milliseconds of one estimate of `doc`."""
    capacity.estimate(doc, load_per_s=LOAD_PER_S, peak_factor=PEAK)
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        capacity.estimate(doc, load_per_s=LOAD_PER_S, peak_factor=PEAK)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), min(times)


def at_the_cap() -> dict[str, Any]:
    exp = {"dist": "exponential", "mean_ms": 20}
    nodes: list[dict[str, Any]] = [
        {"id": "users", "kind": "client", "rate": 100},
        {"id": "lb", "kind": "load_balancer", "algorithm": "random"},
        {"id": "src", "kind": "source", "rate": 10},
    ]
    edges: list[dict[str, Any]] = [{"from": "users", "to": "lb"}]
    for d in range(4):
        nodes.append({"id": f"db{d}", "kind": "database", "concurrency": 20})
    for i in range(98):
        nodes.append({"id": f"svc{i}", "kind": "service", "instances": 4, "service_time": exp})
        edges += [{"from": "lb", "to": f"svc{i}"}, {"from": f"svc{i}", "to": f"db{i % 4}"}]
    previous = "src"
    for i in range(300):
        nodes.append({"id": f"f{i}", "kind": "filter", "concurrency": 2, "service_time": exp})
        edges.append({"from": previous, "to": f"f{i}"})
        previous = f"f{i}"
    nodes.append({"id": "out", "kind": "sink"})
    edges.append({"from": previous, "to": "out"})
    assert len(nodes) <= 500
    return {"version": 1, "name": "at the cap", "nodes": nodes, "edges": edges}


def main() -> None:
    every = sorted(
        scenarios.all(),
        key=lambda s: -(len(s.document["nodes"]) + len(s.document["edges"])),
    )
    print(f"capacity estimate at {LOAD_PER_S * 86_400:.3g}/day x{PEAK:g}, {REPEAT} runs each")
    for i, scenario in enumerate(every):
        doc = scenario.document
        median, best = timed(doc)
        size = f"{len(doc['nodes'])} nodes, {len(doc['edges'])} edges"
        mark = "  <- largest built-in" if i == 0 else ""
        print(f"{scenario.slug:<36} {size:<20} median {median:7.2f} ms, best {best:7.2f} ms{mark}")
    doc = at_the_cap()
    median, best = timed(doc)
    size = f"{len(doc['nodes'])} nodes, {len(doc['edges'])} edges"
    name = "synthetic, at the node cap"
    print(f"{name:<36} {size:<20} median {median:7.2f} ms, best {best:7.2f} ms")


if __name__ == "__main__":
    main()
