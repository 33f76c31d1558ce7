"""A run's read-only link: whoever holds it watches the run, without controls; no one else."""

from __future__ import annotations

import pytest
from django.test import Client

from playground.models import EventBatch, Run, Topology

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_run(owner, make_topology) -> Run:
    topology = make_topology(Topology.PRIVATE)
    run = Run.objects.create(
        topology=topology,
        owner=owner,
        document=topology.document,
        seed=7,
        speed=1.0,
        status=Run.RUNNING,
        summary={"requests": {"ok": 3}},
    )
    events = [{"seq": s, "t": float(s), "type": "metrics"} for s in range(3)]
    EventBatch.objects.create(run=run, first_seq=0, last_seq=2, events=events)
    return run


def test_each_run_has_its_own_unguessable_key(private_run, owner):
    other = Run.objects.create(owner=owner, document={}, seed=1)
    assert len(private_run.share_key) == 32
    assert private_run.share_key != other.share_key


def test_its_starter_gets_the_link_and_a_holder_reads_the_run_and_its_events(
    private_run, owner_api, outsider_api, anon_api
):
    link = owner_api.get(f"/api/runs/{private_run.pk}").json()["share_url"]
    assert link == f"/runs/{private_run.pk}/?key={private_run.share_key}"
    key = private_run.share_key
    for holder in (outsider_api, anon_api):
        run = holder.get(f"/api/runs/{private_run.pk}?key={key}")
        assert run.status_code == 200 and run.json()["share_url"] is None
        events = holder.get(f"/api/runs/{private_run.pk}/events?key={key}").json()["events"]
        assert [e["seq"] for e in events] == [0, 1, 2]
        assert holder.get(f"/api/runs/{private_run.pk}/events.jsonl?key={key}").status_code == 200
        assert holder.get(f"/api/runs/{private_run.pk}/summary.json?key={key}").status_code == 200


def test_a_holder_cannot_control_the_run(private_run, outsider_api):
    key = private_run.share_key
    for action in ({"action": "cancel"}, {"action": "scale", "node": "api", "instances": 5}):
        response = outsider_api.post(f"/api/runs/{private_run.pk}/control?key={key}", action)
        assert response.status_code == 403, action
    private_run.refresh_from_db()
    assert private_run.status == Run.RUNNING


def test_without_the_key_or_with_another_it_is_not_found(private_run, outsider_api, anon_api):
    other = Run.objects.create(owner=private_run.owner, document={}, seed=1)
    for key in (
        "",
        "?key=wrong",
        f"?key={other.share_key}",
        f"?key={private_run.topology.share_key}",
    ):
        for api in (outsider_api, anon_api):
            assert api.get(f"/api/runs/{private_run.pk}{key}").status_code == 404, key
            assert api.get(f"/api/runs/{private_run.pk}/events{key}").status_code == 404, key
        assert Client().get(f"/runs/{private_run.pk}/{key}").status_code == 404, key


def test_the_run_page_opens_read_only_with_the_key(private_run, owner):
    visitor = Client()
    page = visitor.get(f"/runs/{private_run.pk}/?key={private_run.share_key}")
    assert page.status_code == 200
    html = page.content.decode()
    assert '"owner": false' in html  # the page's scripts offer no controls
    assert "run-share-url" not in html  # the link is its starter's to hand on
    assert f"/topologies/{private_run.topology_id}/" not in html  # the topology stays private
    starter = Client()
    starter.force_login(owner)
    mine = starter.get(f"/runs/{private_run.pk}/").content.decode()
    assert f"/runs/{private_run.pk}/?key={private_run.share_key}" in mine
