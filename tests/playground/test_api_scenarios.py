"""/api/scenarios: listing, anonymous runs within tighter limits, forking."""

from __future__ import annotations

import pytest

from playground.models import Run, Scenario, Topology
from tests.conftest import SMALL_DOCUMENT

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario(db) -> Scenario:
    return Scenario.objects.create(
        slug="three-behind-a-balancer",
        name="Three behind a balancer",
        pattern="load-balancing",
        description="Round robin over three instances.",
        document=SMALL_DOCUMENT,
    )


def test_it_lists_the_built_in_scenarios_with_the_contract_fields(anon_api, scenarios):
    """GET /api/scenarios: every loaded scenario with slug, name, pattern, description, document."""
    body = anon_api.get("/api/scenarios").json()
    assert len(body) == len(scenarios) > 0
    assert all(set(s) == {"slug", "name", "pattern", "description", "document"} for s in body)


def test_it_shows_one_scenario_and_404s_an_unknown_slug(anon_api, scenario):
    """A scenario by slug; an unknown slug names the slug."""
    assert anon_api.get(f"/api/scenarios/{scenario.slug}").json()["document"] == SMALL_DOCUMENT
    response = anon_api.get("/api/scenarios/no-such-thing")
    assert response.status_code == 404 and response.json()["errors"][0]["path"] == "slug"


def test_it_runs_a_scenario_for_a_visitor_under_their_session(anon_api, scenario):
    """A visitor's run has no owner and belongs to their (new) session, which they can then read."""
    response = anon_api.post(f"/api/scenarios/{scenario.slug}/runs", {"speed": 4})
    assert response.status_code == 201, response.content
    run = Run.objects.get(pk=response.json()["id"])
    assert run.owner is None and run.scenario == scenario and run.session_key
    assert anon_api.client.cookies["sessionid"].value == run.session_key
    assert anon_api.get(f"/api/runs/{run.pk}").status_code == 200
    assert [r["id"] for r in anon_api.get("/api/runs").json()] == [run.pk]


def test_it_hides_a_visitors_run_from_other_visitors_and_users(
    anon_api, outsider_api, scenario, db
):
    """Another browser session, or a logged-in outsider, gets 404 on a visitor's run."""
    from django.test import Client

    from tests.conftest import ApiClient

    run_id = anon_api.post(f"/api/scenarios/{scenario.slug}/runs").json()["id"]
    other = ApiClient(Client())
    assert other.get(f"/api/runs/{run_id}").status_code == 404
    assert outsider_api.get(f"/api/runs/{run_id}").status_code == 404
    assert other.post(f"/api/runs/{run_id}/control", {"action": "cancel"}).status_code == 404


def test_it_runs_a_scenario_for_a_user_as_their_own_run(owner_api, owner, scenario):
    """A logged-in user's scenario run is owned by them."""
    response = owner_api.post(f"/api/scenarios/{scenario.slug}/runs", {"speed": "max", "seed": 3})
    assert response.status_code == 201
    run = Run.objects.get(pk=response.json()["id"])
    assert run.owner == owner and run.session_key == "" and run.seed == 3 and run.speed is None


def test_it_answers_404_running_an_unknown_scenario(anon_api):
    """No scenario, no run."""
    assert anon_api.post("/api/scenarios/nope/runs").status_code == 404
    assert Run.objects.count() == 0


def test_it_forks_a_scenario_into_a_private_topology(collaborator_api, collaborator, scenario):
    """Forking a scenario saves it as the caller's own private topology."""
    response = collaborator_api.post(f"/api/scenarios/{scenario.slug}/fork")
    assert response.status_code == 201
    topology = Topology.objects.get(pk=response.json()["id"])
    assert topology.owner == collaborator and topology.visibility == Topology.PRIVATE
    assert topology.document == SMALL_DOCUMENT and topology.name == scenario.name


def test_it_requires_an_account_to_fork_a_scenario(anon_api, scenario):
    """Forking saves, and saving needs an account."""
    assert anon_api.post(f"/api/scenarios/{scenario.slug}/fork").status_code == 401
