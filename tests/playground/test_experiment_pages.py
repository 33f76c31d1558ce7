"""The experiment pages: the fork control on the run view, the A/B form and results pages."""

from __future__ import annotations

import pytest
from django.test import Client

from playground.experiments import abtests
from playground.models import Run, Topology
from tests.playground.test_experiments_api import DOC

pytestmark = pytest.mark.django_db


def _run(owner, visibility: str) -> Run:
    topology = Topology.objects.create(owner=owner, name="two", document=DOC, visibility=visibility)
    return Run.objects.create(topology=topology, owner=owner, document=DOC, seed=5,
                              status=Run.FINISHED)  # fmt: skip


def test_the_run_view_offers_fork_from_here_to_who_may_fork(owner, client: Client):
    run = _run(owner, Topology.PUBLIC)
    page = client.get(f"/runs/{run.pk}/").content.decode()
    # A visitor may watch a public topology's run but not start one of it: no control.
    assert 'id="fork-panel"' not in page and 'id="fork-origin"' in page
    client.force_login(owner)
    page = client.get(f"/runs/{run.pk}/").content.decode()
    assert 'id="fork-panel"' in page and "js/fork.js" in page
    assert f"/ab/new/?topology={run.topology_id}" in page


def test_the_ab_form_lists_the_nodes_fields_it_can_vary(owner, client: Client):
    topology = Topology.objects.create(owner=owner, name="two", document=DOC)
    client.force_login(owner)
    response = client.get(f"/ab/new/?topology={topology.pk}")
    assert response.status_code == 200
    boot = response.context["boot"]
    assert boot["source"] == {"topology": topology.pk, "key": None}
    api = next(n for n in boot["nodes"] if n["id"] == "api")
    assert api["fields"]["instances"] == 2 and "service_time" in api["fields"]
    assert client.get("/ab/new/?topology=999999").status_code == 404


def test_an_ab_page_is_its_owners_only(owner, outsider, client: Client, monkeypatch):
    monkeypatch.setattr(abtests, "start", lambda test_id: None)
    variants = [{"name": "A", "set": []}, {"name": "B", "set": []}]
    test = abtests.request_ab(DOC, variants, [1, 2], user=owner, session_key="")
    client.force_login(outsider)
    assert client.get(f"/ab/{test.pk}/").status_code == 404
    client.force_login(owner)
    page = client.get(f"/ab/{test.pk}/").content.decode()
    assert "js/ab.js" in page and f"/api/ab/{test.pk}/results.csv" in page
