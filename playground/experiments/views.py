"""The experiments' pages: compare runs, a topology's capacity, a run's deadline sweep.

- compare: /compare/?runs=1,2,3 (or ?run=1&run=2 from the runs list's check boxes).
- capacity: a form, and the estimate drawn by static/js/capacity.js. The page itself
  computes nothing: the script asks `POST /api/capacity` (and, for the cross-check,
  starts a run through `POST /api/capacity/check`), so the page and a script see the
  same figures.
- the deadline sweep behind the run view's scatter-gather panel: asked for, then polled.
  `POST /runs/<pk>/sweep/` with `{"node": AGG, "values": [50, 100, 200]}` queues a sweep
  of the run's topology over the aggregator's `timeout_ms` (playground/experiments/sweeps.py)
  and answers 202 with the sweep (200 when the same sweep was already answered); the page
  then polls `GET /runs/<pk>/sweeps/<id>/` until its status is finished (with `rows` and
  `note`) or failed (with `error`). Nothing is computed inside the request. Anyone who may
  watch a run may sweep it. Refusals are the API's shape, `{"errors": [{"path", "message"}]}`
  (docs/api.md): 400 for a bad node or values, 429 while the caller's previous sweep runs
  or the site has too many.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from patterns.capacity import DEFAULT_TARGET_UTILISATION
from playground.accounts import access
from playground.experiments import compare, fork_compare, sweeps
from playground.models import Sweep
from playground.refusals import Refused, translate, translated
from playground.templatetags.words import ALGORITHM_WORDS


def _ids(request: HttpRequest) -> str:
    """Both spellings into one: `runs=1,2` from a link, `run=1&run=2` from the list's form.

    The list shows the newest first; ticked runs are compared oldest first, so the
    baseline (the first column, what the percentages compare with) is the earlier run.
    """
    ticked = sorted(request.GET.getlist("run"), key=lambda v: int(v) if v.isdigit() else 0)
    return ",".join([request.GET.get("runs", ""), *ticked])


def _text(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if unit == "%":
        return f"{value * 100:.1f}%"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"


def _delta(value: Any, base: Any) -> str:
    """How far a value is from the first run's, in percent: what a reader scans for."""
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (value, base))
    if not numeric or value == base:
        return ""
    if base == 0:
        return "new"
    return f"{(value - base) / abs(base) * 100:+.0f}%"


def _display(row: dict[str, Any]) -> dict[str, Any]:
    values = row["values"]
    # A balancer's algorithm in words ("Least connections"); the JSON keeps the code.
    words = ALGORITHM_WORDS if row["label"].endswith(".algorithm") else {}
    cells = [
        {
            "text": words.get(v, v) if isinstance(v, str) else _text(v, row["unit"]),
            "delta": _delta(v, values[0]) if i and row["differs"] else "",
            "best": row["best"] == i,
        }
        for i, v in enumerate(values)
    ]
    return {**row, "cells": cells}


def compare_runs(request: HttpRequest) -> HttpResponse:
    try:
        ids = compare.parse_ids(_ids(request))
        keys = compare.parse_keys(request.GET.get("key"))
    except Refused as exc:
        message = translate(exc.problems[0].message)
        return render(request, "playground/compare.html", {"error": message}, status=400)
    runs, hidden = compare.visible_runs(request.user, request.session.session_key, ids, keys)
    if hidden:
        raise Http404(f"no run {hidden[0]}")
    data = compare.comparison(runs)
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in data["rows"]:
        groups.setdefault(row["group"], []).append(_display(row))
    differing = sum(1 for row in data["rows"] if row["differs"] and row["group"] != "Run")
    return render(
        request,
        "playground/compare.html",
        {
            "runs": data["runs"],
            "groups": groups,
            "differing": differing,
            "chart": {"runs": data["runs"], "percentiles": list(compare.PERCENTILES)},
            "ids": ",".join(str(r.pk) for r in runs),
            "key": request.GET.get("key", ""),
            # ?from=T: lined up from a moment, such as a fork's (experiments/fork_compare.py).
            "since": fork_compare.lined_up(runs, request.GET.get("from")),
        },
    )


# Capacity -------------------------------------------------------------------


def topology_capacity(request: HttpRequest, pk: int) -> HttpResponse:
    topology = access.topology_for_page(request, pk)
    return render(
        request,
        "playground/capacity.html",
        {
            "topology": topology,
            "share_key": request.GET.get("key") or "",
            "target_percent": round(DEFAULT_TARGET_UTILISATION * 100),
        },
    )


# Deadline sweeps ------------------------------------------------------------


def _refused(status: int, path: str, message: str) -> JsonResponse:
    """The API's error shape (docs/api.md): a script and the page read one kind of refusal."""
    return JsonResponse({"errors": translated([{"path": path, "message": message}])}, status=status)


@require_POST
def run_sweep(request: HttpRequest, pk: int) -> JsonResponse:
    run = access.run_for_page(request, pk)
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, RecursionError):
        return _refused(400, "body", 'send {"node": ..., "values": [...]} as JSON')
    if not isinstance(body, dict):
        return _refused(400, "body", 'send {"node": ..., "values": [...]} as JSON')
    try:
        sweep = sweeps.request_sweep(
            run,
            request.user,
            request.session.session_key or "",
            body.get("node"),
            body.get("values"),
        )
    except Refused as refused:
        response = JsonResponse({"errors": translated(refused.errors())}, status=refused.status)
        if refused.status == 429:
            response["Retry-After"] = "5"
        return response
    status = 200 if sweep.status == Sweep.FINISHED else 202
    return JsonResponse(sweeps.as_json(sweep), status=status)


@require_GET
def sweep_status(request: HttpRequest, pk: int, sweep_id: int) -> JsonResponse:
    run = access.run_for_page(request, pk)
    sweeps.fail_stale()
    sweep = Sweep.objects.filter(pk=sweep_id, run=run).first()
    if sweep is None:
        raise Http404("No such sweep")
    return JsonResponse(sweeps.as_json(sweep))
