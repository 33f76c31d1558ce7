"""The topology format as data: one declarative table per node kind.

Each table maps a field to its type, its default and its constraints. The
validator (`patterns.topology`) walks these tables both to check a document
and to fill in its defaults, so a field documented here is a field checked
and normalised, and nothing else is accepted. TOPOLOGY.md is the contract;
defaults it leaves open are chosen here and listed in
docs/topology-extensions.md.
"""

from __future__ import annotations

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
# TOPOLOGY.md gives no default run length: a minute of simulated time.
DEFAULT_DURATION_MS = 60_000

ID_PATTERN = r"[a-z0-9_-]{1,40}"
INSTANCE_PATTERN = r"([a-z0-9_-]{1,40})#([0-9]{1,6})"

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


@dataclass(frozen=True)
class Field:
    """One field of a table.

    `type` is one of: int, number, bool, string, enum, duration, zones,
    record (a nested table in `fields`), weights, steps. `minimum` is
    inclusive unless `exclusive_min`; `nullable` lets the field be null
    (its default is then usually None, meaning "none").
    """

    type: str
    default: Any = None
    minimum: float | None = None
    exclusive_min: bool = False
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    nullable: bool = False
    fields: dict[str, Field] = field(default_factory=dict)


def Int(default: Any, minimum: float, maximum: float, nullable: bool = False) -> Field:
    return Field("int", default, minimum=minimum, maximum=maximum, nullable=nullable)


def Num(
    default: Any,
    minimum: float,
    maximum: float,
    exclusive_min: bool = False,
    nullable: bool = False,
) -> Field:
    return Field(
        "number",
        default,
        minimum=minimum,
        maximum=maximum,
        exclusive_min=exclusive_min,
        nullable=nullable,
    )


def Enum(default: Any, choices: tuple[str, ...], nullable: bool = False) -> Field:
    return Field("enum", default, choices=choices, nullable=nullable)


def Duration(default_ms: float) -> Field:
    return Field("duration", {"dist": "constant", "ms": default_ms})


def Str(default: Any, maximum: int, nullable: bool = False) -> Field:
    return Field("string", default, maximum=maximum, nullable=nullable)


def Record(fields: dict[str, Field], nullable: bool = True, default: Any = None) -> Field:
    return Field("record", default, nullable=nullable, fields=fields)


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
# the loader checks first, as everything else depends on them).
COMMON: dict[str, Field] = {
    "label": Str(None, MAX_LABEL),  # defaults to the id
    "x": Num(None, -MAX_COORD, MAX_COORD, nullable=True),
    "y": Num(None, -MAX_COORD, MAX_COORD, nullable=True),
}

EMITTER: dict[str, Field] = {
    # TOPOLOGY.md gives no default rate: ten a second, a pace one can watch.
    "rate": Num(10, 0, MAX_RATE, exclusive_min=True),
    "arrival": Enum("poisson", ARRIVALS),
    "requests": Int(None, 1, MAX_REQUESTS, nullable=True),
    "sessions": Int(100, 1, MAX_SESSIONS),
}

# Extension: a client of the asynchronous scatter-gather fetches its result by
# request id from the aggregator's store, `fetch_after_ms` after publishing and
# again after each miss, up to `fetch_attempts` reads (null: it does not fetch).
CLIENT: dict[str, Field] = {
    **EMITTER,
    "fetch_after_ms": Num(None, 0, MAX_MS, exclusive_min=True, nullable=True),
    "fetch_attempts": Int(5, 1, 1000),
}

SERVICE: dict[str, Field] = {
    "instances": Int(1, 1, MAX_INSTANCES),
    "concurrency": Int(1, 1, MAX_CONCURRENCY),
    "service_time": Duration(10),
    "queue_limit": Int(None, 0, MAX_QUEUE_LIMIT, nullable=True),
    "failure_rate": Num(0, 0, 1),
    "zones": Field("zones", []),
    "resource": Enum("cpu", RESOURCES),
    "cost_per_hour": Num(0, 0, MAX_COST),
    "autoscale": Record(AUTOSCALE),
}

FUNCTION: dict[str, Field] = {
    **SERVICE,
    # A function may start with no warm instance: every first call is cold.
    "instances": Int(1, 0, MAX_INSTANCES),
    "max_instances": Int(10, 1, MAX_INSTANCES),
    "cold_start_ms": Num(250, 0, MAX_MS),
    "idle_ms": Num(60_000, 0, MAX_MS),
}

FILTER: dict[str, Field] = {
    **SERVICE,
    "split": Int(1, 1, MAX_SPLIT),
}

KINDS: dict[str, dict[str, Field]] = {
    "client": CLIENT,
    "source": EMITTER,
    "sink": {},
    "service": SERVICE,
    "function": FUNCTION,
    "filter": FILTER,
    "load_balancer": {
        "algorithm": Enum("round_robin", ALGORITHMS),
        "weights": Field("weights", {}),
        "zone": Str(None, MAX_ZONE_NAME, nullable=True),
        "zone_aware": Field("bool", False),
        "health_check": Record(HEALTH_CHECK, nullable=False, default={}),
    },
    # max_deliveries (extension): failed deliveries before a message is dead-lettered.
    "topic": {"latency_ms": Num(1, 0, MAX_MS), "max_deliveries": Int(5, 1, MAX_DELIVERIES)},
    "queue": {"latency_ms": Num(1, 0, MAX_MS), "max_deliveries": Int(5, 1, MAX_DELIVERIES)},
    "dispatcher": {},
    "aggregator": {
        "completion": Enum("all", COMPLETIONS),
        "count": Int(None, 1, MAX_NODES, nullable=True),
        "timeout_ms": Num(None, 0, MAX_MS, exclusive_min=True, nullable=True),
        "merge": Enum("concat", MERGES),
        "k": Int(10, 1, 1_000_000),
        "store": Str(None, 40, nullable=True),
    },
    "orchestrator": {
        "steps": Field("steps", []),
        "replicas": Int(1, 1, MAX_INSTANCES),
        "store": Str(None, 40, nullable=True),
        "failover_ms": Num(5000, 0, MAX_MS),
    },
    "database": {
        "read_ms": Num(2, 0, MAX_MS),
        "write_ms": Num(5, 0, MAX_MS),
        "concurrency": Int(10, 1, MAX_CONCURRENCY),
    },
}

# Kinds whose behaviour the engine has; the others are validated in full but
# refused by name until their issue lands.
IMPLEMENTED_KINDS: frozenset[str] = frozenset(
    {
        "client",
        "source",
        "sink",
        "service",
        "function",
        "database",
        "load_balancer",
        "orchestrator",
        "dispatcher",
        "aggregator",
        "filter",
        "topic",
        "queue",
    }
)

# Kinds that emit work; they receive no edges.
EMITTERS: frozenset[str] = frozenset({"client", "source"})
# Kinds with a pool of instances named NODE#INDEX.
POOLED: frozenset[str] = frozenset({"service", "function", "filter"})
# Edges among these carry items down a pipe, not synchronous calls.
PIPE_KINDS: frozenset[str] = frozenset({"source", "filter", "sink"})
BROKERS: frozenset[str] = frozenset({"topic", "queue"})

TOP_LEVEL: dict[str, Field] = {
    "version": Int(VERSION, VERSION, VERSION),
    "name": Str("", MAX_NAME),
    "pattern": Str("", MAX_NAME),
    "seed": Int(DEFAULT_SEED, -(2**63), 2**63 - 1),
    "duration_ms": Num(DEFAULT_DURATION_MS, 0, MAX_MS, exclusive_min=True),
    # Extension: a learner-facing explanation (docs/topology-extensions.md).
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
