"""Management commands: load_scenarios (idempotent) and api_token."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from patterns import scenarios as library
from playground.models import ApiToken, Scenario
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_it_loads_every_built_in_scenario_and_is_safe_to_repeat():
    """load_scenarios upserts by slug: running it twice leaves one row per scenario, up to date."""
    expected = {s.slug: s for s in library.all()}
    assert expected, "the engine ships scenarios"
    call_command("load_scenarios", stdout=StringIO())
    Scenario.objects.filter(slug=next(iter(expected))).update(name="stale")
    out = StringIO()
    call_command("load_scenarios", stdout=out)
    assert "0 created" in out.getvalue()
    assert {s.slug: s.name for s in Scenario.objects.all()} == {
        slug: s.name for slug, s in expected.items()
    }


def test_it_prints_a_working_api_token(owner):
    """api_token USERNAME prints a key that authenticates as that user."""
    out = StringIO()
    call_command("api_token", "owner", stdout=out)
    key = out.getvalue().strip()
    assert ApiToken.objects.get(user=owner).key_hash == ApiToken.hash(key)
    assert ApiClient(Client(), key).get("/api/topologies").status_code == 200


def test_it_refuses_an_unknown_user():
    """No such user: an error, no token."""
    with pytest.raises(CommandError, match="no user 'ghost'"):
        call_command("api_token", "ghost")
    assert ApiToken.objects.count() == 0
