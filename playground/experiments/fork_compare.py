"""Runs lined up from a moment (the compare page's `?from=T`): what happened after a fork.

A fork and its parent are the same up to the fork time, so their whole-run summaries
mix the shared part with the part that differs. From their stored events this takes
only the requests that ended after `T`: outcomes, latency percentiles (exact, from the
values), and per simulated second since `T` the completions and their mean latency,
for a chart with both runs on one time axis starting at the fork. The scan reads at
most MAX_SCAN stored events a run (about a second of work), and says when it stopped.
"""

from __future__ import annotations

import math
from typing import Any

from playground.models import EventBatch, Run

MAX_SCAN = 300_000
OUTCOMES = ("ok", "failed", "rejected", "timed_out")


def parse_from(raw: str | None) -> float | None:
    try:
        value = float(raw) if raw not in (None, "") else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) and value >= 0 else None


def _percentile(sorted_values: list[float], p: float) -> float | None:
    if not sorted_values:
        return None
    rank = max(1, math.ceil(len(sorted_values) * p / 100))
    return sorted_values[rank - 1]


def since(run: Run, t: float) -> dict[str, Any]:
    counts = dict.fromkeys(OUTCOMES, 0)
    latencies: list[float] = []
    buckets: dict[int, list[float]] = {}
    scanned = 0
    truncated = False
    for batch in EventBatch.objects.filter(run=run).order_by("first_seq").iterator(chunk_size=50):
        scanned += len(batch.events)
        if scanned > MAX_SCAN:
            truncated = True
            break
        for event in batch.events:
            if event["type"] != "request.done" or event["t"] <= t:
                continue
            counts[event["outcome"]] = counts.get(event["outcome"], 0) + 1
            second = int((event["t"] - t) // 1000)
            bucket = buckets.setdefault(second, [])
            if event["outcome"] == "ok":
                latencies.append(event["latency_ms"])
                bucket.append(event["latency_ms"])
    latencies.sort()
    last = max(buckets) if buckets else -1
    return {
        "id": run.pk,
        "requests": counts,
        "latency_ms": {
            "mean": round(sum(latencies) / len(latencies), 3) if latencies else None,
            **{f"p{p}": _percentile(latencies, p) for p in (50, 95, 99)},
            "max": latencies[-1] if latencies else None,
        },
        "series": {
            "completed": [len(buckets.get(s, [])) for s in range(last + 1)],
            "mean_ms": [
                round(sum(b) / len(b), 3) if (b := buckets.get(s)) else None
                for s in range(last + 1)
            ],
        },
        "truncated": truncated,
    }


def lined_up(runs: list[Run], raw_from: str | None) -> dict[str, Any] | None:
    """Each run's figures after `from` ms, or None when no moment is given."""
    t = parse_from(raw_from)
    if t is None:
        return None
    return {"t": t, "t_s": round(t / 1000, 3), "runs": [since(run, t) for run in runs]}
