"""/api/compare: the summaries of several runs side by side (what /compare/ draws)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from playground.api.auth import caller_of
from playground.api.errors import not_found
from playground.experiments import compare, fork_compare

router = Router(tags=["runs"])


@router.get(
    "",
    response={200: dict[str, Any], 400: dict, 401: dict, 404: dict},
    summary="Compare runs: their summaries in rows, one value per run, differences marked",
    description=(
        "`?runs=1,2,3` (2 to 8 runs, each one you may see; else 404). A link collaborator adds "
        "`&key=SHARE_KEY` (up to 8, comma-separated, for runs of different topologies; more "
        "is a 400 naming `key`). The answer is built from one database query. Answers "
        '`{"runs": [{"id", "label", "seed", "status", "finished", "latency_ms"}], "rows": '
        '[{"group", "label", "values", "unit", "differs", "best"}]}`: `values` has one entry '
        "per run in the order asked; `differs` is true when they are not all equal (within "
        "0.3%); `best` indexes the best value when lower or higher is better. Rows: the "
        "document settings that differ, requests by outcome, latency mean/p50/p95/p99/max, "
        "throughput, per-node utilisation and queue high-water, balancer picks, aggregator "
        "and saga counts. With `&from=T` (ms) the answer adds `since`: each run's requests that "
        "ended after T and their latency, and per second after T the completions and mean "
        "latency (a fork against its parent, lined up from the fork; docs/experiments.md)."
    ),
)
def compare_runs(
    request: HttpRequest,
    runs: str,
    key: str | None = None,
    from_ms: float | None = Query(None, alias="from"),  # type: ignore[type-arg]
) -> dict[str, Any]:
    caller = caller_of(request)
    # A Refused answers in the API's error shape (playground/api/errors.py).
    ids = compare.parse_ids(runs)
    keys = compare.parse_keys(key)
    found, hidden = compare.visible_runs(caller.user, caller.session_key(), ids, keys)
    if hidden:
        raise not_found("run", hidden[0])
    answer = compare.comparison(found)
    if from_ms is not None:
        answer["since"] = fork_compare.lined_up(found, str(from_ms))
    return answer
