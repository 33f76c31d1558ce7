"""Bad input to the API: always a 400 with reasons, never a 500, and nothing half saved."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patterns import Location
from playground.models import Topology
from tests.conftest import SMALL_DOCUMENT

pytestmark = pytest.mark.django_db


def _refusal(response) -> list[dict[str, str]]:
    assert response.status_code == 400, (response.status_code, response.content[:500])
    errors = response.json()["errors"]
    assert errors and all(set(e) - {"at"} == {"path", "message"} and e["message"] for e in errors)
    # `at`, on a node, edge or fault, is the parts its path is written from (docs/api.md#errors).
    for e in errors:
        if "at" in e:
            parts = {**e["at"], **({"ends": tuple(e["at"]["ends"])} if "ends" in e["at"] else {})}
            assert str(Location(**parts)) == e["path"], e
    return errors


@pytest.mark.parametrize(
    "raw",
    [
        '{"name": "x", "document": ',
        "not json at all",
        '{"a": 1,}',
        "{'single': 'quotes'}",
        "\xff\xfe",
    ],
    ids=["truncated", "prose", "trailing-comma", "single-quotes", "not-utf8"],
)
def test_it_refuses_malformed_json_with_the_reason(owner_api, raw):
    """A body that is not JSON is a 400 saying so."""
    raw_bytes = raw.encode("latin-1") if raw == "\xff\xfe" else raw
    errors = _refusal(owner_api.post("/api/topologies", raw=raw_bytes))
    assert errors[0]["path"] == "body"
    assert Topology.objects.count() == 0


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_it_refuses_numbers_json_does_not_have(owner_api, constant):
    """NaN and Infinity are not JSON (and PostgreSQL would refuse them)."""
    raw = '{"name": "x", "document": {"version": 1, "duration_ms": ' + constant + "}}"
    assert constant in _refusal(owner_api.post("/api/topologies", raw=raw))[0]["message"]


@pytest.mark.parametrize(
    "text, where",
    [('"a\\u0000b"', "NUL"), ('"\\ud800"', "surrogate")],
)
def test_it_refuses_text_no_database_stores(owner_api, text, where):
    """NUL characters and unpaired surrogates are refused by path before reaching the database."""
    raw = '{"name": ' + text + ', "document": {}}'
    errors = _refusal(owner_api.post("/api/topologies", raw=raw))
    assert errors[0]["path"] == "name" and where in errors[0]["message"]


def test_it_refuses_json_nested_too_deeply(owner_api):
    """Deep nesting is refused instead of exhausting the stack."""
    raw = '{"document": ' + "[" * 100_000 + "]" * 100_000 + "}"
    _refusal(owner_api.post("/api/topologies", raw=raw))


@pytest.mark.parametrize(
    "body, path",
    [
        ({"name": 5, "document": SMALL_DOCUMENT}, "name"),
        ({"name": "x", "document": [1, 2]}, "document"),
        ({"name": "x", "document": "a string"}, "document"),
        ({"name": "x", "document": SMALL_DOCUMENT, "visibility": "everyone"}, "visibility"),
        ({"name": "", "document": SMALL_DOCUMENT}, "name"),
        ({"name": "x" * 201, "document": SMALL_DOCUMENT}, "name"),
        ({"name": "x"}, "document"),
    ],
)
def test_it_refuses_wrong_types_naming_the_field(owner_api, body, path):
    """A field of the wrong type or shape is a 400 naming that field."""
    errors = _refusal(owner_api.post("/api/topologies", body))
    assert errors[0]["path"] == path


@pytest.mark.parametrize("body", [[1, 2, 3], "just a string", 42, None])
def test_it_refuses_a_body_that_is_not_an_object(owner_api, body):
    """The body itself must be a JSON object."""
    raw = json.dumps(body)
    _refusal(owner_api.post("/api/topologies", raw=raw))


def test_it_refuses_an_empty_body(owner_api):
    """No body where one is required is a 400."""
    _refusal(owner_api.post("/api/topologies", raw=""))


def test_it_refuses_unknown_fields_naming_each(owner_api):
    """A misspelt field is refused, not silently ignored."""
    errors = _refusal(
        owner_api.post(
            "/api/topologies",
            {"name": "x", "document": SMALL_DOCUMENT, "visiblity": "public", "tags": []},
        )
    )
    assert {e["path"] for e in errors} == {"visiblity", "tags"}
    assert all(e["message"] == "unknown field" for e in errors)


def test_it_refuses_unknown_fields_inside_the_document(owner_api):
    """The engine refuses unknown document fields too, by path."""
    doc = json.loads(json.dumps(SMALL_DOCUMENT))
    doc["nodes"][2]["instancez"] = 3
    errors = _refusal(owner_api.post("/api/topologies", {"name": "x", "document": doc}))
    assert any(
        "nodes[2]" in e["path"] or "instancez" in e["path"] or "instancez" in e["message"]
        for e in errors
    )


def test_it_refuses_an_oversized_body_with_its_size(owner_api, settings):
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 400 giving the size and the limit."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    doc = dict(SMALL_DOCUMENT, description="x" * 20_000)
    errors = _refusal(owner_api.post("/api/topologies", {"name": "big", "document": doc}))
    assert errors[0]["path"] == "body" and "10000" in errors[0]["message"]
    assert Topology.objects.count() == 0


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=30,
)
NODE_KINDS = [
    "client",
    "source",
    "sink",
    "service",
    "function",
    "filter",
    "load_balancer",
    "topic",
    "queue",
    "dispatcher",
    "aggregator",
    "orchestrator",
    "database",
    "bogus",
]
NODE = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["a", "b", "c", "lb", "api", "Bad Id!"]),
        "kind": st.sampled_from(NODE_KINDS),
    },
    optional={
        "rate": JSON | st.floats(0, 10_000),
        "instances": JSON | st.integers(-2, 80),
        "service_time": JSON,
        "algorithm": st.sampled_from(["round_robin", "sticky", "least_connections", "nope"]),
        "steps": JSON,
        "completion": JSON,
        "store": JSON,
        "weights": JSON,
        "autoscale": JSON,
        "zones": JSON,
    },
)
DOCUMENT = (
    st.fixed_dictionaries(
        {},
        optional={
            "version": st.sampled_from([1, 2, "1"]),
            "name": JSON,
            "seed": JSON | st.integers(),
            "duration_ms": JSON | st.integers(-10, 10**9),
            "pattern": JSON,
            "nodes": st.lists(NODE, max_size=6) | JSON,
            "edges": st.lists(
                st.fixed_dictionaries(
                    {
                        "from": st.sampled_from(["a", "b", "lb", "api"]),
                        "to": st.sampled_from(["a", "b", "c", "api"]),
                    },
                    optional={"when": JSON, "latency_ms": JSON},
                ),
                max_size=6,
            )
            | JSON,
            "faults": JSON,
        },
    )
    | JSON
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(document=DOCUMENT)
def test_it_answers_201_or_400_to_any_document_never_500(owner_api, document):
    """Whatever document is posted, the answer is a save or a refusal with reasons."""
    response = owner_api.post("/api/topologies", {"name": "fuzz", "document": document})
    assert response.status_code in (201, 400), (response.status_code, response.content[:500])
    if response.status_code == 400:
        _refusal(response)


PATHS = [
    ("name",),
    ("seed",),
    ("duration_ms",),
    ("nodes",),
    ("edges",),
    ("nodes", 0, "rate"),
    ("nodes", 0, "kind"),
    ("nodes", 1, "algorithm"),
    ("nodes", 2, "instances"),
    ("nodes", 2, "service_time"),
    ("nodes", 2, "id"),
    ("edges", 0, "to"),
    ("edges", 1, "latency_ms"),
    ("faults",),
]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    where=st.sampled_from(PATHS),
    value=JSON | st.integers() | st.floats(allow_nan=False, allow_infinity=False),
)
def test_it_answers_201_or_400_to_a_valid_document_with_one_field_changed(owner_api, where, value):
    """Near-valid documents (one field set to anything) are saved or refused, never a 500."""
    doc = json.loads(json.dumps(SMALL_DOCUMENT))
    target = doc
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = value
    response = owner_api.post("/api/topologies", {"name": "fuzz", "document": doc})
    assert response.status_code in (201, 400), (response.status_code, response.content[:500])
    if response.status_code == 400:
        _refusal(response)
