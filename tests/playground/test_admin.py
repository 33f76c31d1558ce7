"""The admin: topologies, runs (read-only), scenarios, users, limits, tokens."""

from __future__ import annotations

import pytest
from django.test import Client

from playground.models import ApiToken, Limits, Run, Scenario, Topology
from tests.conftest import SMALL_DOCUMENT

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser(django_user_model) -> Client:
    django_user_model.objects.create_superuser("admin", "admin@example.com", "admin-password")
    client = Client()
    client.login(username="admin", password="admin-password")
    return client


@pytest.fixture
def rows(owner):
    topology = Topology.objects.create(owner=owner, name="T", document=SMALL_DOCUMENT)
    run = Run.objects.create(
        topology=topology,
        owner=owner,
        document=SMALL_DOCUMENT,
        seed=1,
        summary={"events": 3},
        event_count=3,
    )
    scenario = Scenario.objects.create(slug="s", name="S", pattern="p", document=SMALL_DOCUMENT)
    token, _ = ApiToken.issue(owner)
    return {
        "topology": topology,
        "run": run,
        "scenario": scenario,
        "apitoken": token,
        "limits": Limits.current(),
        "user": owner,
    }


@pytest.mark.parametrize("model", ["topology", "run", "scenario", "apitoken", "limits", "user"])
def test_it_lists_and_opens_each_model(admin_browser, rows, model):
    """Each model has a working list page and change page."""
    app = "auth" if model == "user" else "playground"
    obj = rows[model]
    assert admin_browser.get(f"/admin/{app}/{model}/").status_code == 200
    assert admin_browser.get(f"/admin/{app}/{model}/{obj.pk}/change/").status_code == 200


def test_it_shows_a_run_read_only_with_its_summary_and_event_count(admin_browser, rows):
    """A run's page shows its summary and event count, and saving it changes nothing."""
    run = rows["run"]
    page = admin_browser.get(f"/admin/playground/run/{run.pk}/change/").content.decode()
    assert "Event count" in page and "events" in page and 'name="status"' not in page
    admin_browser.post(f"/admin/playground/run/{run.pk}/change/", {"status": "cancelled"})
    run.refresh_from_db()
    assert run.status == Run.QUEUED


def test_it_edits_the_limits_and_the_api_obeys(admin_browser, rows, owner_api):
    """Limits changed in the admin apply to the next request."""
    limits = rows["limits"]
    form = {
        f: getattr(limits, f)
        for f in (
            "max_nodes",
            "max_instances",
            "max_client_rate",
            "max_duration_ms",
            "max_concurrent_runs",
            "anon_max_client_rate",
            "anon_max_duration_ms",
            "anon_max_concurrent_runs",
            "max_run_wall_seconds",
            "max_stored_events",
            "max_in_flight",
            "max_events_per_second",
            "max_events",
            "max_hops",
            "max_sweep_runs",
            "max_concurrent_sweeps",
        )
    }
    form["max_nodes"] = 2
    response = admin_browser.post(f"/admin/playground/limits/{limits.pk}/change/", form)
    assert response.status_code == 302
    assert Limits.current().max_nodes == 2
    assert owner_api.post("/api/topologies", {"document": SMALL_DOCUMENT}).status_code == 400


def test_it_keeps_a_single_limits_row(admin_browser, rows):
    """Limits cannot be added twice or deleted."""
    assert admin_browser.get("/admin/playground/limits/add/").status_code == 403
    assert (
        admin_browser.get(f"/admin/playground/limits/{rows['limits'].pk}/delete/").status_code
        == 403
    )


def test_it_keeps_non_staff_out(client, owner):
    """The admin is for staff only."""
    client.force_login(owner)
    response = client.get("/admin/playground/topology/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/playground/topology/?visibility__exact=private&q=T",
        "/admin/playground/topology/?pattern=",
        "/admin/playground/run/?status__exact=queued&q=owner",
        "/admin/playground/run/?created__year=YEAR",
        "/admin/playground/scenario/?pattern__exact=p&q=S",
    ],
)
def test_it_filters_and_searches_each_changelist(admin_browser, rows, url):
    """The filters and the search box an admin reaches for answer 200 with the row in them."""
    response = admin_browser.get(url.replace("YEAR", str(rows["run"].created.year)))
    assert response.status_code == 200
    assert "0 results" not in response.content.decode()


def test_it_filters_topologies_by_owner(admin_browser, rows, outsider):
    """The topology list offers the owners of topologies as a filter."""
    Topology.objects.create(owner=outsider, name="U", document=SMALL_DOCUMENT)
    page = admin_browser.get("/admin/playground/topology/").content.decode()
    assert f"owner__id__exact={rows['user'].pk}" in page


def test_it_links_a_run_to_its_view_and_shows_its_summary_readably(admin_browser, rows):
    """A run's admin page opens the run view and shows the summary's headline and indented JSON."""
    run = rows["run"]
    run.summary = {
        "requests": {"started": 4, "completed": 3, "failed": 1},
        "latency_ms": {"p50": 12.345},
    }
    run.save()
    page = admin_browser.get(f"/admin/playground/run/{run.pk}/change/").content.decode()
    assert f'href="/runs/{run.pk}/"' in page
    assert "started 4, completed 3, failed 1" in page and "p50 12.3" in page
    assert "<pre" in page and "&quot;requests&quot;: {\n" in page
    listing = admin_browser.get("/admin/playground/run/").content.decode()
    assert f'href="/runs/{run.pk}/"' in listing
