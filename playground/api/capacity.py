"""/api/capacity: the analytic capacity estimate of a topology, and its cross-check by a run.

The estimate (patterns/capacity.py) takes milliseconds, so it is computed in
the request. The cross-check simulates, so it is never run in the request:
`POST /api/capacity/check` starts an ordinary run (speed "max") of a
scaled-down copy through playground.runs.launch, under the site's limits, and
`GET /api/capacity/check/{run}` compares that run's summary with the copy's
own estimate once it has finished (recomputed from the stored document: the
estimate is deterministic, so nothing extra is stored).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Status
from pydantic import StrictFloat, StrictInt, field_validator

from patterns import TopologyError, capacity
from playground.accounts import access
from playground.api import serialize
from playground.api.auth import caller_of
from playground.api.errors import ApiError, not_found
from playground.api.schemas import RunOut, Strict
from playground.experiments import engine_text
from playground.models import Limits, Run, Topology
from playground.refusals import Refused
from playground.runs.launch import launch

router = Router(tags=["capacity"])

REFUSALS = {400: dict, 401: dict, 404: dict}
Number = StrictFloat | StrictInt
MAX_CHECK_REQUESTS = 50_000


class CapacityIn(Strict):
    topology: StrictInt | None = Field(None, description="a saved topology's id (or `document`)")
    key: str | None = Field(None, max_length=64, description="the share key of a link topology")
    document: dict[str, Any] | None = Field(
        None, description="a topology document (docs/topology.md)"
    )
    load: Number | str | None = Field(
        None,
        description='average requests: a number per second, or text such as "3e9/day", '
        '"3 billion/day", "50k/min", "1200/s"; default: the document\'s own client rates',
    )
    peak_factor: Number = Field(1.0, description="peak over average, 1 to 1000")
    target_utilisation: Number = Field(
        capacity.DEFAULT_TARGET_UTILISATION, description="size each pool for this, in (0, 1)"
    )
    target_p99_ms: Number | None = Field(
        None, description="also size each pool so its own p99 is at most this"
    )
    cost_per_hour: dict[str, Number] | None = Field(
        None,
        description="per node id, the cost of an instance-hour (overrides the node's "
        "cost_per_hour; the way to price a database)",
    )
    default_cost_per_hour: Number = Field(
        0.0, description="for pools with no cost_per_hour of their own"
    )

    @field_validator("load", mode="before")
    @classmethod
    def _one_load(cls, value: Any) -> Any:
        # One message for the field, not one per member of the union.
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float | str)
        ):
            raise ValueError('a number of requests per second, or text such as "3e9/day"')
        return value


class CheckIn(CapacityIn):
    requests: StrictInt = Field(
        5000, ge=100, le=MAX_CHECK_REQUESTS, description="about how many requests the run makes"
    )
    seed: StrictInt | None = Field(None, ge=-(2**63), le=2**63 - 1)


class CheckOut(Strict):
    run: RunOut
    comparison: dict[str, Any] | None = Field(
        description="null until the run has finished; then predicted against simulated"
    )


def _document(request: HttpRequest, payload: CapacityIn) -> tuple[Any, Topology | None]:
    if (payload.topology is None) == (payload.document is None):
        raise ApiError.one(400, "topology", "give either a topology id or a document")
    if payload.document is not None:
        return payload.document, None
    assert payload.topology is not None
    topology = access.visible_topology(caller_of(request).user, payload.topology, payload.key)
    if topology is None:
        raise not_found("topology", payload.topology)
    return topology.document, topology


def _estimate(doc: Any, payload: CapacityIn) -> dict[str, Any]:
    load = payload.load
    if isinstance(load, str):
        try:
            load = capacity.parse_load(load)
        except ValueError as exc:
            raise ApiError.one(400, "load", str(exc)) from None
    try:
        return capacity.estimate(
            doc,
            load_per_s=None if load is None else float(load),
            peak_factor=float(payload.peak_factor),
            target_utilisation=float(payload.target_utilisation),
            target_p99_ms=None if payload.target_p99_ms is None else float(payload.target_p99_ms),
            cost_per_hour={k: float(v) for k, v in (payload.cost_per_hour or {}).items()},
            default_cost_per_hour=float(payload.default_cost_per_hour),
        )
    except TopologyError as exc:
        prefix = "document." if payload.document is not None else ""
        raise ApiError(
            400,
            [
                (
                    p.path
                    if p.path in _FIELDS or p.path.startswith("cost_per_hour.")
                    else prefix + p.path,
                    p.message,
                )
                for p in exc.problems
            ],
        ) from None


_FIELDS = {"load", "peak_factor", "target_utilisation", "target_p99_ms", "default_cost_per_hour"}


@router.post(
    "",
    response={200: dict[str, Any], **REFUSALS},
    summary="Capacity on paper: per node rate, utilisation, instances needed, latency, cost",
    description=(
        "Queueing theory, computed in milliseconds (docs/capacity.md). Answers `load` (average, "
        "peak, per day), `nodes` (per node: `rate_per_s`, and for pools `utilisation`, "
        "`size`, `needed` for the target, `wait_ms`, `response_ms`, `p99_ms`, the `planned` "
        "figures at the needed size, `cost_per_month`, and `fit`: whether the formulas hold "
        "`exact`ly, as a `bound`, `approximate`ly or not at all (`none`), with `reasons` in "
        "the request's language and `reason_keys`, each `{key, args}`), "
        "`clients` (end-to-end latency now and planned), `bottleneck`, `first_to_saturate` "
        "(`node`, `at_load_factor`, `waiting_on`), `cost_per_month`, "
        "`planned_cost_per_month`, `fit` and `assumptions`. Times are ms; null means "
        "unbounded (a saturated queue)."
    ),
)
def estimate(request: HttpRequest, payload: CapacityIn) -> dict[str, Any]:
    doc, _ = _document(request, payload)
    # The reasons and assumptions in the request's language, as the refusals (docs/i18n.md);
    # `reason_keys` keeps each reason's key and values whatever the language.
    return engine_text.estimate(_estimate(doc, payload))


@router.post(
    "/check",
    response={201: CheckOut, **REFUSALS},
    summary="Cross-check the estimate: start a run of a scaled-down copy",
    description=(
        "Needs an account (it starts a run). "
        "Sizes the topology for the load as `POST /api/capacity` does, scales the planned "
        "design down by one factor to fit the site's run limits (rates, instances, "
        'duration), and starts an ordinary run of it at speed "max". Poll '
        "`GET /api/capacity/check/{run}` for the comparison."
    ),
)
def start_check(request: HttpRequest, payload: CheckIn) -> Status[dict[str, Any]]:
    caller = caller_of(request)
    # Starting a run of any document needs an account, as POST /api/topologies/{id}/runs.
    caller.require_user()
    doc, topology = _document(request, payload)
    result = _estimate(doc, payload)
    limits = Limits.current()
    anonymous = not caller.is_authenticated
    copy = capacity.scaled_copy(
        doc,
        result,
        max_rate=min(
            capacity.CHECK_MAX_RATE,
            limits.anon_max_client_rate if anonymous else limits.max_client_rate,
        ),
        max_instances=limits.max_instances,
        requests=payload.requests,
        max_duration_ms=float(limits.anon_max_duration_ms if anonymous else limits.max_duration_ms),
    )
    copy["name"] = f"Capacity check: {copy.get('name') or 'topology'}"[:200]
    try:
        run = launch(
            copy,
            user=caller.user,
            topology=topology,
            seed=payload.seed,
            speed="max",
        )
    except Refused as exc:
        raise ApiError(400, exc.problems) from None
    return Status(201, {"run": serialize.run(run), "comparison": None})


@router.get(
    "/check/{int:pk}",
    response={200: CheckOut, **REFUSALS},
    summary="The cross-check of a run: the estimate of its document against its summary",
    description=(
        "Any finished run can be compared with theory. `comparison`: `latency_ms` "
        "(`predicted_mean`, `simulated_mean`, `difference` as (simulated - predicted) / "
        "predicted), per pool `nodes` (`predicted_utilisation`, `simulated_utilisation`, "
        "`difference`, `fit`), the run's `requests` and the overall `fit`."
    ),
)
def get_check(request: HttpRequest, pk: int, key: str | None = None) -> dict[str, Any]:
    caller = caller_of(request)
    run = access.visible_run(caller.user, caller.session_key(), pk, key)
    if run is None:
        raise not_found("run", pk)
    comparison = None
    if run.status == Run.FINISHED and run.summary:
        try:
            comparison = capacity.compare(run.document, run.summary)
        except TopologyError as exc:
            raise ApiError(400, exc.problems) from None
    return {"run": serialize.run(run), "comparison": comparison}
