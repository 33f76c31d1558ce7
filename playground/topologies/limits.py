"""The site's limits (the `Limits` row, edited in the admin) applied to a document or a caller.

Each problem names the field or node it is about, in the engine's own style
(`nodes[2] "api": instances 80 is over the limit of 50`), so a refusal reads
like a validation error and points at the same place in the editor.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from patterns import Location, Problem
from patterns.nodes import KINDS
from playground.accounts.access import AnyUser, account
from playground.models import Limits, Run

# Fields that multiply a node into instances (or replicas), wherever the kind has them.
INSTANCE_FIELDS = ("instances", "max_instances", "replicas")


def _emits(kind: Any) -> bool:
    """Whether `kind` is a registered kind that emits work (its `rate` is capped)."""
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    return cls is not None and cls.emitter


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def document_problems(
    doc: dict[str, Any], limits: Limits, anonymous: bool = False
) -> list[Problem]:
    """Every way a (validated, normalised) document goes past the limits; empty when it fits."""
    problems: list[Problem] = []
    nodes = doc.get("nodes") or []
    if len(nodes) > limits.max_nodes:
        problems.append(
            Problem("nodes", f"{len(nodes)} nodes is over the limit of {limits.max_nodes}")
        )
    duration_limit = limits.anon_max_duration_ms if anonymous else limits.max_duration_ms
    duration = _number(doc.get("duration_ms"))
    if duration is not None and duration > duration_limit:
        problems.append(
            Problem(
                "duration_ms",
                f"duration_ms {_fmt(duration)} is over the limit of {duration_limit}"
                + (" for visitors who are not logged in" if anonymous else ""),
            )
        )
    rate_limit = limits.anon_max_client_rate if anonymous else limits.max_client_rate
    for i, node in enumerate(nodes):
        if not isinstance(node, dict):
            continue
        where = Location("nodes", i, name=str(node.get("id", "")))
        for field in INSTANCE_FIELDS:
            value = _number(node.get(field))
            if value is not None and value > limits.max_instances:
                problems.append(
                    Problem(
                        where, f"{field} {_fmt(value)} is over the limit of {limits.max_instances}"
                    )
                )
        autoscale = node.get("autoscale")
        if isinstance(autoscale, dict):
            value = _number(autoscale.get("max"))
            if value is not None and value > limits.max_instances:
                problems.append(
                    Problem(
                        where,
                        f"autoscale.max {_fmt(value)} is over the limit of {limits.max_instances}",
                    )
                )
        if _emits(node.get("kind")):
            rate = _number(node.get("rate"))
            if rate is not None and rate > rate_limit:
                problems.append(
                    Problem(
                        where,
                        f"rate {_fmt(rate)} is over the limit of {_fmt(rate_limit)}"
                        + (" for visitors who are not logged in" if anonymous else ""),
                    )
                )
    return problems


def active_runs(user: AnyUser, session_key: str | None) -> int:
    owner = account(user)
    if owner is not None:
        return Run.objects.filter(owner=owner, status__in=Run.ACTIVE).count()
    if not session_key:
        return 0
    return Run.objects.filter(
        owner__isnull=True, session_key=session_key, status__in=Run.ACTIVE
    ).count()


def concurrency_problem(user: AnyUser, session_key: str | None, limits: Limits) -> Problem | None:
    anonymous = user is None or not user.is_authenticated
    limit = limits.anon_max_concurrent_runs if anonymous else limits.max_concurrent_runs
    count = active_runs(user, session_key)
    if count >= limit:
        whose = "this browser session has" if anonymous else "you have"
        return Problem(
            "runs",
            f"{whose} {count} runs queued or running, the limit is {limit}: "
            "wait for one to end or cancel it",
        )
    if anonymous:
        # A script that drops its cookie is a new session every time: without a cap over
        # all visitors together, the per-session limit would bound nothing.
        cap = settings.ANON_MAX_ACTIVE_RUNS
        total = Run.objects.filter(owner__isnull=True, status__in=Run.ACTIVE).count()
        if total >= cap:
            return Problem(
                "runs",
                f"visitors who are not logged in have {total} runs queued or running on this "
                f"site, the limit is {cap}: log in, or try again when one has ended",
            )
    return None
