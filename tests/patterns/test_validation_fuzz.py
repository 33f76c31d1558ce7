"""Whatever it is given, load() accepts it or refuses it with problems: never another exception."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patterns import schema
from patterns.nodes import KINDS
from patterns.topology import Problem, TopologyError, load

# Names the loader knows, so that random objects reach deep into its checks
# instead of stopping at "unknown field".
FIELD_NAMES = sorted(
    {
        *schema.TOP_LEVEL,
        "nodes",
        "edges",
        "faults",
        "id",
        "kind",
        "from",
        "to",
        "dist",
        "ms",
        "mean_ms",
        "min_ms",
        "max_ms",
        "median_ms",
        "sigma",
        "call",
        "parallel",
        "node",
        "zone",
        "instance",
        "factor",
        "at_ms",
        *schema.COMMON,
        *schema.EDGE,
        *schema.AUTOSCALE,
        *schema.HEALTH_CHECK,
        *schema.CALL_STEP,
        *(name for cls in KINDS.values() for name in cls.fields),
    }
)
WORDS = [*KINDS, *schema.ALGORITHMS, *schema.FAULT_KINDS, "a", "b", "api", "lb", "api#1"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(WORDS),
)
keys = st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=8))
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(keys, children, max_size=6),
    ),
    max_leaves=40,
)
# Lighter values for objects whose every key is drawn: generation dominates
# the cost of these tests, and the checks are reached just as well.
small_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(keys, children, max_size=4),
    ),
    max_leaves=8,
)


def valid_document() -> dict[str, Any]:
    """A document using every implemented kind and every fault kind."""
    return {
        "version": 1,
        "seed": 3,
        "duration_ms": 5000,
        "nodes": [
            {"id": "users", "kind": "client", "rate": 20, "sessions": 10},
            {"id": "feed", "kind": "source", "rate": 5, "arrival": "constant"},
            {
                "id": "lb",
                "kind": "load_balancer",
                "algorithm": "sticky",
                "zone": "a",
                "weights": {"api#1": 2},
            },  # fmt: skip
            {
                "id": "api",
                "kind": "service",
                "instances": 2,
                "zones": ["a", "b"],
                "service_time": {"dist": "lognormal", "median_ms": 10, "sigma": 0.5},
                "autoscale": {"min": 1, "max": 4},
            },  # fmt: skip
            {"id": "fn", "kind": "function", "instances": 0, "cold_start_ms": 100},
            {"id": "db", "kind": "database", "read_ms": 1},
            {"id": "out", "kind": "sink"},
        ],
        "edges": [
            {"from": "users", "to": "lb"},
            {"from": "lb", "to": "api"},
            {"from": "api", "to": "db", "op": "write"},
            {"from": "api", "to": "fn", "when": "error"},
            {"from": "feed", "to": "out", "latency_ms": 2},
        ],
        "faults": [
            {"at_ms": 100, "kind": "crash", "node": "api", "instance": 1, "for_ms": 500},
            {"at_ms": 200, "kind": "slow", "node": "db", "factor": 3},
            {"at_ms": 300, "kind": "zone_down", "zone": "b"},
        ],
    }


def assert_loads_or_refuses(raw: Any) -> None:
    try:
        doc = load(raw)
    except TopologyError as refused:
        assert refused.problems
        for problem in refused.problems:
            assert isinstance(problem, Problem)
            assert isinstance(problem.path, str) and isinstance(problem.message, str)
            assert str(problem)
    else:
        assert isinstance(doc, dict)
        assert load(copy.deepcopy(doc)) == doc


FUZZ = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(json_values)
def test_it_never_raises_anything_else_on_arbitrary_json(raw: Any) -> None:
    """Any JSON-like value is accepted or refused with a list of problems."""
    assert_loads_or_refuses(raw)


@settings(FUZZ, max_examples=600)
@given(st.dictionaries(keys, small_values, max_size=8))
def test_it_never_raises_anything_else_on_arbitrary_objects(raw: dict[str, Any]) -> None:
    """Objects with the format's own field names, holding anything, are handled."""
    assert_loads_or_refuses(raw)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a document, the document itself excluded."""
    found: list[tuple[Any, ...]] = []
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else []
    )
    for key, child in items:
        found.append((*prefix, key))
        found.extend(paths(child, (*prefix, key)))
    return found


@st.composite
def mutated_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A valid document with a few values replaced, removed or added."""
    doc = valid_document()
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        where = draw(st.sampled_from(paths(doc)))
        parent: Any = doc
        for key in where[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[where[-1]] = draw(small_values)
        elif action == "delete":
            del parent[where[-1]]
        elif isinstance(parent, dict):
            parent[draw(keys)] = draw(small_values)
        else:
            parent.append(draw(small_values))
    return doc


def test_it_accepts_the_fuzz_seed_document() -> None:
    """The document the mutations start from is valid, so mutations test the checks."""
    load(valid_document())


@FUZZ
@given(mutated_documents())
def test_it_never_raises_anything_else_on_mutated_documents(raw: dict[str, Any]) -> None:
    """A valid document with random damage is accepted or refused with problems."""
    assert_loads_or_refuses(raw)
