"""Comparing runs: /api/compare and /compare/, differences marked, for the three users."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.test import Client

from patterns import Simulation
from playground.models import Run, Topology
from tests.conftest import PASSWORD, SMALL_DOCUMENT

pytestmark = pytest.mark.django_db


def _doc(algorithm: str) -> dict[str, Any]:
    doc = copy.deepcopy(SMALL_DOCUMENT)
    doc["nodes"][1]["algorithm"] = algorithm
    # Uneven work so the two algorithms part ways.
    doc["nodes"][2]["service_time"] = {"dist": "exponential", "mean_ms": 120}
    doc["nodes"][0]["rate"] = 20
    return doc


def _finished(owner, doc: dict[str, Any], seed: int, visibility: str = Topology.PRIVATE) -> Run:
    """A finished run whose summary the engine computed for this document and seed."""
    topology = Topology.objects.create(
        owner=owner, name=f"LB {doc['nodes'][1]['algorithm']}", document=doc, visibility=visibility
    )
    summary = Simulation(doc, seed=seed, record=False).run()
    return Run.objects.create(
        topology=topology,
        owner=owner,
        document=doc,
        seed=seed,
        speed=None,
        status=Run.FINISHED,
        summary=summary,
        event_count=summary["events"],
        sim_time_ms=summary["sim_time_ms"],
    )


@pytest.fixture
def pair(owner):
    return (
        _finished(owner, _doc("round_robin"), seed=3),
        _finished(owner, _doc("least_connections"), seed=3),
    )


def _rows(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{r['group']}: {r['label']}": r for r in body["rows"]}


def test_it_compares_round_robin_with_least_connections(owner_api, pair):
    """Every summary figure is a row, one value per run; what differs is marked, with its cause."""
    rr, lc = pair
    response = owner_api.get(f"/api/compare?runs={rr.pk},{lc.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [r["id"] for r in body["runs"]] == [rr.pk, lc.pk]
    rows = _rows(body)
    assert rows["Document: lb.algorithm"]["values"] == ["round_robin", "least_connections"]
    assert rows["Document: lb.algorithm"]["differs"] is True
    for p in ("mean", "p50", "p95", "p99", "max"):
        row = rows[f"Latency: {p}"]
        assert row["values"] == [rr.summary["latency_ms"][p], lc.summary["latency_ms"][p]]
    p99 = rows["Latency: p99"]
    assert p99["differs"] and p99["best"] == p99["values"].index(min(p99["values"]))
    assert rows["Requests: completed"]["values"] == [
        rr.summary["requests"]["completed"],
        lc.summary["requests"]["completed"],
    ]
    seconds = rr.summary["sim_time_ms"] / 1000
    assert rows["Throughput: completed per simulated second"]["values"][0] == pytest.approx(
        rr.summary["requests"]["completed"] / seconds, abs=1e-3
    )
    assert rows["Nodes: api utilisation"]["values"][1] == lc.summary["nodes"]["api"]["utilization"]
    assert (
        rows["Nodes: api queue high-water"]["values"][0]
        == (rr.summary["nodes"]["api"]["queue_max"])
    )
    assert rows["Balancers: lb → api#0"]["values"] == [
        rr.summary["load_balancers"]["lb"]["api#0"],
        lc.summary["load_balancers"]["lb"]["api#0"],
    ]


def test_it_marks_nothing_when_two_runs_are_the_same(owner_api, owner):
    """The same document and seed twice: no row differs (apart from the run's own id)."""
    a = _finished(owner, _doc("round_robin"), seed=5)
    b = _finished(owner, _doc("round_robin"), seed=5)
    body = owner_api.get(f"/api/compare?runs={a.pk},{b.pk}").json()
    assert [r["label"] for r in body["rows"] if r["differs"]] == []


def test_it_tells_two_seeds_apart(owner_api, owner):
    """Two seeds of one document: the seed and latency rows differ, the document does not."""
    a = _finished(owner, _doc("round_robin"), seed=1)
    b = _finished(owner, _doc("round_robin"), seed=2)
    rows = _rows(owner_api.get(f"/api/compare?runs={a.pk},{b.pk}").json())
    assert rows["Run: seed"]["differs"] and rows["Latency: p95"]["differs"]
    assert not any(key.startswith("Document:") for key in rows)


@pytest.mark.parametrize("runs", ["", "1", "1,x", "1,1", ",".join(str(i) for i in range(1, 10))])
def test_it_refuses_a_runs_list_it_cannot_compare(owner_api, runs):
    """Fewer than two distinct ids, more than eight, or not numbers: 400 naming `runs`."""
    response = owner_api.get(f"/api/compare?runs={runs}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "runs"


def test_it_shows_the_comparison_to_the_three_users_as_they_may_see(
    owner, pair, owner_api, collaborator_api, outsider_api, anon_api
):
    """Owner: 200; link holder with the keys: 200, without: 404; outsider and anonymous: 404."""
    rr, lc = pair
    Topology.objects.filter(pk__in=[rr.topology_id, lc.topology_id]).update(
        visibility=Topology.LINK
    )
    keys = ",".join(Topology.objects.get(pk=r.topology_id).share_key for r in (rr, lc))
    url = f"/api/compare?runs={rr.pk},{lc.pk}"
    assert owner_api.get(url).status_code == 200
    assert collaborator_api.get(f"{url}&key={keys}").status_code == 200
    assert collaborator_api.get(f"{url}&key={keys.split(',')[0]}").status_code == 404
    assert collaborator_api.get(url).status_code == 404
    assert outsider_api.get(url).status_code == 404
    assert anon_api.get(url).status_code == 404


def test_it_refuses_when_one_run_is_someone_else_s(owner, outsider, pair, outsider_api):
    """Comparing my run with a private run of another user is 404, as the run alone would be."""
    mine = _finished(outsider, _doc("random"), seed=1)
    response = outsider_api.get(f"/api/compare?runs={mine.pk},{pair[0].pk}")
    assert response.status_code == 404
    assert response.json()["errors"][0]["message"] == f"no run {pair[0].pk}"


def _browser(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_it_draws_the_compare_page_with_differences_highlighted(owner, pair):
    """The page has one column per run, highlighted rows that differ, and the chart's data."""
    rr, lc = pair
    page = _browser(owner).get(f"/compare/?runs={rr.pk},{lc.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"Run {rr.pk} · LB round_robin · seed 3" in html
    assert 'class="differs" data-label="Document: lb.algorithm"' in html
    assert 'data-label="Latency: p99"' in html and 'id="compare-data"' in html
    assert "js/compare.js" in html


def test_it_takes_the_runs_list_check_boxes(owner, pair):
    """The runs list's form sends ?run=1&run=2; the page compares those."""
    rr, lc = pair
    client = _browser(owner)
    listing = client.get(f"/topologies/{rr.topology_id}/runs/").content.decode()
    assert f'name="run" value="{rr.pk}"' in listing and 'id="compare-button"' in listing
    assert f"/api/runs/{rr.pk}/summary.csv" in listing
    page = client.get(f"/compare/?run={rr.pk}&run={lc.pk}")
    assert (
        page.status_code == 200 and f"Run {lc.pk} · LB least_connections" in page.content.decode()
    )


def test_it_hides_the_compare_page_from_whoever_may_not_see_a_run(
    owner, collaborator, outsider, pair
):
    """Page access follows the runs: link holder with the keys sees it; outsider, anonymous: 404."""
    rr, lc = pair
    Topology.objects.filter(pk__in=[rr.topology_id, lc.topology_id]).update(
        visibility=Topology.LINK
    )
    keys = ",".join(Topology.objects.get(pk=r.topology_id).share_key for r in (rr, lc))
    url = f"/compare/?runs={rr.pk},{lc.pk}"
    assert _browser(collaborator).get(f"{url}&key={keys}").status_code == 200
    assert _browser(collaborator).get(url).status_code == 404
    assert _browser(outsider).get(url).status_code == 404
    assert Client().get(url).status_code == 404
    assert _browser(owner).get("/compare/?runs=1").status_code == 400


def test_it_answers_in_a_constant_number_of_queries(
    owner, collaborator_api, django_assert_max_num_queries
):
    """Eight runs of eight link-shared topologies, eight keys: the same few queries as for two.

    (Before: one query per run per key, ~3,200 for 400 keys, 14.5 s.)
    """
    runs = [
        _finished(owner, _doc("round_robin"), seed=s, visibility=Topology.LINK) for s in range(8)
    ]
    keys = ",".join(r.topology.share_key for r in runs)
    ids = ",".join(str(r.pk) for r in runs)
    # The token's user, its last-used stamp, and the runs with their topologies.
    with django_assert_max_num_queries(4):
        response = collaborator_api.get(f"/api/compare?runs={ids}&key={keys}")
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["runs"]] == [r.pk for r in runs]


def test_it_refuses_more_share_keys_than_runs_it_may_compare(owner_api, pair):
    """Keys are bounded too (8, one per run): the refusal names the field."""
    rr, lc = pair
    keys = ",".join(f"k{i}" for i in range(400))
    response = owner_api.get(f"/api/compare?runs={rr.pk},{lc.pk}&key={keys}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "key"
    assert "at most 8" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("bump", "words"), [(1, "the 1 figure that differs;"), (2, "the 2 figures that differ;")]
)
def test_it_counts_the_differing_figures_in_good_english(owner, bump, words):
    """One differing figure is "the 1 figure that differs", two are "the 2 figures that differ"."""
    a = _finished(owner, _doc("round_robin"), seed=5)
    b = _finished(owner, _doc("round_robin"), seed=5)
    summary = copy.deepcopy(b.summary)
    summary["latency_ms"]["max"] *= 2
    if bump == 2:
        summary["latency_ms"]["mean"] *= 2
    Run.objects.filter(pk=b.pk).update(summary=summary)
    html = _browser(owner).get(f"/compare/?runs={a.pk},{b.pk}").content.decode()
    assert words in " ".join(html.split())
