"""The deadline sweep behind the run view's scatter-gather panel.

`GET /runs/<pk>/sweep/?node=AGG&values=50,100,200` runs the run's topology
headless once per value of the aggregator's `timeout_ms` (patterns.sweep)
and answers `{"rows": [...], "note"}`. It runs inside the request, and anyone
who may watch a run may sweep it, so it is bounded: at most
`patterns.sweep.MAX_VALUES` values; about `MAX_WORK` request-hops (requests
times edges: a fan-out to 50 shards costs 50 times a chain) over all values
together, a longer or wider topology being swept over a shorter duration, as
the note says; and one sweep at a time per web process, others being told to
try again (429).
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

import patterns
from patterns.sweep import sweep
from playground.views import _get_run_for_user

MAX_REQUESTS = 20_000
# Request-hops for a whole sweep: about 2 s of engine time (a hop costs 3 to 14 µs on this
# machine, measured on fan-outs of 4 to 55 shards). The sharded-search scenario with 12
# values is 130,000 hops, so it is still swept whole.
MAX_WORK = 150_000
# One sweep at a time per process: a few at once would hold the CPU the live runs need.
_busy = threading.BoundedSemaphore(1)


def _shorten(doc: dict[str, Any], count: int = 1) -> tuple[dict[str, Any], str]:
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


@require_GET
def run_sweep(request: HttpRequest, pk: int) -> JsonResponse:
    run = _get_run_for_user(request, pk)
    node = request.GET.get("node", "")
    try:
        values = [float(v) for v in request.GET.get("values", "").split(",") if v.strip()]
    except ValueError:
        return JsonResponse({"error": "values must be numbers separated by commas"}, status=400)
    values = [int(v) if v.is_integer() else v for v in values]
    if not _busy.acquire(blocking=False):
        return JsonResponse(
            {"error": "the server is busy with another sweep: try again in a few seconds"},
            status=429,
            headers={"Retry-After": "5"},
        )
    try:
        doc, note = _shorten(run.document, len(values))
        rows = sweep(doc, node, "timeout_ms", values, seed=run.seed)
    except patterns.TopologyError as error:
        return JsonResponse({"error": str(error)}, status=400)
    finally:
        _busy.release()
    return JsonResponse({"node": node, "field": "timeout_ms", "rows": rows, "note": note})
