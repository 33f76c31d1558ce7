"""The work of one deadline sweep, bounded: pure engine code, no Django.

Imported by the sweep's background process (playground/experiments/sweeps.py), which should
start fast and hold nothing of the web process, so only `patterns` is imported here.
A sweep runs the run's topology headless once per value (patterns.sweep): at most
`patterns.sweep.MAX_VALUES` values, and about `MAX_WORK` request-hops (requests
times edges: a fan-out to 50 shards costs 50 times a chain) over all values
together; a longer or wider topology is swept over a shorter duration, as the note says.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import patterns
from patterns.sweep import sweep

MAX_REQUESTS = 20_000
# Request-hops for a whole sweep: about 2 s of engine time (a hop costs 3 to 14 µs on this
# machine, measured on fan-outs of 4 to 55 shards). The sharded-search scenario with 12
# values is 130,000 hops, so it is still swept whole.
MAX_WORK = 150_000


def shorten(doc: dict[str, Any], count: int = 1) -> tuple[dict[str, Any], str]:
    """The document with its duration cut to fit the budget of one of `count` values.

    About MAX_REQUESTS requests from its emitters, and MAX_WORK / count request-hops.
    """
    doc = patterns.load(doc)
    expected = 0.0
    for node in doc["nodes"]:
        if node["kind"] in ("client", "source"):
            n = node["rate"] * doc["duration_ms"] / 1000
            expected += min(n, node["requests"]) if node["requests"] else n
    hops = max(1, len(doc["edges"]))
    allowed = min(MAX_REQUESTS, MAX_WORK / max(1, count) / hops)
    if expected <= allowed:
        return doc, ""
    doc = copy.deepcopy(doc)
    doc["duration_ms"] = doc["duration_ms"] * allowed / expected
    return doc, f"swept over the first {doc['duration_ms'] / 1000:.1f} s of the run"


def compute(
    doc: dict[str, Any], node: str, field: str, values: list[Any], seed: int
) -> dict[str, Any]:
    """{"rows", "note"} of a sweep; raises patterns.TopologyError on a bad node or value."""
    shortened, note = shorten(doc, len(values))
    return {"rows": sweep(shortened, node, field, values, seed=seed), "note": note}


def lower_priority() -> None:
    """In the embedded setup's sweep process: yield the CPU to the web process and live runs."""
    try:
        os.nice(10)
    except OSError:  # not permitted here: run at normal priority
        pass
