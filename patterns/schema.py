"""The topology format as data: declarative tables of fields.

Each table maps a field to its type, its default, its constraints and its
help. The validator (`patterns.topology`) walks these tables both to check a
document and to fill in its defaults, so a field declared is a field checked
and normalised, and nothing else is accepted. Here: the limits, the field
types, and the tables that are not a node kind's (the document, edges,
faults); each kind's own table is declared by its module (`Node.fields`,
patterns/nodes/). docs/topology.md describes every table, with its defaults
and limits.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

# Size caps: a hostile document must not make the engine allocate without
# bound. The web app applies stricter, admin-configurable limits on top.
MAX_NODES = 500
MAX_EDGES = 5000
MAX_FAULTS = 1000
MAX_INSTANCES = 1000
MAX_CONCURRENCY = 10_000
MAX_QUEUE_LIMIT = 10_000_000
MAX_SESSIONS = 1_000_000
MAX_REQUESTS = 100_000_000
MAX_RATE = 1_000_000.0
MAX_SPLIT = 100
MAX_STEPS = 100
MAX_DELIVERIES = 1000
MAX_ZONES = 20
# Any time in ms; far beyond any run, small enough that sums stay finite.
MAX_MS = 1_000_000_000.0
MAX_WEIGHT = 1_000_000.0
MAX_FACTOR = 1_000_000.0
MAX_COST = 1_000_000.0
MAX_COORD = 1_000_000.0
MAX_NAME = 200
MAX_LABEL = 100
MAX_DESCRIPTION = 5000
MAX_ZONE_NAME = 40

VERSION = 1
DEFAULT_SEED = 1
# The original contract gave no default run length: a minute of simulated time.
DEFAULT_DURATION_MS = 60_000

ID_PATTERN = r"[a-z0-9_-]{1,40}"
INSTANCE_PATTERN = r"([a-z0-9_-]{1,40})#([0-9]{1,6})"
INSTANCE = re.compile(INSTANCE_PATTERN)

ALGORITHMS = (
    "round_robin",
    "weighted_round_robin",
    "least_connections",
    "sticky",
    "ip_hash",
    "consistent_hash",
    "random",
    "power_of_two",
)
ARRIVALS = ("poisson", "constant")
RESOURCES = ("cpu", "gpu", "memory")
COMPLETIONS = ("all", "count", "deadline")
MERGES = ("concat", "top_k", "min")
WHENS = ("ok", "error")
OPS = ("read", "write")
FAULT_KINDS = ("crash", "slow", "zone_down")

# Duration objects: the keys each distribution takes.
DURATION_KEYS: dict[str, tuple[str, ...]] = {
    "constant": ("ms",),
    "exponential": ("mean_ms",),
    "uniform": ("min_ms", "max_ms"),
    "lognormal": ("median_ms", "sigma"),
}


def show(value: Any) -> str:
    """A short, safe rendering of any value for a problem's message."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        text = type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def gettext_noop(message: str) -> str:
    """Mark `message` for translation and return it as it is.

    The engine speaks English and imports nothing from Django; the web app's
    `make messages` collects the strings marked so (xgettext knows this
    name) into its catalog, and translates them where it shows them
    (playground/node_fields.py).
    """
    return message


@dataclass(frozen=True)
class Field:
    """One field of a table.

    `type` is one of: int, number, bool, string, enum, duration, zones,
    record (a nested table in `fields`), weights, steps. `minimum` is
    inclusive unless `exclusive_min`; `nullable` lets the field be null
    (its default is then usually None, meaning "none"). `help` says what it
    is for, in English, as the editor's side panel shows it.
    """

    type: str
    default: Any = None
    minimum: float | None = None
    exclusive_min: bool = False
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    nullable: bool = False
    fields: dict[str, Field] = field(default_factory=dict)
    help: str = ""


def Int(
    default: Any, minimum: float, maximum: float, nullable: bool = False, help: str = ""
) -> Field:
    return Field("int", default, minimum=minimum, maximum=maximum, nullable=nullable, help=help)


def Num(
    default: Any,
    minimum: float,
    maximum: float,
    exclusive_min: bool = False,
    nullable: bool = False,
    help: str = "",
) -> Field:
    return Field(
        "number",
        default,
        minimum=minimum,
        maximum=maximum,
        exclusive_min=exclusive_min,
        nullable=nullable,
        help=help,
    )


def Enum(default: Any, choices: tuple[str, ...], nullable: bool = False, help: str = "") -> Field:
    return Field("enum", default, choices=choices, nullable=nullable, help=help)


def Duration(default_ms: float, help: str = "") -> Field:
    return Field("duration", {"dist": "constant", "ms": default_ms}, help=help)


def Str(default: Any, maximum: int, nullable: bool = False, help: str = "") -> Field:
    return Field("string", default, maximum=maximum, nullable=nullable, help=help)


def Bool(default: bool, help: str = "") -> Field:
    return Field("bool", default, help=help)


def Record(
    fields: dict[str, Field], nullable: bool = True, default: Any = None, help: str = ""
) -> Field:
    return Field("record", default, nullable=nullable, fields=fields, help=help)


AUTOSCALE: dict[str, Field] = {
    "min": Int(1, 1, MAX_INSTANCES),
    "max": Int(10, 1, MAX_INSTANCES),
    "target_utilization": Num(0.7, 0, 1, exclusive_min=True),
    "interval_ms": Num(5000, 0, MAX_MS, exclusive_min=True),
    "startup_ms": Num(5000, 0, MAX_MS),
}

HEALTH_CHECK: dict[str, Field] = {
    "interval_ms": Num(1000, 0, MAX_MS, exclusive_min=True),
    "unhealthy_after": Int(2, 1, 1000),
}

# An orchestrator step that calls one node; a step may instead be
# {"parallel": [call steps]}.
CALL_STEP: dict[str, Field] = {
    "call": Str(None, 40),
    "timeout_ms": Num(None, 0, MAX_MS, exclusive_min=True, nullable=True),
    "retries": Int(0, 0, 100),
    "backoff_ms": Num(100, 0, MAX_MS),
    "compensate": Str(None, 40, nullable=True),
}

# Fields every node has, whatever its kind, besides "id" and "kind" (which
# the loader checks first, as everything else depends on them). Each kind's
# own fields are declared by its module (`Node.fields`, patterns/nodes/).
COMMON: dict[str, Field] = {
    "label": Str(None, MAX_LABEL),  # defaults to the id
    "x": Num(None, -MAX_COORD, MAX_COORD, nullable=True),
    "y": Num(None, -MAX_COORD, MAX_COORD, nullable=True),
}

TOP_LEVEL: dict[str, Field] = {
    "version": Int(VERSION, VERSION, VERSION),
    "name": Str("", MAX_NAME),
    "pattern": Str("", MAX_NAME),
    "seed": Int(DEFAULT_SEED, -(2**63), 2**63 - 1),
    "duration_ms": Num(DEFAULT_DURATION_MS, 0, MAX_MS, exclusive_min=True),
    # Extension: a learner-facing explanation (docs/topology.md, "The document").
    "description": Str("", MAX_DESCRIPTION),
}

# Besides "from" and "to", checked first.
EDGE: dict[str, Field] = {
    "latency_ms": Num(1, 0, MAX_MS),
    "when": Enum("ok", WHENS),
    "op": Enum("read", OPS),
}

# Fault fields per fault kind; `at_ms` is optional so that a live fault
# (whose time is "now") has the same shape.
FAULT_COMMON: dict[str, Field] = {
    "at_ms": Num(0, 0, MAX_MS),
    "for_ms": Num(None, 0, MAX_MS, exclusive_min=True, nullable=True),
}
FAULTS: dict[str, dict[str, Field]] = {
    "crash": {
        **FAULT_COMMON,
        "node": Str(None, 40),
        "instance": Int(None, 0, MAX_INSTANCES, nullable=True),
    },
    "slow": {
        **FAULT_COMMON,
        "node": Str(None, 40),
        "instance": Int(None, 0, MAX_INSTANCES, nullable=True),
        "factor": Num(10, 0, MAX_FACTOR, exclusive_min=True),
    },
    "zone_down": {**FAULT_COMMON, "zone": Str(None, MAX_ZONE_NAME)},
}
