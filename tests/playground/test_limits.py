"""The site's limits: each refuses clearly, naming the field or node; nothing saved or started."""

from __future__ import annotations

import pytest

from playground.models import Limits, Run, Scenario, Topology
from tests.conftest import SMALL_DOCUMENT

pytestmark = pytest.mark.django_db


def _only_error(response) -> dict[str, str]:
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    return errors[0]


def test_it_refuses_more_nodes_than_the_limit(owner_api, limits, document):
    """Nodes per topology: the refusal names `nodes` and both numbers."""
    limits.max_nodes = 2
    limits.save()
    error = _only_error(owner_api.post("/api/topologies", {"document": document}))
    assert error == {"path": "nodes", "message": "3 nodes is over the limit of 2"}
    assert Topology.objects.count() == 0


def test_it_refuses_too_many_instances_naming_the_node(owner_api, limits, document):
    """Instances per node: `nodes[2] "api": instances 80 is over the limit of 50`."""
    document["nodes"][2]["instances"] = 80
    error = _only_error(owner_api.post("/api/topologies", {"document": document}))
    assert error == {
        "path": 'nodes[2] "api"',
        "message": "instances 80 is over the limit of 50",
        "at": {"where": "nodes", "index": 2, "name": "api"},
    }
    assert Topology.objects.count() == 0


def test_it_refuses_an_autoscale_maximum_over_the_instance_limit(owner_api, limits, document):
    """Autoscaling may not grow a node past the instance limit either."""
    limits.max_instances = 4
    limits.save()
    document["nodes"][2]["autoscale"] = {"min": 1, "max": 10, "target_utilization": 0.7}
    response = owner_api.post("/api/topologies", {"document": document})
    assert response.status_code == 400, response.content
    assert {
        "path": 'nodes[2] "api"',
        "message": "autoscale.max 10 is over the limit of 4",
        "at": {"where": "nodes", "index": 2, "name": "api"},
    } in response.json()["errors"]


def test_it_refuses_a_client_rate_over_the_limit(owner_api, limits, document):
    """Client rate: named on the client node."""
    document["nodes"][0]["rate"] = 6000
    error = _only_error(owner_api.post("/api/topologies", {"document": document}))
    assert error == {
        "path": 'nodes[0] "users"',
        "message": "rate 6000 is over the limit of 5000",
        "at": {"where": "nodes", "index": 0, "name": "users"},
    }


def test_it_refuses_a_simulated_duration_over_the_limit(owner_api, limits, document):
    """Simulated duration: named on duration_ms."""
    document["duration_ms"] = 700_000
    error = _only_error(owner_api.post("/api/topologies", {"document": document}))
    assert error == {
        "path": "duration_ms",
        "message": "duration_ms 700000 is over the limit of 600000",
    }


def test_it_lists_every_limit_exceeded_at_once(owner_api, limits, document):
    """All problems in one answer, not one per attempt."""
    document["duration_ms"] = 700_000
    document["nodes"][0]["rate"] = 6000
    document["nodes"][2]["instances"] = 51
    response = owner_api.post("/api/topologies", {"document": document})
    assert response.status_code == 400 and len(response.json()["errors"]) == 3


def test_it_applies_limits_changed_in_the_admin_to_runs_of_saved_topologies(
    owner_api, make_topology, limits
):
    """A topology saved under looser limits does not start once they tighten: nothing started."""
    topology = make_topology(Topology.PRIVATE)
    limits.max_instances = 2
    limits.save()
    error = _only_error(owner_api.post(f"/api/topologies/{topology.pk}/runs"))
    assert error["path"] == 'nodes[2] "api"' and "over the limit of 2" in error["message"]
    assert Run.objects.count() == 0


def test_it_refuses_more_concurrent_runs_than_the_limit(owner_api, make_topology, limits):
    """Concurrent runs per user: the next start is refused until one ends."""
    limits.max_concurrent_runs = 2
    limits.save()
    topology = make_topology(Topology.PRIVATE)
    url = f"/api/topologies/{topology.pk}/runs"
    assert owner_api.post(url).status_code == 201
    assert owner_api.post(url).status_code == 201
    error = _only_error(owner_api.post(url))
    assert error["path"] == "runs" and "the limit is 2" in error["message"]
    assert Run.objects.count() == 2
    Run.objects.filter(pk=Run.objects.first().pk).update(status=Run.FINISHED)
    assert owner_api.post(url).status_code == 201


def test_it_counts_concurrent_runs_per_user(owner_api, outsider_api, make_topology, limits):
    """One user's runs do not use up another's allowance."""
    limits.max_concurrent_runs = 1
    limits.save()
    mine = make_topology(Topology.PUBLIC)
    assert owner_api.post(f"/api/topologies/{mine.pk}/runs").status_code == 201
    assert outsider_api.post(f"/api/topologies/{mine.pk}/runs").status_code == 201


@pytest.fixture
def scenario(db) -> Scenario:
    return Scenario.objects.create(
        slug="small", name="Small", pattern="load-balancing", document=SMALL_DOCUMENT
    )


def test_it_holds_visitors_to_the_tighter_rate_and_duration(anon_api, owner_api, limits):
    """A scenario within the user limits but over the visitor limits runs for a user only."""
    doc = dict(SMALL_DOCUMENT, duration_ms=200_000)
    doc["nodes"] = [dict(SMALL_DOCUMENT["nodes"][0], rate=800), *SMALL_DOCUMENT["nodes"][1:]]
    Scenario.objects.create(slug="heavy", name="Heavy", pattern="load-balancing", document=doc)
    response = anon_api.post("/api/scenarios/heavy/runs")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "path": "duration_ms",
            "message": (
                "duration_ms 200000 is over the limit of 120000 for visitors who are not logged in"
            ),
        },
        {
            "path": 'nodes[0] "users"',
            "message": "rate 800 is over the limit of 500 for visitors who are not logged in",
            "at": {"where": "nodes", "index": 0, "name": "users"},
        },
    ]
    assert Run.objects.count() == 0
    assert owner_api.post("/api/scenarios/heavy/runs").status_code == 201


def test_it_holds_a_visitor_session_to_its_concurrent_run_limit(anon_api, scenario, limits):
    """Visitors: one run at a time per browser session by default."""
    assert anon_api.post("/api/scenarios/small/runs").status_code == 201
    error = _only_error(anon_api.post("/api/scenarios/small/runs"))
    assert error["path"] == "runs" and "this browser session" in error["message"]
    assert Run.objects.count() == 1


def test_it_has_one_limits_row_with_the_documented_defaults(db):
    """Limits.current() creates the single row on first use."""
    first, again = Limits.current(), Limits.current()
    assert first.pk == again.pk == 1 and Limits.objects.count() == 1
    assert (first.max_nodes, first.max_instances, first.max_concurrent_runs) == (60, 50, 3)


def test_it_caps_the_runs_of_all_visitors_together(db, scenario, limits, settings):
    """A script that drops its session cookie each time cannot start runs without end."""
    from django.test import Client

    from tests.conftest import ApiClient

    settings.ANON_MAX_ACTIVE_RUNS = 3
    for _ in range(3):
        assert ApiClient(Client()).post("/api/scenarios/small/runs").status_code == 201
    error = _only_error(ApiClient(Client()).post("/api/scenarios/small/runs"))
    assert error["path"] == "runs" and "visitors who are not logged in" in error["message"]
    assert Run.objects.count() == 3
