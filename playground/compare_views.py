"""The compare page: /compare/?runs=1,2,3 (or ?run=1&run=2 from the runs list's check boxes)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from playground import compare


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
    cells = [
        {
            "text": _text(v, row["unit"]),
            "delta": _delta(v, values[0]) if i and row["differs"] else "",
            "best": row["best"] == i,
        }
        for i, v in enumerate(values)
    ]
    return {**row, "cells": cells}


def compare_runs(request: HttpRequest) -> HttpResponse:
    try:
        ids = compare.parse_ids(_ids(request))
    except compare.CompareError as exc:
        return render(request, "playground/compare.html", {"error": exc.message}, status=400)
    keys = [k for k in request.GET.get("key", "").split(",") if k]
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
        },
    )
