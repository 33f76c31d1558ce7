"""/api/runs/{id}/fork and /api/ab: experiments (docs/experiments.md), run in the background."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status
from pydantic import StrictFloat, StrictInt

from playground.accounts import access
from playground.api import serialize
from playground.api.auth import caller_of
from playground.api.errors import ApiError, login_required, not_found
from playground.api.schemas import RunOut, Speed, Strict
from playground.experiments import abtests
from playground.models import ABTest, Run, RunFork, Scenario
from playground.refusals import Refused
from playground.runs import forks

runs_router = Router(tags=["experiments"])
ab_router = Router(tags=["experiments"])

REFUSALS = {400: dict, 401: dict, 403: dict, 404: dict}
AB_REFUSALS = {**REFUSALS, 429: dict}


class ChangeIn(Strict):
    kind: Literal["scale", "fault", "set"]
    node: str | None = Field(None, description="scale and set: the node's id")
    instances: StrictInt | None = Field(None, description="scale: the pool's new size")
    fault: dict[str, Any] | None = Field(None, description="fault: as in docs/topology.md")
    field: Literal["rate", "algorithm", "timeout_ms"] | None = Field(
        None,
        description="set: a client's or source's rate, a balancer's algorithm, an "
        "aggregator's timeout_ms",
    )
    value: StrictFloat | StrictInt | str | None = Field(None, description="set: the new value")


class ForkRunIn(Strict):
    t: StrictFloat | StrictInt = Field(description="the moment to fork at, in simulated ms")
    change: ChangeIn
    speed: Speed | None = Field(None, description='as for a new run; default 1, or "max"')


class ForkOut(Schema):
    parent: int | None = Field(description="the run it was forked from (null once deleted)")
    t: float = Field(description="the fork's moment in simulated ms")
    change: dict[str, Any]
    compare_url: str | None = Field(description="the compare page, lined up from the fork")


class ForkedRunOut(RunOut):
    fork: ForkOut | None = None
    forks: list[int] = Field(default_factory=list, description="runs forked from this one")


def _run_out(run: Run) -> dict[str, Any]:
    data = serialize.run(run)
    data["fork"] = forks.as_json(RunFork.objects.filter(run=run).first())
    data["forks"] = list(RunFork.objects.filter(parent=run).values_list("run_id", flat=True))
    return data


def _change(payload: ChangeIn) -> dict[str, Any]:
    """The change as the engine reads it (patterns/forking.py): only the fields its kind has."""
    data = payload.model_dump()
    keep = {"scale": ("node", "instances"), "fault": ("fault",), "set": ("node", "field", "value")}
    return {"kind": payload.kind, **{k: data[k] for k in keep[payload.kind]}}


@runs_router.post(
    "/{int:pk}/fork",
    response={201: ForkedRunOut, **REFUSALS},
    summary="Fork a run from a moment: the same up to t, then your change",
    description=(
        "Starts a new run of the same document and seed that replays this run (with the "
        "faults, resizes and changes it had) to `t` ms, applies `change`, and goes on. Its "
        "events up to `t` are this run's, byte for byte. Anyone who may see the run may fork "
        "it (the fork is theirs, under their limits). `t` is at most how far the run has gone "
        '(`sim_time_ms`). `change` is `{"kind": "scale", "node", "instances"}`, '
        '`{"kind": "fault", "fault"}` or `{"kind": "set", "node", "field", '
        '"value"}` (field: `rate`, `algorithm`, `timeout_ms`).'
    ),
)
def fork_run(request: HttpRequest, pk: int, payload: ForkRunIn, key: str | None = None) -> Any:
    caller = caller_of(request)
    parent = access.visible_run(caller.user, caller.session_key(), pk, key)
    if parent is None:
        raise not_found("run", pk)
    if parent.topology_id is not None and not caller.is_authenticated:
        # As for a new run of a saved topology: visitors run built-in scenarios only.
        raise login_required()
    session_key = "" if caller.is_authenticated else caller.session_key(create=True)
    try:
        run = forks.request_fork(
            parent,
            user=caller.user,
            session_key=session_key,
            at_ms=payload.t,
            change=_change(payload.change),
            speed=payload.speed,
        )
    except Refused as exc:
        raise ApiError(400, exc.problems) from None
    return Status(201, _run_out(run))


@runs_router.get(
    "/{int:pk}/lineage",
    response={200: ForkedRunOut, **REFUSALS},
    summary="A run with where it was forked from and the runs forked from it",
)
def run_lineage(request: HttpRequest, pk: int, key: str | None = None) -> Any:
    caller = caller_of(request)
    run = access.visible_run(caller.user, caller.session_key(), pk, key)
    if run is None:
        raise not_found("run", pk)
    return _run_out(run)


class SetIn(Strict):
    node: str
    field: str
    value: Any = None


class VariantIn(Strict):
    name: str = Field(min_length=1, max_length=60)
    set: list[SetIn] = Field(default_factory=list, description="node fields to set")


class ABIn(Strict):
    topology: StrictInt | None = Field(None, description="a saved topology you may see")
    scenario: str | None = Field(None, description="or a built-in scenario's slug")
    document: dict[str, Any] | None = Field(None, description="or a document")
    key: str | None = Field(None, description="the share key of a link topology")
    name: str = Field("", max_length=200)
    variants: list[VariantIn] = Field(
        description="2 to 6; the first is the baseline the others are compared with"
    )
    seeds: StrictInt | list[StrictInt] = Field(
        10, description="a count K (seeds 1..K) or the seeds themselves (up to 50)"
    )


class ABOut(Schema):
    id: int
    name: str
    status: str
    done: int = Field(description="runs finished so far")
    total: int = Field(description="variants times seeds")
    variants: list[dict[str, Any]]
    seeds: list[int]
    figures: list[str]
    rows: list[list[dict[str, float]]] | None = Field(
        description="rows[v][k]: variant v's figures on seed k"
    )
    result: dict[str, Any] | None = Field(
        description='{"variants": [{"name", "figures": {fig: {"mean", "low", "high", "half"}}}], '
        '"differences": [{"name", "versus", "figures": {...}}]}: 95% t intervals; a '
        "difference is paired (variant minus baseline on each seed)"
    )
    error: str
    topology: int | None
    scenario: str | None
    created: str
    finished: str | None
    url: str
    watch_runs: list[int] | None = Field(
        None, description="recorded runs of each variant on the first seed, once asked for"
    )


def _source(request: HttpRequest, payload: ABIn) -> tuple[dict[str, Any], dict[str, Any]]:
    caller = caller_of(request)
    given = [x for x in (payload.topology, payload.scenario, payload.document) if x is not None]
    if len(given) != 1:
        raise ApiError.one(400, "document", "give exactly one of topology, scenario, document")
    if payload.topology is not None:
        topology = access.visible_topology(caller.user, payload.topology, payload.key)
        if topology is None:
            raise not_found("topology", payload.topology)
        return topology.document, {"topology": topology}
    if payload.scenario is not None:
        scenario = Scenario.objects.filter(slug=payload.scenario).first()
        if scenario is None:
            raise not_found("scenario", payload.scenario)
        return scenario.document, {"scenario": scenario}
    assert payload.document is not None
    return payload.document, {}


@ab_router.post(
    "",
    response={202: ABOut, **AB_REFUSALS},
    summary="Start an A/B test: variants of one topology on the same traffic, K seeds",
    description=(
        "Each variant is the topology with some node fields set. Every variant runs on the "
        "same seeds, so on one seed they see the same arrivals and the same work per request "
        "(common random numbers); differences from the first variant are paired per seed, with "
        "a 95% t interval. Runs in the background: poll `GET /api/ab/{id}` until `status` is "
        "`finished` or `failed`. One test in progress per caller."
    ),
)
def start_ab(request: HttpRequest, payload: ABIn) -> Any:
    caller = caller_of(request)
    document, where = _source(request, payload)
    session_key = "" if caller.is_authenticated else caller.session_key(create=True)
    try:
        test = abtests.request_ab(
            document,
            [v.model_dump() for v in payload.variants],
            payload.seeds,
            user=caller.user,
            session_key=session_key,
            name=payload.name,
            **where,
        )
    except Refused as exc:
        status = 429 if exc.problems and exc.problems[0].path == "ab" else 400
        raise ApiError(status, exc.problems) from None
    return Status(202, abtests.as_json(test))


def _mine(request: HttpRequest, pk: int) -> ABTest:
    caller = caller_of(request)
    test = ABTest.objects.select_related("scenario").filter(pk=pk).first()
    if test is None:
        raise not_found("A/B test", pk)
    if test.owner_id is not None:
        ok = caller.is_authenticated and test.owner_id == caller.user.pk
    else:
        ok = bool(test.session_key) and test.session_key == caller.session_key()
    if not ok:
        raise not_found("A/B test", pk)
    return test


@ab_router.get("/{int:pk}", response={200: ABOut, **REFUSALS}, summary="An A/B test and results")
def get_ab(request: HttpRequest, pk: int) -> Any:
    abtests.fail_stale()
    return abtests.as_json(_mine(request, pk))


def _finished(test: ABTest) -> None:
    if test.status != ABTest.FINISHED:
        raise ApiError.one(400, "status", f"the test is {test.status}: exports come once finished")


@ab_router.get(
    "/{int:pk}/results.csv",
    response={200: None, **REFUSALS},
    summary="A finished test as CSV: each run's figures, then means and paired differences",
)
def ab_csv(request: HttpRequest, pk: int) -> Any:
    test = _mine(request, pk)
    _finished(test)
    response = HttpResponse(abtests.as_csv(test), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ab-{test.pk}.csv"'
    return response


@ab_router.get(
    "/{int:pk}/results.json",
    response={200: None, **REFUSALS},
    summary="A finished test as a JSON file (what GET /api/ab/{id} answers)",
)
def ab_json(request: HttpRequest, pk: int) -> Any:
    import json

    test = _mine(request, pk)
    _finished(test)
    body = json.dumps(abtests.as_json(test), indent=1)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="ab-{test.pk}.json"'
    return response


@ab_router.post(
    "/{int:pk}/watch",
    response={200: ABOut, **AB_REFUSALS},
    summary="Start one recorded run per variant on the first seed, to watch side by side",
    description=(
        "Ordinary runs at full speed (your limits apply); their ids are `watch_runs`, in the "
        "order of the variants. Asked again, answers the same runs."
    ),
)
def watch_ab(request: HttpRequest, pk: int) -> Any:
    caller = caller_of(request)
    test = _mine(request, pk)
    session_key = "" if caller.is_authenticated else caller.session_key(create=True)
    try:
        test = abtests.watch(test, user=caller.user, session_key=session_key)
    except Refused as exc:
        raise ApiError(400, exc.problems) from None
    return abtests.as_json(test)
