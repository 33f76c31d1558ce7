"""/api/topologies: create, list, read, update, delete, export, fork, and start runs."""

from __future__ import annotations

import json
import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from playground.accounts import access
from playground.api import serialize
from playground.api.auth import caller_of
from playground.api.errors import ApiError, not_found
from playground.api.schemas import (
    ForkIn,
    RunIn,
    RunOut,
    TopologyIn,
    TopologyOut,
    TopologyPatch,
    TopologySummary,
)
from playground.models import Topology
from playground.refusals import Refused
from playground.runs.launch import launch
from playground.topologies.documents import check

router = Router(tags=["topologies"])

REFUSALS = {400: dict, 401: dict, 403: dict, 404: dict}


def refused(exc: Refused) -> ApiError:
    return ApiError(400, exc.problems)


def _visible(request: HttpRequest, pk: int, key: str | None) -> Topology:
    topology = access.visible_topology(caller_of(request).user, pk, key)
    if topology is None:
        raise not_found("topology", pk)
    return topology


def _owned(request: HttpRequest, pk: int, key: str | None = None) -> Topology:
    """The topology for a write: 404 if the caller cannot see it, 403 if not their own."""
    user = caller_of(request).require_user()
    topology = _visible(request, pk, key)
    if not access.can_edit_topology(user, topology):
        raise ApiError.one(403, "id", f"topology {pk} is read-only to you: fork it to change it")
    return topology


def _pattern(doc: dict[str, Any]) -> str:
    value = doc.get("pattern")
    return value[:60] if isinstance(value, str) else ""


def _name(given: str | None, doc: dict[str, Any]) -> str:
    if given:
        return given
    value = doc.get("name")
    return value[:200] if isinstance(value, str) and value.strip() else "Untitled topology"


@router.get("", response=list[TopologySummary], summary="Your topologies and every public one")
def list_topologies(request: HttpRequest) -> list[dict[str, Any]]:
    user = caller_of(request).user
    return [serialize.topology_summary(t, user) for t in access.listed_topologies(user)]


@router.post(
    "",
    response={201: TopologyOut, **REFUSALS},
    summary="Save a new topology (validated as a whole)",
)
def create_topology(request: HttpRequest, payload: TopologyIn) -> Status[dict[str, Any]]:
    user = caller_of(request).require_user()
    try:
        check(payload.document)
    except Refused as exc:
        raise refused(exc) from None
    topology = Topology.objects.create(
        owner=user,
        name=_name(payload.name, payload.document),
        description=payload.description or "",
        pattern=_pattern(payload.document),
        document=payload.document,
        visibility=payload.visibility,
    )
    return Status(201, serialize.topology_detail(topology, user))


@router.get(
    "/{int:pk}", response={200: TopologyOut, **REFUSALS}, summary="A topology with its document"
)
def get_topology(request: HttpRequest, pk: int, key: str | None = None) -> dict[str, Any]:
    return serialize.topology_detail(_visible(request, pk, key), caller_of(request).user)


def _update(
    request: HttpRequest, pk: int, payload: TopologyPatch, key: str | None
) -> dict[str, Any]:
    topology = _owned(request, pk, key)
    if payload.document is not None:
        try:
            check(payload.document)
        except Refused as exc:
            raise refused(exc) from None
        topology.document = payload.document
        topology.pattern = _pattern(payload.document)
    if payload.name is not None:
        topology.name = payload.name
    if payload.description is not None:
        topology.description = payload.description
    if payload.visibility is not None:
        topology.visibility = payload.visibility
    topology.save()
    return serialize.topology_detail(topology, caller_of(request).user)


@router.put(
    "/{int:pk}", response={200: TopologyOut, **REFUSALS}, summary="Replace a topology (owner only)"
)
def put_topology(
    request: HttpRequest, pk: int, payload: TopologyIn, key: str | None = None
) -> dict[str, Any]:
    patch = TopologyPatch(
        name=_name(payload.name, payload.document),
        description=payload.description or "",
        document=payload.document,
        visibility=payload.visibility,
    )
    return _update(request, pk, patch, key)


@router.patch(
    "/{int:pk}", response={200: TopologyOut, **REFUSALS}, summary="Change some fields (owner only)"
)
def patch_topology(
    request: HttpRequest, pk: int, payload: TopologyPatch, key: str | None = None
) -> dict[str, Any]:
    return _update(request, pk, payload, key)


@router.delete(
    "/{int:pk}",
    response={204: None, **REFUSALS},
    summary="Delete a topology and its runs (owner only)",
)
def delete_topology(request: HttpRequest, pk: int, key: str | None = None) -> Status[None]:
    _owned(request, pk, key).delete()
    return Status(204, None)


@router.get("/{int:pk}/export", summary="The document as a JSON file download")
def export_topology(request: HttpRequest, pk: int, key: str | None = None) -> HttpResponse:
    topology = _visible(request, pk, key)
    slug = re.sub(r"[^a-z0-9]+", "-", topology.name.lower()).strip("-") or f"topology-{pk}"
    response = HttpResponse(
        json.dumps(topology.document, indent=2) + "\n", content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{slug}.json"'
    return response


@router.post(
    "/{int:pk}/fork",
    response={201: TopologyOut, **REFUSALS},
    summary="Copy a topology you can see into a private one of yours",
)
def fork_topology(
    request: HttpRequest, pk: int, key: str | None = None, payload: ForkIn | None = None
) -> Status[dict[str, Any]]:
    user = caller_of(request).require_user()
    source = _visible(request, pk, key)
    try:
        check(source.document)  # the limits may have tightened since it was saved
    except Refused as exc:
        raise refused(exc) from None
    topology = Topology.objects.create(
        owner=user,
        name=(payload.name if payload and payload.name else f"{source.name} (fork)")[:200],
        description=source.description,
        pattern=source.pattern,
        document=source.document,
        visibility=Topology.PRIVATE,
        forked_from=source,
    )
    return Status(201, serialize.topology_detail(topology, user))


@router.post(
    "/{int:pk}/runs", response={201: RunOut, **REFUSALS}, summary="Start a run of a saved topology"
)
def start_run(
    request: HttpRequest, pk: int, key: str | None = None, payload: RunIn | None = None
) -> Status[dict[str, Any]]:
    user = caller_of(request).require_user()
    topology = _visible(request, pk, key)
    payload = payload or RunIn(speed=None, seed=None)
    try:
        run = launch(
            topology.document, user=user, topology=topology, seed=payload.seed, speed=payload.speed
        )
    except Refused as exc:
        raise refused(exc) from None
    return Status(201, serialize.run(run))


@router.get(
    "/{int:pk}/runs",
    response={200: list[RunOut], **REFUSALS},
    summary="The runs of a topology, newest first",
)
def list_runs(
    request: HttpRequest, pk: int, key: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    topology = _visible(request, pk, key)
    limit = max(1, min(limit, 500))
    return [serialize.run(r) for r in topology.runs.select_related("scenario")[:limit]]
