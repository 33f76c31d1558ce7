"""A run's data as files: its events as JSON lines, its summary as JSON, per-node figures as CSV.

The JSON lines are what `python -m patterns run FILE --events PATH` writes
for the same document and seed, byte for byte: one compact JSON object per
line, read batch by batch from the stored rows so a long run is never held
in memory whole.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any

from playground.models import EventBatch, Run

# The per-node columns of summary.csv, in order; a node without one leaves it empty.
NODE_COLUMNS = (
    "processed",
    "failed",
    "rejected",
    "utilization",
    "queue_max",
    "backlog_max",
    "instances_now",
    "cost_per_hour",
    "cost",
    "published",
    "parked",
    "duplicates",
    "cold_starts",
)


def event_line(event: dict[str, Any]) -> str:
    """One event as the CLI writes it (compact separators, ASCII only)."""
    return json.dumps(event, separators=(",", ":")) + "\n"


def events_jsonl(run: Run, chunk_size: int = 20) -> Iterator[str]:
    """The run's stored events, one JSON line each, in seq order; few batches in memory at once."""
    batches = (
        EventBatch.objects.filter(run=run).order_by("first_seq").values_list("events", flat=True)
    )
    for events in batches.iterator(chunk_size=chunk_size):
        yield "".join(event_line(e) for e in events)


def summary_json(run: Run) -> str:
    return json.dumps(run.summary, indent=2) + "\n"


def _kinds(run: Run) -> dict[str, str]:
    nodes = run.document.get("nodes") if isinstance(run.document, dict) else None
    return {
        n["id"]: n.get("kind", "")
        for n in nodes or []
        if isinstance(n, dict) and isinstance(n.get("id"), str)
    }


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, dict | list):
        return ""
    return value


def summary_csv(run: Run) -> str:
    """One row per node of the summary: its kind, instance count and the NODE_COLUMNS figures."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["node", "kind", "instances", *NODE_COLUMNS])
    kinds = _kinds(run)
    nodes = (run.summary or {}).get("nodes") or {}
    for node_id, figures in nodes.items():
        instances = figures.get("instances")
        writer.writerow(
            [
                node_id,
                kinds.get(node_id, ""),
                len(instances) if isinstance(instances, dict) else "",
                *(_cell(figures.get(column)) for column in NODE_COLUMNS),
            ]
        )
    return out.getvalue()


def filename(run: Run, suffix: str) -> str:
    """`run-12-three-behind-a-balancer.events.jsonl`: says which run and what it is."""
    name = run.topology.name if run.topology_id and run.topology else ""
    if not name and run.scenario_id and run.scenario:
        name = run.scenario.slug
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]
    return f"run-{run.pk}{'-' + slug if slug else ''}.{suffix}"
