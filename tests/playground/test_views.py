"""The pages' views with odd input: a clear refusal or a rendered page, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client


def post_panel(client: Client, document: Any, **fields: str):
    raw = document if isinstance(document, str) else json.dumps(document)
    return client.post("/editor/panel/", {"document": raw, **fields})


def panel_result(response) -> dict[str, Any]:
    page = response.content.decode()
    return json.loads(page.split('id="panel-result" type="application/json">')[1].split("<")[0])


@pytest.mark.parametrize(
    "document",
    [
        {"version": 1, "nodes": [{"id": [1], "kind": {"a": 1}}], "edges": []},
        {"version": 1, "nodes": [{"id": "a", "kind": "client"}], "edges": [1, "x"]},
        {"version": 1, "nodes": [{"id": "a", "kind": "client"}], "edges": "x"},
    ],
)
def test_it_renders_the_panel_of_a_malformed_document(client: Client, db, document) -> None:
    """A node with an odd kind or edges that are not objects: the panel still renders."""
    response = post_panel(client, document, where="nodes", index="0", apply="1", **{"f:id": "b"})
    assert response.status_code == 200
    assert panel_result(response)["problems"]


@pytest.mark.parametrize(
    "document, index",
    [
        ("[" * 50_000, "0"),
        ('{"version": 1, "nodes": [{"id": "a", "kind": "client", "rate": NaN}]}', "0"),
        ([{"nodes": []}], "0"),
        ({"version": 1, "nodes": [{"id": "a", "kind": "client"}]}, "-1"),
    ],
)
def test_it_refuses_a_panel_request_it_cannot_read(client: Client, db, document, index) -> None:
    """Deep nesting, NaN, a document that is not an object, a negative index: 400, not 500."""
    assert post_panel(client, document, where="nodes", index=index).status_code == 400


@pytest.mark.parametrize("text", ["nan", "inf", "-Infinity", "1e400"])
def test_it_keeps_non_finite_numbers_out_of_the_document(client: Client, document, text) -> None:
    """A number field given NaN or infinity is a field error; the document stays valid JSON."""
    response = post_panel(client, document, where="nodes", index="0", apply="1", **{"f:rate": text})
    assert response.status_code == 200
    result = panel_result(response)
    assert result["ok"] is False
    assert result["document"]["nodes"][0]["rate"] == document["nodes"][0]["rate"]


def test_it_refuses_a_json_field_nested_too_deeply(client: Client, document) -> None:
    """A JSON field nested past the recursion limit is a field error, not a 500."""
    response = post_panel(
        client, document, where="nodes", index="2", apply="1", **{"f:service_time": "[" * 50_000}
    )
    assert response.status_code == 200 and panel_result(response)["ok"] is False
