"""API authentication: bearer tokens for scripts, the session (with CSRF) for the browser."""

from __future__ import annotations

import pytest
from django.test import Client

from playground.models import ApiToken, Topology
from tests.conftest import PASSWORD, SMALL_DOCUMENT, ApiClient

pytestmark = pytest.mark.django_db


def test_it_accepts_a_bearer_token_and_records_its_use(owner):
    """A valid token authenticates as its user and sets last_used."""
    token, key = ApiToken.issue(owner)
    api = ApiClient(Client(), key)
    response = api.post("/api/topologies", {"name": "t", "document": SMALL_DOCUMENT})
    assert response.status_code == 201
    assert Topology.objects.get().owner == owner
    token.refresh_from_db()
    assert token.last_used is not None


def test_it_stores_only_a_hash_of_the_token(owner):
    """The key itself is nowhere in the database."""
    token, key = ApiToken.issue(owner)
    assert token.key_hash == ApiToken.hash(key) and key not in (token.key_hash, token.prefix)
    assert key.startswith(token.prefix)


@pytest.mark.parametrize(
    "header", ["Bearer not-a-token", "Bearer", "Token abc", "Basic dXNlcjpwYXNz"]
)
def test_it_refuses_a_bad_authorization_header_even_for_reads(db, header):
    """A bad credential is a 401, never a silent fall back to anonymous."""
    response = Client().get("/api/topologies", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["errors"][0]["path"] == "Authorization"


def test_it_refuses_a_revoked_token(owner):
    """A deleted token stops working at once."""
    token, key = ApiToken.issue(owner)
    token.delete()
    assert ApiClient(Client(), key).get("/api/topologies").status_code == 401


def test_it_refuses_the_token_of_a_deactivated_user(owner):
    """An inactive user's tokens do not authenticate."""
    _, key = ApiToken.issue(owner)
    owner.is_active = False
    owner.save()
    assert ApiClient(Client(), key).get("/api/topologies").status_code == 401


def test_it_needs_no_csrf_token_with_a_bearer_token(owner):
    """Scripts with a token are not subject to CSRF (no cookies involved)."""
    _, key = ApiToken.issue(owner)
    api = ApiClient(Client(enforce_csrf_checks=True), key)
    assert api.post("/api/topologies", {"name": "t", "document": SMALL_DOCUMENT}).status_code == 201


def test_it_refuses_a_session_write_without_the_csrf_token(owner):
    """A browser session must send the CSRF token on writes: 403 naming the header."""
    client = Client(enforce_csrf_checks=True)
    client.login(username="owner", password=PASSWORD)
    response = ApiClient(client).post("/api/topologies", {"name": "t", "document": SMALL_DOCUMENT})
    assert response.status_code == 403
    assert response.json()["errors"][0]["path"] == "X-CSRFToken"
    assert Topology.objects.count() == 0


def test_it_accepts_a_session_write_with_the_csrf_token(owner):
    """With the csrftoken cookie echoed in X-CSRFToken, a session write goes through."""
    client = Client(enforce_csrf_checks=True)
    client.login(username="owner", password=PASSWORD)
    client.get("/login/")  # any page with a form sets the csrftoken cookie
    csrf = client.cookies["csrftoken"].value
    response = ApiClient(client).post(
        "/api/topologies", {"name": "t", "document": SMALL_DOCUMENT}, headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 201
    assert Topology.objects.get().owner == owner


def test_it_reads_with_a_session_without_csrf(owner, make_topology):
    """Reads need no CSRF token."""
    topology = make_topology(Topology.PRIVATE)
    client = Client(enforce_csrf_checks=True)
    client.login(username="owner", password=PASSWORD)
    assert client.get(f"/api/topologies/{topology.pk}").status_code == 200


@pytest.fixture
def scenario(db):
    from playground.models import Scenario

    return Scenario.objects.create(
        slug="small", name="Small", pattern="load-balancing", document=SMALL_DOCUMENT
    )


def test_it_lets_a_cookieless_script_start_a_scenario_run_without_csrf(scenario):
    """No session cookie, no ambient credentials to abuse: a plain POST may start a visitor run."""
    client = Client(enforce_csrf_checks=True)
    assert ApiClient(client).post("/api/scenarios/small/runs").status_code == 201


def test_it_refuses_a_visitor_session_write_without_the_csrf_token(scenario):
    """Once a visitor has a session cookie, their writes need the CSRF token like anyone's."""
    client = Client(enforce_csrf_checks=True)
    api = ApiClient(client)
    run_id = api.post("/api/scenarios/small/runs").json()["id"]
    assert "sessionid" in client.cookies
    response = api.post(f"/api/runs/{run_id}/control", {"action": "cancel"})
    assert response.status_code == 403 and response.json()["errors"][0]["path"] == "X-CSRFToken"
