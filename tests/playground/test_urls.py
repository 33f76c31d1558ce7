"""Every URL pattern with odd ids and methods: never a 500, and nothing private to outsiders."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from playground.models import ApiToken, Run, Topology

ODD_IDS = ["0", "-1", "99999999999999999999", "abc"]
METHODS = ("get", "head", "options", "post", "put", "patch", "delete")


def routes(patterns=None, prefix: str = "") -> list[str]:
    """Every route of the project as text, e.g. 'api/runs/<int:pk>/events'."""
    out: list[str] = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        text = prefix + str(entry.pattern).lstrip("^").rstrip("$")
        if isinstance(entry, URLResolver):
            out += routes(entry.url_patterns, text)
        elif isinstance(entry, URLPattern) and not text.startswith(("admin/", "static/")):
            out.append(text)
    return sorted(set(out))


def fill(route: str, value: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?\w+>", value, route)


@pytest.fixture
def world(owner, outsider, make_topology):
    topology = make_topology(Topology.PRIVATE)
    run = Run.objects.create(
        topology=topology, owner=owner, document=topology.document, seed=1, status=Run.FINISHED
    )
    return {"topology": topology, "run": run}


def test_it_never_answers_500_to_odd_ids_or_methods(owner, world) -> None:
    """Huge, negative and non-numeric ids with every method: refused or not found, never 500."""
    _, key = ApiToken.issue(owner)
    clients = {
        "session": Client(),
        "token": Client(headers={"Authorization": f"Bearer {key}"}),
        "anonymous": Client(),
    }
    clients["session"].force_login(owner)
    failures = []
    for route in routes():
        for value in ODD_IDS:
            path = fill(route, value)
            for name, client in clients.items():
                for method in METHODS:
                    kwargs = {"data": "{}", "content_type": "application/json"}
                    response = getattr(client, method)(
                        path, **({} if method in ("get", "head") else kwargs)
                    )
                    if response.status_code >= 500:
                        failures.append((name, method, path, response.status_code))
    assert failures == []


def test_it_shows_nothing_private_to_an_outsider_or_a_visitor(outsider, world) -> None:
    """Every readable URL of a private topology or its run: 404 or a login redirect."""
    session = Client()
    session.force_login(outsider)
    for client in (session, Client()):
        for route in routes():
            if "<" not in route or route.startswith(("account/", "reset/")):
                continue
            obj = world["run"] if "run" in route else world["topology"]
            path = fill(route, str(obj.pk))
            if "<str:share_key>" in route or "<slug:slug>" in route:
                path = fill(route, world["topology"].share_key)
            response = client.get(path)
            assert response.status_code in (302, 401, 404, 405), (path, response.status_code)
        other = Run.objects.create(document=world["run"].document, seed=2, owner=outsider)
        for path in ("/compare/", "/api/compare"):
            response = client.get(path, {"runs": f"{other.pk},{world['run'].pk}"})
            assert response.status_code == 404, (path, response.status_code)
        other.delete()


def test_it_refuses_every_session_write_to_the_api_without_csrf(owner, world) -> None:
    """Each API write riding on a session cookie needs the CSRF token (403 without it)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    for route in routes():
        if not route.startswith("api/"):
            continue
        path = fill(route, str(world["run"].pk if "runs/<" in route else world["topology"].pk))
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(path, data="{}", content_type="application/json")
            assert response.status_code in (403, 404, 405), (method, path, response.status_code)
    assert Topology.objects.count() == 1 and Run.objects.count() == 1
