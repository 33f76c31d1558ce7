"""/api/compare: the summaries of several runs side by side (what /compare/ draws)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from playground import compare
from playground.api.errors import ApiError, not_found

router = Router(tags=["runs"])


@router.get(
    "",
    response={200: dict[str, Any], 400: dict, 401: dict, 404: dict},
    summary="Compare runs: their summaries in rows, one value per run, differences marked",
    description=(
        "`?runs=1,2,3` (2 to 8 runs, each one you may see; else 404). A link collaborator adds "
        "`&key=SHARE_KEY` (several, comma-separated, for runs of different topologies). Answers "
        '`{"runs": [{"id", "label", "seed", "status", "finished", "latency_ms"}], "rows": '
        '[{"group", "label", "values", "unit", "differs", "best"}]}`: `values` has one entry '
        "per run in the order asked; `differs` is true when they are not all equal (within "
        "0.3%); `best` indexes the best value when lower or higher is better. Rows: the "
        "document settings that differ, requests by outcome, latency mean/p50/p95/p99/max, "
        "throughput, per-node utilisation and queue high-water, balancer picks, aggregator "
        "and saga counts."
    ),
)
def compare_runs(request: HttpRequest, runs: str, key: str | None = None):
    caller = request.auth
    try:
        ids = compare.parse_ids(runs)
    except compare.CompareError as exc:
        raise ApiError.one(400, exc.path, exc.message) from None
    keys = [k for k in (key or "").split(",") if k]
    found, hidden = compare.visible_runs(caller.user, caller.session_key(), ids, keys)
    if hidden:
        raise not_found("run", hidden[0])
    return compare.comparison(found)
