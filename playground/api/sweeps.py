"""/api/sweeps: parameter sweeps on workers (experiments/param_sweeps.py, docs/sweeps.md).

`POST /api/sweeps` queues one and answers at once (201); `GET /api/sweeps/{id}` reads its
progress and, per value, the mean and 95% interval of every figure beside the theory's
prediction; `POST /api/sweeps/{id}/cancel` stops it; `GET /api/sweeps/{id}/export` gives
every point as CSV or JSON. A sweep runs many simulations, so it needs an account.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Status
from pydantic import StrictFloat, StrictInt

from patterns import TopologyError
from patterns.parameter_sweep import numeric_fields
from playground.accounts import access
from playground.api.auth import caller_of
from playground.api.errors import ApiError, not_found
from playground.api.schemas import Strict
from playground.experiments import param_sweeps
from playground.experiments.sweep_models import ParamSweep

router = Router(tags=["sweeps"])

REFUSALS = {400: dict, 401: dict, 404: dict, 429: dict}
Number = StrictFloat | StrictInt


class SweepIn(Strict):
    topology: StrictInt | None = Field(None, description="a saved topology's id (or `document`)")
    key: str | None = Field(None, max_length=64, description="the share key of a link topology")
    document: dict[str, Any] | None = Field(None, description="a topology document")
    node: str = Field(min_length=1, max_length=100, description="the id of the node to vary")
    field: str = Field(
        min_length=1,
        max_length=100,
        description="a numeric field of the node, dotted for nested ones: `rate`, `instances`, "
        "`service_time.mean_ms`, `timeout_ms`, `steps.0.retries` (see GET /api/sweeps/fields)",
    )
    values: list[Number] | None = Field(
        None, max_length=param_sweeps.MAX_VALUES, description="the values (or a range)"
    )
    start: Number | None = Field(None, description="a range's first value")
    stop: Number | None = Field(None, description="a range's last value (inclusive)")
    step: Number | None = Field(None, description="a range's step (or `count`)")
    count: StrictInt | None = Field(None, description="a range in this many even values")
    seeds: StrictInt = Field(3, ge=1, le=param_sweeps.MAX_SEEDS, description="runs per value (K)")
    seed: StrictInt = Field(1, ge=0, le=2**62, description="value i runs seeds seed..seed+K-1")
    requests: StrictInt = Field(
        param_sweeps.DEFAULT_REQUESTS,
        ge=100,
        le=50_000,
        description="about how many requests each run makes (its duration is set from the rate)",
    )


def _document(request: HttpRequest, topology: int | None, key: str | None,
              document: dict[str, Any] | None) -> tuple[Any, Any]:  # fmt: skip
    if (topology is None) == (document is None):
        raise ApiError.one(400, "topology", "give either a topology id or a document")
    if document is not None:
        return document, None
    assert topology is not None
    found = access.visible_topology(caller_of(request).user, topology, key)
    if found is None:
        raise not_found("topology", topology)
    return found.document, found


def _mine(request: HttpRequest, pk: int) -> ParamSweep:
    user = caller_of(request).require_user()
    sweep = ParamSweep.objects.filter(pk=pk, owner=user).first()
    if sweep is None:
        raise not_found("sweep", pk)
    return sweep


@router.post(
    "",
    response={201: dict[str, Any], **REFUSALS},
    summary="Start a sweep: one field of one node over values, K seeds each, on the workers",
    description=(
        "Give `values`, or `start` and `stop` with a `step` or a `count`. Each (value, seed) "
        "is one run of about `requests` requests, queued as its own task; all values use the "
        "same seeds. Refused (400) when the field is not a number, a value makes the document "
        "invalid or over the site's limits, or values × seeds is over `Limits.max_sweep_runs`; "
        "429 while the caller has `Limits.max_concurrent_sweeps` sweeps going. Answers the "
        "sweep as `GET /api/sweeps/{id}` does."
    ),
)
def start(request: HttpRequest, payload: SweepIn) -> Any:
    user = caller_of(request).require_user()
    doc, topology = _document(request, payload.topology, payload.key, payload.document)
    try:
        values = param_sweeps.expand(
            None if payload.values is None else [float(v) for v in payload.values],
            None if payload.start is None else float(payload.start),
            None if payload.stop is None else float(payload.stop),
            None if payload.step is None else float(payload.step),
            payload.count,
        )
        sweep = param_sweeps.create(
            user,
            doc,
            payload.node,
            payload.field,
            values,
            seeds=payload.seeds,
            seed=payload.seed,
            requests=payload.requests,
            topology=topology,
        )
    except TopologyError as exc:
        raise ApiError(400, exc.problems) from None
    except param_sweeps.SweepRefused as refused:
        raise ApiError(refused.status, refused.problems) from None
    return Status(201, param_sweeps.result(sweep))


@router.get(
    "/fields",
    response={200: list[dict[str, Any]], **REFUSALS},
    summary="The numeric fields of a topology's nodes a sweep can vary",
    description="`[{node, field, value}]`, `field` dotted for nested fields.",
)
def fields(request: HttpRequest, topology: int, key: str | None = None) -> Any:
    doc, _ = _document(request, topology, key, None)
    try:
        return numeric_fields(doc)
    except TopologyError as exc:
        raise ApiError(400, exc.problems) from None


@router.get(
    "",
    response={200: list[dict[str, Any]], **REFUSALS},
    summary="The caller's sweeps, newest first (50)",
)
def listing(request: HttpRequest) -> Any:
    user = caller_of(request).require_user()
    return [
        {
            "id": s.pk,
            "status": s.status,
            "name": s.name,
            "node": s.node,
            "field": s.field,
            "values": s.values,
            "seeds": s.seeds,
            "created": s.created.isoformat(),
            "url": f"/sweeps/{s.pk}/",
        }
        for s in ParamSweep.objects.filter(owner=user)[:50]
    ]


@router.get(
    "/{int:pk}",
    response={200: dict[str, Any], **REFUSALS},
    summary="A sweep: progress, and per value each figure's mean and 95% interval, and theory",
    description=(
        "`progress` counts points (`total`, `queued`, `running`, `done`, `skipped`, `failed`). "
        "`rows[i].figures[name]` is `{n, mean, low, high}` over the value's seeds (Student's t); "
        "`rows[i].theory` the queueing theory's `latency_mean`, `utilisation` (the busiest "
        "pool's) and `throughput_per_s`, with `fit`: `exact`, `bound` (the curve is an upper "
        "bound), `approximate`, or `none` (no curve); `reasons` say which node leaves the "
        "theory's assumptions and why."
    ),
)
def read(request: HttpRequest, pk: int) -> Any:
    return param_sweeps.result(_mine(request, pk))


@router.post(
    "/{int:pk}/cancel",
    response={200: dict[str, Any], **REFUSALS},
    summary="Cancel a sweep: its queued points are skipped and their tasks revoked",
    description="Points already running finish and are kept. Cancelling an ended sweep is a no-op.",
)
def cancel(request: HttpRequest, pk: int) -> Any:
    sweep = _mine(request, pk)
    param_sweeps.cancel(sweep)
    sweep.refresh_from_db()
    return param_sweeps.result(sweep)


@router.get(
    "/{int:pk}/export",
    response={200: dict[str, Any], **REFUSALS},
    summary="Every point of a sweep, as CSV or JSON",
    description=(
        "`format=csv`: one line per (value, seed) with its figures and the theory at that "
        "value. `format=json` (the default): the sweep as `GET /api/sweeps/{id}` plus `points` "
        "and the swept `document`."
    ),
)
def export(request: HttpRequest, pk: int, format: str = "json") -> Any:
    sweep = _mine(request, pk)
    rows = param_sweeps.point_rows(sweep)
    name = f"sweep-{sweep.pk}-{sweep.node}-{sweep.field}"
    if format == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["value"])
        writer.writeheader()
        writer.writerows(rows)
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    elif format == "json":
        body = {**param_sweeps.result(sweep), "points": rows, "document": sweep.document}
        response = HttpResponse(json.dumps(body, indent=1), content_type="application/json")
    else:
        raise ApiError.one(400, "format", "csv or json")
    response["Content-Disposition"] = f'attachment; filename="{name}.{format}"'
    return response
