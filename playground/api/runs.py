"""/api/runs: a run's status and summary, its stored events page by page, its controls."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Router

from playground.accounts import access
from playground.api import serialize
from playground.api.auth import caller_of
from playground.api.errors import ApiError, not_found
from playground.api.schemas import ControlIn, EventsOut, RunOut
from playground.models import EventBatch, Run
from playground.runs import exports
from playground.runs.controls import control, parse_speed

router = Router(tags=["runs"])

REFUSALS = {400: dict, 401: dict, 403: dict, 404: dict}
MAX_PAGE = 10_000


def _visible(request: HttpRequest, pk: int, key: str | None) -> Run:
    caller = caller_of(request)
    run = access.visible_run(caller.user, caller.session_key(), pk, key)
    if run is None:
        raise not_found("run", pk)
    return run


@router.get(
    "", response=list[RunOut], summary="Your own runs (this browser session's, when not logged in)"
)
def my_runs(request: HttpRequest, limit: int = 50) -> list[dict[str, Any]]:
    caller = caller_of(request)
    limit = max(1, min(limit, 500))
    owner = access.account(caller.user)
    if owner is not None:
        runs = Run.objects.filter(owner=owner)
    elif caller.session_key():
        runs = Run.objects.filter(owner__isnull=True, session_key=caller.session_key())
    else:
        runs = Run.objects.none()
    return [serialize.run(r) for r in runs.select_related("scenario")[:limit]]


@router.get(
    "/{int:pk}",
    response={200: RunOut, **REFUSALS},
    summary="A run's status, reason, summary and stored event count",
)
def get_run(request: HttpRequest, pk: int, key: str | None = None) -> dict[str, Any]:
    from playground.runs.reaper import reap_if_stale

    run = reap_if_stale(_visible(request, pk, key))
    out = serialize.run(run)
    if access.can_control_run(caller_of(request).user, caller_of(request).session_key(), run):
        out["share_url"] = access.run_share_path(run)
    return out


@router.get(
    "/{int:pk}/events",
    response={200: EventsOut, **REFUSALS},
    summary="Stored events with seq > after, in order",
)
def run_events(
    request: HttpRequest, pk: int, after: int = -1, limit: int = 1000, key: str | None = None
) -> dict[str, Any]:
    run = _visible(request, pk, key)
    if limit < 1 or limit > MAX_PAGE:
        raise ApiError.one(400, "limit", f"limit is between 1 and {MAX_PAGE}")
    events: list[dict[str, Any]] = []
    batches = EventBatch.objects.filter(run=run, last_seq__gt=after).order_by("first_seq")
    # Batches are small (one tick each); read them lazily until the page is full.
    for batch in batches.iterator(chunk_size=50):
        for event in batch.events:
            if event.get("seq", -1) > after:
                events.append(event)
                if len(events) >= limit:
                    break
        if len(events) >= limit:
            break
    last_seq = events[-1]["seq"] if events else after
    return {"events": events, "last_seq": last_seq, "status": run.status}


@router.post(
    "/{int:pk}/control",
    response={200: RunOut, **REFUSALS},
    summary="Pause, resume, speed, step, fault, scale a stage, or cancel (its starter only)",
)
def control_run(
    request: HttpRequest, pk: int, payload: ControlIn, key: str | None = None
) -> dict[str, Any]:
    caller = caller_of(request)
    run = _visible(request, pk, key)
    if not access.can_control_run(caller.user, caller.session_key(), run):
        raise ApiError.one(403, "action", "only whoever started this run may control it")
    if not run.is_active:
        raise ApiError.one(
            400, "action", f"run {pk} is {run.status}: there is nothing to {payload.action}"
        )
    params: dict[str, Any] = {}
    if payload.action == "speed":
        parse_speed(payload.speed)  # checked before anything is stored; a Refused is a 400
        params["speed"] = payload.speed
    elif payload.speed is not None:
        raise ApiError.one(400, "speed", f"speed goes with the action speed, not {payload.action}")
    if payload.action == "fault":
        if payload.fault is None:
            raise ApiError.one(
                400, "fault", "fault is required: a fault object as in docs/topology.md"
            )
        params["fault"] = payload.fault
    elif payload.fault is not None:
        raise ApiError.one(400, "fault", f"fault goes with the action fault, not {payload.action}")
    if payload.action == "scale":
        for field in ("node", "instances"):
            if getattr(payload, field) is None:
                raise ApiError.one(400, field, f"{field} is required with the action scale")
        params["node"], params["instances"] = payload.node, payload.instances
    else:
        for field in ("node", "instances"):
            if getattr(payload, field) is not None:
                raise ApiError.one(
                    400, field, f"{field} goes with the action scale, not {payload.action}"
                )
    control(run, payload.action, **params)  # a Refused answers 400 naming the field
    run.refresh_from_db()
    return serialize.run(run)


def _download(
    response: HttpResponse | StreamingHttpResponse, run: Run, suffix: str
) -> HttpResponse | StreamingHttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(run, suffix)}"'
    return response


def _finished_summary(run: Run) -> None:
    if run.summary is None:
        raise ApiError.one(
            400, "summary", f"run {run.pk} is {run.status}: it has a summary once it finishes"
        )


@router.get(
    "/{int:pk}/events.jsonl",
    response={200: None, **REFUSALS},
    summary="Every stored event as JSON lines (a download)",
    description=(
        "Byte for byte what `python -m patterns run FILE --events PATH` writes for the same "
        "document and seed (a run changed live by faults or scaling has those events too). "
        "Streamed batch by batch."
    ),
)
def run_events_jsonl(
    request: HttpRequest, pk: int, key: str | None = None
) -> HttpResponse | StreamingHttpResponse:
    run = _visible(request, pk, key)
    response = StreamingHttpResponse(
        exports.events_jsonl(run), content_type="application/x-ndjson; charset=utf-8"
    )
    return _download(response, run, "events.jsonl")


@router.get(
    "/{int:pk}/summary.json",
    response={200: None, **REFUSALS},
    summary="A finished run's summary as a JSON file (a download)",
    description="The summary object of docs/events.md; 400 while the run has not finished.",
)
def run_summary_json(
    request: HttpRequest, pk: int, key: str | None = None
) -> HttpResponse | StreamingHttpResponse:
    run = _visible(request, pk, key)
    _finished_summary(run)
    response = HttpResponse(exports.summary_json(run), content_type="application/json")
    return _download(response, run, "summary.json")


@router.get(
    "/{int:pk}/summary.csv",
    response={200: None, **REFUSALS},
    summary="A finished run's per-node figures as CSV (a download)",
    description=(
        "One row per node: node, kind, instances, "
        + ", ".join(exports.NODE_COLUMNS)
        + ". A figure a node kind does not have is left empty. 400 while the run has not finished."
    ),
)
def run_summary_csv(
    request: HttpRequest, pk: int, key: str | None = None
) -> HttpResponse | StreamingHttpResponse:
    run = _visible(request, pk, key)
    _finished_summary(run)
    response = HttpResponse(exports.summary_csv(run), content_type="text/csv; charset=utf-8")
    return _download(response, run, "summary.csv")
