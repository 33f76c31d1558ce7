"""The deadline sweep behind the run view's scatter-gather panel.

`GET /runs/<pk>/sweep/?node=AGG&values=50,100,200` runs the run's topology
headless once per value of the aggregator's `timeout_ms` (patterns.sweep)
and answers `{"rows": [...], "note"}`. It runs inside the request, so it is
bounded: at most `patterns.sweep.MAX_VALUES` values and, per run, about
`MAX_REQUESTS` requests (a longer topology is swept over a shorter duration,
and the note says so).
"""

from __future__ import annotations

import copy
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

import patterns
from patterns.sweep import sweep
from playground.views import _get_run_for_user

MAX_REQUESTS = 20_000


def _shorten(doc: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The document with its duration cut so that its emitters make about MAX_REQUESTS requests."""
    doc = patterns.load(doc)
    expected = 0.0
    for node in doc["nodes"]:
        if node["kind"] in ("client", "source"):
            n = node["rate"] * doc["duration_ms"] / 1000
            expected += min(n, node["requests"]) if node["requests"] else n
    if expected <= MAX_REQUESTS:
        return doc, ""
    doc = copy.deepcopy(doc)
    doc["duration_ms"] = doc["duration_ms"] * MAX_REQUESTS / expected
    return doc, f"swept over the first {doc['duration_ms'] / 1000:.1f} s of the run"


@require_GET
def run_sweep(request: HttpRequest, pk: int) -> JsonResponse:
    run = _get_run_for_user(request, pk)
    node = request.GET.get("node", "")
    try:
        values = [float(v) for v in request.GET.get("values", "").split(",") if v.strip()]
    except ValueError:
        return JsonResponse({"error": "values must be numbers separated by commas"}, status=400)
    values = [int(v) if v.is_integer() else v for v in values]
    try:
        doc, note = _shorten(run.document)
        rows = sweep(doc, node, "timeout_ms", values, seed=run.seed)
    except patterns.TopologyError as error:
        return JsonResponse({"error": str(error)}, status=400)
    return JsonResponse({"node": node, "field": "timeout_ms", "rows": rows, "note": note})
