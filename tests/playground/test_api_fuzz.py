"""Fuzz: damaged documents and bodies through the API are answered, never with a 5xx (issue 12).

Every answer is a 201 with the saved topology (and its `warnings`) or a refusal in the
API's error shape, `{"errors": [{"path", "message"}]}`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground.models import ApiToken
from tests.patterns.test_budget import doubling, report_loop
from tests.patterns.test_validation_fuzz import json_values, mutated_documents

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=100,
    deadline=5000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def caller():
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("fuzzer", password="pw-fuzzer-123")
    _, key = ApiToken.issue(user)
    return Client(), {"Authorization": f"Bearer {key}"}


def assert_answered(response) -> dict[str, Any]:
    assert response.status_code < 500, response.content[:500]
    body = response.json()
    if response.status_code in (200, 201):
        assert isinstance(body["id"], int)
        assert all({"path", "message"} == set(w) for w in body["warnings"])
    else:
        assert response.status_code in (400, 404, 413), response.content[:500]
        assert body["errors"] and all({"path", "message"} <= set(e) for e in body["errors"])
    return body


def _edges(doc: dict[str, Any]) -> list[Any]:
    """A mutated document's edges as a list to add to: a mutation may have made them anything."""
    edges = doc.get("edges")
    return list(edges) if isinstance(edges, list) else []


documents = st.one_of(
    mutated_documents(),
    mutated_documents().map(lambda d: {**d, "edges": _edges(d) + report_loop()["edges"]}),
    st.just(report_loop()),
    st.just(doubling()),
    json_values,
)


@FUZZ
@given(documents)
def test_fuzz_documents_through_the_api_get_no_5xx(caller, document: Any) -> None:
    client, headers = caller
    created = client.post(
        "/api/topologies",
        json.dumps({"name": "fuzz", "document": document}, allow_nan=True),
        content_type="application/json",
        headers=headers,
    )
    body = assert_answered(created)
    if created.status_code == 201:
        replaced = client.put(
            f"/api/topologies/{body['id']}",
            json.dumps({"document": document}),
            content_type="application/json",
            headers=headers,
        )
        assert_answered(replaced)


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=64),
        st.integers(1, 60_000).map(lambda n: b'{"document": ' + b"[" * n + b"]" * n + b"}"),
        st.integers(300, 5000).map(lambda n: b'{"document": {"seed": 1' + b"0" * n + b"}}"),
    )
)
def test_fuzz_raw_bodies_through_the_api_get_no_5xx(caller, body: bytes) -> None:
    client, headers = caller
    answer = client.post("/api/topologies", body, content_type="application/json", headers=headers)
    assert_answered(answer)
