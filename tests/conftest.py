"""Shared fixtures: three users (owner, collaborator, outsider), API clients, a valid document.

The collaborator is someone a topology is shared with by link: they hold its
share key. The outsider holds nothing and must see nothing private.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from playground.models import ApiToken, Limits, Topology

PASSWORD = "correct horse battery"

# client -> round-robin balancer -> a service with 3 instances.
SMALL_DOCUMENT: dict[str, Any] = {
    "version": 1,
    "name": "Three behind a balancer",
    "pattern": "load-balancing",
    "seed": 7,
    "duration_ms": 2000,
    "nodes": [
        {"id": "users", "kind": "client", "rate": 20},
        {"id": "lb", "kind": "load_balancer", "algorithm": "round_robin"},
        {"id": "api", "kind": "service", "instances": 3, "service_time": 20},
    ],
    "edges": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "api"}],
}


class ApiClient:
    """A Django test client speaking JSON to /api/, as a script would."""

    def __init__(self, client: Client, token: str | None = None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _send(
        self, method: str, path: str, body: Any = None, raw: str | bytes | None = None, **extra: Any
    ):
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        call = getattr(self.client, method)
        kwargs: dict[str, Any] = {"headers": {**self.headers, **extra.pop("headers", {})}}
        if method != "get":
            # No body is an empty body, as curl sends it (not an empty multipart form).
            kwargs.update(data=data, content_type="application/json")
        return call(path, **kwargs, **extra)

    def get(self, path: str, **extra: Any):
        return self._send("get", path, **extra)

    def post(self, path: str, body: Any = None, **extra: Any):
        return self._send("post", path, body, **extra)

    def put(self, path: str, body: Any = None, **extra: Any):
        return self._send("put", path, body, **extra)

    def patch(self, path: str, body: Any = None, **extra: Any):
        return self._send("patch", path, body, **extra)

    def delete(self, path: str, **extra: Any):
        return self._send("delete", path, **extra)


@pytest.fixture
def document() -> dict[str, Any]:
    return copy.deepcopy(SMALL_DOCUMENT)


@pytest.fixture
def limits(db) -> Limits:
    return Limits.current()


def _user(django_user_model, name: str):
    return django_user_model.objects.create_user(username=name, password=PASSWORD)


@pytest.fixture
def owner(db, django_user_model):
    return _user(django_user_model, "owner")


@pytest.fixture
def collaborator(db, django_user_model):
    return _user(django_user_model, "collaborator")


@pytest.fixture
def outsider(db, django_user_model):
    return _user(django_user_model, "outsider")


def _api_for(user) -> ApiClient:
    _, key = ApiToken.issue(user, name="tests")
    return ApiClient(Client(), key)


@pytest.fixture
def owner_api(owner) -> ApiClient:
    return _api_for(owner)


@pytest.fixture
def collaborator_api(collaborator) -> ApiClient:
    return _api_for(collaborator)


@pytest.fixture
def outsider_api(outsider) -> ApiClient:
    return _api_for(outsider)


@pytest.fixture
def anon_api(db) -> ApiClient:
    return ApiClient(Client())


@pytest.fixture
def make_topology(owner, document):
    """Save a topology directly (not through the API) for the tests that read it."""

    def make(
        visibility: str = Topology.PRIVATE, user=None, doc: dict[str, Any] | None = None
    ) -> Topology:
        return Topology.objects.create(
            owner=user or owner,
            name=f"{visibility} topology",
            pattern="load-balancing",
            document=doc or copy.deepcopy(SMALL_DOCUMENT),
            visibility=visibility,
        )

    return make


@pytest.fixture
def scenarios(db):
    """The engine's built-in scenarios, loaded as `make run` loads them."""
    call_command("load_scenarios", verbosity=0)
    from playground.models import Scenario

    return list(Scenario.objects.all())


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The real hasher takes ~0.3 s a user on this machine; tests make many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
