"""Controls from a run's owner: checked here, stored as `RunControl` rows, applied by the runner.

The HTTP endpoint and the WebSocket take the same controls (docs/api.md, "Controls")
through `control`; a refused one raises `Refused` naming the field.
"""

from __future__ import annotations

from typing import Any

from patterns import Problem
from playground.models import Limits, Run, RunControl
from playground.refusals import Refused
from playground.runs.broadcast import notify

ACTIONS = ("pause", "resume", "speed", "step", "fault", "cancel", "scale")
SPEEDS = f"{Run.MIN_SPEED:g} to {Run.MAX_SPEED:g}"


def parse_speed(value: Any) -> float | None:
    """A speed as a user gives it, at a run's start or mid-run: simulated seconds per wall
    second from `Run.MIN_SPEED` to `Run.MAX_SPEED`, or "max" for as fast as the worker goes
    (None). Anything else, a missing speed too, is refused: the caller supplies a default."""
    if value == "max":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Refused.one("speed", f'speed is required: a number from {SPEEDS} or "max"')
    if not Run.MIN_SPEED <= value <= Run.MAX_SPEED:
        raise Refused.one("speed", f'speed {value:g} is outside {SPEEDS} (or use "max")')
    return float(value)


def validate_fault(document: dict[str, Any], fault: Any) -> dict[str, Any]:
    """Check a live fault with the engine's own validator; problems are named `fault.<field>`."""
    from patterns import TopologyError, load
    from patterns.topology import check_fault

    if not isinstance(fault, dict):
        raise Refused.one("fault", "expected a fault object")
    try:
        problems = check_fault(load(document), fault)
    except TopologyError as error:
        raise Refused.one("document", str(error)) from None
    if problems:
        raise Refused(problems)
    return fault


def validate_scale(document: dict[str, Any], node: Any, instances: Any) -> tuple[str, int]:
    """Check a live resize against the run's document and the site's instance limit.

    Problems are named `node` and `instances` (the control's own fields); the
    engine checks the request again against the live simulation when it applies it.
    """
    from patterns.scaling import scalable_kinds

    scalable = scalable_kinds()

    problems: list[Problem] = []
    kinds = {n.get("id"): n.get("kind") for n in document.get("nodes") or [] if isinstance(n, dict)}
    if not isinstance(node, str) or not node:
        problems.append(Problem("node", "node is required: the id of a stage to scale"))
    elif node not in kinds:
        problems.append(Problem("node", f"the run has no node {node!r}"))
    elif kinds[node] not in scalable:
        problems.append(
            Problem(
                "node",
                f"{node!r} is a {kinds[node]}: only a {' or '.join(scalable)} can be scaled",
            )
        )
    limit = Limits.current().max_instances
    if isinstance(instances, bool) or not isinstance(instances, int):
        problems.append(Problem("instances", "instances is required: a whole number"))
    elif not 1 <= instances <= limit:
        problems.append(Problem("instances", f"instances {instances} is outside 1 to {limit}"))
    if problems:
        raise Refused(problems)
    return node, instances


def control(run: Run, action: str, **params: Any) -> None:
    """Record a control from the run's owner; the runner applies it within a tick.

    Raises Refused naming the field when the control is refused. Who may
    control is the caller's business (the consumer and the HTTP endpoint check
    ownership).
    """
    if action not in ACTIONS:
        raise Refused.one("action", f"expected one of {', '.join(ACTIONS)}")
    if run.status in Run.TERMINAL:
        raise Refused.one("action", f"the run is {run.status}")
    stored: dict[str, Any] = {}
    if action == "speed":
        stored["speed"] = parse_speed(params.get("speed"))
    elif action == "fault":
        stored["fault"] = validate_fault(run.document, params.get("fault"))
    elif action == "scale":
        # Checked here against the document, and again against the live simulation when applied.
        stored["node"], stored["instances"] = validate_scale(
            run.document, params.get("node"), params.get("instances")
        )
    if action == "cancel":
        # Nobody has claimed it yet: cancel it here, and the claim will find nothing.
        reason = "cancelled by its owner before it started"
        if Run.cancel_queued(run.pk, reason):
            run.status, run.reason = Run.CANCELLED, reason
            notify(run.pk, run.status_message())
            return
    RunControl.objects.create(run=run, action=action, params=stored)
