"""The editable fields of every node kind (TOPOLOGY.md), as the editor's side panel shows them.

Each field is (name, type, help). Types: "number", "int", "text", "duration", "json",
or a tuple of choices. A field left empty is removed from the node, so the engine's
default applies.
"""

from __future__ import annotations

import json
import math
from typing import Any

# The engine's own lists of choices, so the editor offers exactly what it accepts.
from patterns.schema import ALGORITHMS, ARRIVALS

Field = tuple[str, Any, str]

_EMIT: list[Field] = [
    ("rate", "number", "requests per simulated second"),
    ("arrival", ARRIVALS, "how arrivals are spaced"),
    ("requests", "int", "stop after this many (empty: no cap)"),
    ("sessions", "int", "distinct session keys (default 100)"),
]
_POOL: list[Field] = [
    ("instances", "int", "how many instances (default 1)"),
    ("concurrency", "int", "workers per instance (default 1)"),
    ("service_time", "duration", 'ms, or {"dist": "exponential", "mean_ms": 50}'),
    ("queue_limit", "int", "per instance; a full queue rejects (empty: no limit)"),
    ("failure_rate", "number", "0..1, share of requests that fail"),
    ("zones", "json", 'list of zones, e.g. ["a", "b"]'),
    ("resource", ("", "cpu", "gpu", "memory"), "display and cost only"),
    ("cost_per_hour", "number", "per instance"),
    ("autoscale", "json", '{"min", "max", "target_utilization", "interval_ms", "startup_ms"}'),
]

KINDS: dict[str, list[Field]] = {
    "client": _EMIT
    + [
        ("fetch_after_ms", "number", "publish, then fetch the result by id this long after"),
        ("fetch_attempts", "int", "reads before giving up (default 5)"),
    ],
    "source": _EMIT,
    "sink": [],
    "service": _POOL,
    "function": _POOL
    + [
        ("max_instances", "int", "most instances started on demand"),
        ("cold_start_ms", "number", "paid when an instance starts"),
        ("idle_ms", "number", "an unused instance stops after this"),
    ],
    "filter": _POOL + [("split", "int", "items sent down every outgoing edge (default 1)")],
    "load_balancer": [
        ("algorithm", ALGORITHMS, "how a target is picked"),
        ("weights", "json", '{"api": 3, "api#2": 1}'),
        ("zone", "text", "the zone this balancer sits in"),
        ("zone_aware", ("", "true", "false"), "prefer targets in its own zone"),
        ("health_check", "json", '{"interval_ms": 1000, "unhealthy_after": 2}'),
    ],
    "topic": [("latency_ms", "number", "delivery delay (default 1)")],
    "queue": [("latency_ms", "number", "delivery delay (default 1)")],
    "dispatcher": [],
    "aggregator": [
        ("completion", ("all", "count", "deadline"), "when the gather is complete"),
        ("count", "int", "replies needed, with completion = count"),
        ("timeout_ms", "number", "answer with what has arrived after this"),
        ("merge", ("concat", "top_k", "min"), "how replies are merged"),
        ("k", "int", "with merge = top_k"),
        ("store", "text", "a database id to write the result to"),
    ],
    "orchestrator": [
        ("steps", "json", '[{"call": "payment", "retries": 2}, ...]'),
        ("replicas", "int", "orchestrator replicas (default 1)"),
        ("store", "text", "a database id keeping saga state"),
        ("failover_ms", "number", "another replica resumes after this"),
    ],
    "database": [
        ("read_ms", "number", "default 2"),
        ("write_ms", "number", "default 5"),
        ("concurrency", "int", "connections (default 10)"),
    ],
}

EDGE_FIELDS: list[Field] = [
    ("latency_ms", "number", "network delay each way (default 1)"),
    ("when", ("ok", "error"), "error edges carry failures"),
    ("op", ("", "read", "write"), "into a database: read or write"),
]


def display_value(value: Any, kind: Any) -> str:
    """The text an input shows for a stored value."""
    if value is None:
        return ""
    if kind in ("json", "duration") and not isinstance(value, (int, float, str)):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def parse_value(text: str, kind: Any) -> tuple[Any, str | None]:
    """Turn an input's text into the document's value; (value, error). None means "unset"."""
    text = text.strip()
    if text == "":
        return None, None
    try:
        if kind == "int":
            return int(text), None
        if kind == "number":
            number = float(text)
            if not math.isfinite(number):
                raise ValueError("not finite")  # the document is JSON: NaN has no place in it
            return (int(number) if number.is_integer() else number), None
        if kind in ("json", "duration"):
            try:
                return json.loads(text, parse_constant=_refuse_constant), None
            except RecursionError:
                return None, "nested too deeply"
            except json.JSONDecodeError:
                if kind == "duration":
                    return (
                        None,
                        'a number of ms, or an object such as {"dist": "constant", "ms": 50}',
                    )
                raise
        if isinstance(kind, tuple) and set(kind) >= {"true", "false"}:
            return text == "true", None
    except ValueError:
        expected = {"int": "a whole number", "number": "a number"}.get(kind, "valid JSON")
        return None, f"expected {expected}"
    return text, None
