"""What the API accepts and answers.

Inputs forbid unknown fields: a typo is a 400, not silently ignored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StrictFloat, StrictInt

Visibility = Literal["private", "link", "public"]
Speed = StrictFloat | StrictInt | Literal["max"]


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class TopologyIn(Strict):
    name: str | None = Field(
        None, min_length=1, max_length=200, description="defaults to the document's name"
    )
    description: str | None = Field(None, max_length=10_000)
    document: dict[str, Any] = Field(description="a topology document (docs/topology.md)")
    visibility: Visibility = "private"


class TopologyPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=10_000)
    document: dict[str, Any] | None = None
    visibility: Visibility | None = None


class TopologySummary(Schema):
    id: int
    name: str
    description: str
    pattern: str
    visibility: Visibility
    owner: str
    is_owner: bool
    forked_from: int | None
    nodes: int
    created: datetime
    updated: datetime


class TopologyOut(TopologySummary):
    document: dict[str, Any]
    share_key: str | None = Field(
        None, description="only for the owner: the key of the /t/<key>/ link"
    )
    warnings: list[dict[str, str]] = Field(
        default_factory=list,
        description='[{"path", "message"}]: what is valid but will not run well, such as an '
        "asynchronous cycle that multiplies its messages (saved anyway; the run's budget "
        "stops it)",
    )


class ForkIn(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)


class RunIn(Strict):
    speed: Speed | None = Field(
        None, description='simulated seconds per wall second (0.1..100), or "max"; default 1'
    )
    seed: StrictInt | None = Field(
        None, ge=-(2**63), le=2**63 - 1, description="default: the document's seed"
    )


class RunOut(Schema):
    id: int
    status: str
    reason: str
    notice: str = Field(
        "", description="what a viewer should know that is not a failure (events not stored)"
    )
    summary: dict[str, Any] | None
    events: int = Field(description="how many events are stored")
    topology: int | None
    scenario: str | None
    seed: int
    speed: float | Literal["max"]
    sim_time_ms: float
    created: datetime
    started: datetime | None
    finished: datetime | None
    share_url: str | None = Field(
        None,
        description="the run's read-only link (a path with its share key); "
        "given to whoever started the run, null for anyone else",
    )


class EventsOut(Schema):
    events: list[dict[str, Any]]
    last_seq: int = Field(description="the seq of the last event returned, or `after` when none")
    status: str


class ControlIn(Strict):
    action: Literal["pause", "resume", "speed", "step", "fault", "cancel", "scale"]
    speed: Speed | None = None
    fault: dict[str, Any] | None = None
    node: str | None = Field(None, description="scale: the id of the service or filter to resize")
    instances: StrictInt | None = Field(
        None, description="scale: how many instances it should serve with, from now"
    )


class ScenarioOut(Schema):
    slug: str
    name: str
    pattern: str
    description: str
    document: dict[str, Any]


class Errors(Schema):
    errors: list[dict[str, Any]] = Field(
        description='[{"path", "message"}]: every problem, each naming its field or node; '
        "one on a topology's node, edge or fault also has `at`, the parts of its path"
    )
