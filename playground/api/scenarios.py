"""/api/scenarios: the built-in scenarios; anyone may run them (visitors: tighter limits)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from playground.api import serialize
from playground.api.auth import caller_of
from playground.api.errors import ApiError
from playground.api.schemas import ForkIn, RunIn, RunOut, ScenarioOut, TopologyOut
from playground.models import Scenario, Topology
from playground.refusals import Refused
from playground.runs.launch import launch
from playground.topologies.documents import check

router = Router(tags=["scenarios"])

REFUSALS = {400: dict, 401: dict, 403: dict, 404: dict}


def _scenario(slug: str) -> Scenario:
    scenario = Scenario.objects.filter(slug=slug).first()
    if scenario is None:
        raise ApiError.one(404, "slug", f"no scenario {slug!r}")
    return scenario


@router.get("", response=list[ScenarioOut], summary="The built-in scenarios")
def list_scenarios(request: HttpRequest) -> list[dict[str, Any]]:
    return [serialize.scenario(s) for s in Scenario.objects.all()]


@router.get("/{slug}", response={200: ScenarioOut, 404: dict}, summary="One built-in scenario")
def get_scenario(request: HttpRequest, slug: str) -> dict[str, Any]:
    return serialize.scenario(_scenario(slug))


@router.post(
    "/{slug}/runs",
    response={201: RunOut, **REFUSALS},
    summary="Run a built-in scenario (no account needed, tighter limits)",
)
def run_scenario(
    request: HttpRequest, slug: str, payload: RunIn | None = None
) -> Status[dict[str, Any]]:
    caller = caller_of(request)
    scenario = _scenario(slug)
    payload = payload or RunIn(speed=None, seed=None)
    new_session = not caller.is_authenticated and not caller.session_key()
    session_key = "" if caller.is_authenticated else caller.session_key(create=True)
    try:
        run = launch(
            scenario.document,
            user=caller.user,
            session_key=session_key,
            scenario=scenario,
            seed=payload.seed,
            speed=payload.speed,
        )
    except Refused as exc:
        if new_session:
            # A refused visitor leaves no session row behind (a script looping on a
            # refusal would otherwise fill the table): flush deletes it, and the
            # middleware sets no cookie for an empty session.
            request.session.flush()
        raise ApiError(400, exc.problems) from None
    return Status(201, serialize.run(run))


@router.post(
    "/{slug}/fork",
    response={201: TopologyOut, **REFUSALS},
    summary="Copy a scenario into a private topology of yours",
)
def fork_scenario(
    request: HttpRequest, slug: str, payload: ForkIn | None = None
) -> Status[dict[str, Any]]:
    user = caller_of(request).require_user()
    scenario = _scenario(slug)
    try:
        check(scenario.document)
    except Refused as exc:
        raise ApiError(400, exc.problems) from None
    topology = Topology.objects.create(
        owner=user,
        name=(payload.name if payload and payload.name else scenario.name)[:200],
        description=scenario.description,
        pattern=scenario.pattern[:60],
        document=scenario.document,
        visibility=Topology.PRIVATE,
    )
    return Status(201, serialize.topology_detail(topology, user))
