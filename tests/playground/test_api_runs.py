"""Runs over the API: start, read, page through events, control; visibility for all three users."""

from __future__ import annotations

import pytest

from playground.models import EventBatch, Run, Topology

pytestmark = pytest.mark.django_db

PRIVATE, LINK, PUBLIC = Topology.PRIVATE, Topology.LINK, Topology.PUBLIC


def _store_events(run: Run, count: int, batch: int = 7) -> None:
    for first in range(0, count, batch):
        last = min(first + batch, count) - 1
        events = [{"seq": s, "t": float(s), "type": "metrics"} for s in range(first, last + 1)]
        EventBatch.objects.create(run=run, first_seq=first, last_seq=last, events=events)
    Run.objects.filter(pk=run.pk).update(event_count=count)


@pytest.fixture
def run_of(owner):
    def make(topology: Topology, status: str = Run.FINISHED) -> Run:
        return Run.objects.create(
            topology=topology,
            owner=owner,
            document=topology.document,
            seed=7,
            speed=1.0,
            status=status,
        )

    return make


def test_it_starts_a_run_queued_and_hands_it_to_the_runner_after_commit(
    owner_api, make_topology, django_capture_on_commit_callbacks
):
    """A run is created queued with a snapshot of the document; the runner is called on commit."""
    topology = make_topology(PRIVATE)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = owner_api.post(f"/api/topologies/{topology.pk}/runs", {"speed": 2.5, "seed": 99})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (
        body["status"] == "queued"
        and body["seed"] == 99
        and body["speed"] == 2.5
        and body["events"] == 0
    )
    run = Run.objects.get(pk=body["id"])
    assert (
        run.document == topology.document
        and run.topology == topology
        and run.owner == topology.owner
    )
    assert len(callbacks) == 1


def test_it_defaults_the_seed_to_the_documents_and_the_speed_to_real_time(owner_api, make_topology):
    """Both fields are optional: the document's seed, speed 1."""
    topology = make_topology(PRIVATE)
    body = owner_api.post(f"/api/topologies/{topology.pk}/runs").json()
    assert body["seed"] == 7 and body["speed"] == 1.0


def test_it_takes_max_as_as_fast_as_possible(owner_api, make_topology):
    """speed "max" is stored as no pacing and shown back as "max"."""
    topology = make_topology(PRIVATE)
    body = owner_api.post(f"/api/topologies/{topology.pk}/runs", {"speed": "max"}).json()
    assert body["speed"] == "max" and Run.objects.get(pk=body["id"]).speed is None


@pytest.mark.parametrize(
    "payload, path",
    [
        ({"speed": 0}, "speed"),
        ({"speed": 1000}, "speed"),
        ({"speed": "fast"}, "speed"),
        ({"seed": "x"}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"sped": 1}, "sped"),
    ],
)
def test_it_refuses_a_bad_speed_or_seed_and_starts_nothing(owner_api, make_topology, payload, path):
    """Speed is 0.1..100 or "max", seed a whole number, nothing else; a refusal creates no run."""
    topology = make_topology(PRIVATE)
    response = owner_api.post(f"/api/topologies/{topology.pk}/runs", payload)
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"].startswith(path)
    assert Run.objects.count() == 0


def test_it_lets_a_link_collaborator_run_what_they_can_see(
    collaborator_api, collaborator, make_topology
):
    """Running is not writing: a collaborator's run is their own run of the shared topology."""
    topology = make_topology(LINK)
    response = collaborator_api.post(f"/api/topologies/{topology.pk}/runs?key={topology.share_key}")
    assert response.status_code == 201
    assert Run.objects.get(pk=response.json()["id"]).owner == collaborator


def test_it_requires_an_account_to_run_a_saved_topology(anon_api, make_topology):
    """Visitors run built-in scenarios only."""
    topology = make_topology(PUBLIC)
    assert anon_api.post(f"/api/topologies/{topology.pk}/runs").status_code == 401
    assert Run.objects.count() == 0


def test_it_lists_a_topologys_runs_newest_first(owner_api, make_topology, run_of):
    """GET /api/topologies/{id}/runs lists its runs, newest first."""
    topology = make_topology(PRIVATE)
    first, second = run_of(topology), run_of(topology)
    response = owner_api.get(f"/api/topologies/{topology.pk}/runs")
    assert response.status_code == 200
    assert [r["id"] for r in response.json()] == [second.pk, first.pk]


def test_it_shows_a_run_with_its_status_reason_summary_and_event_count(
    owner_api, make_topology, run_of
):
    """GET /api/runs/{id} answers the contract's fields; events is how many are stored."""
    run = run_of(make_topology(PRIVATE))
    Run.objects.filter(pk=run.pk).update(summary={"events": 20}, reason="")
    _store_events(run, 20)
    body = owner_api.get(f"/api/runs/{run.pk}").json()
    assert {"id", "status", "reason", "summary", "events"} <= set(body)
    assert (
        body["status"] == "finished" and body["summary"] == {"events": 20} and body["events"] == 20
    )


@pytest.mark.parametrize("visibility", [PRIVATE, LINK])
def test_it_answers_404_to_an_outsider_for_every_run_of_a_topology_they_cannot_see(
    outsider_api, anon_api, make_topology, run_of, visibility
):
    """An outsider gets 404 on the run, its events and its controls."""
    run = run_of(make_topology(visibility), status=Run.RUNNING)
    for api in (outsider_api, anon_api):
        assert api.get(f"/api/runs/{run.pk}").status_code == 404
        assert api.get(f"/api/runs/{run.pk}/events").status_code == 404
        assert api.post(f"/api/runs/{run.pk}/control", {"action": "pause"}).status_code == 404


def test_it_shows_the_runs_of_a_link_topology_to_key_holders(
    collaborator_api, make_topology, run_of
):
    """The share key opens the topology's runs as well."""
    topology = make_topology(LINK)
    run = run_of(topology)
    _store_events(run, 3)
    key = topology.share_key
    assert collaborator_api.get(f"/api/runs/{run.pk}?key={key}").status_code == 200
    assert len(collaborator_api.get(f"/api/runs/{run.pk}/events?key={key}").json()["events"]) == 3
    assert [
        r["id"]
        for r in collaborator_api.get(f"/api/topologies/{topology.pk}/runs?key={key}").json()
    ] == [run.pk]


def test_it_pages_through_events_after_a_seq_in_order(owner_api, make_topology, run_of):
    """Events with seq > after, in order, at most limit, across batches; last_seq to go on from."""
    run = run_of(make_topology(PRIVATE))
    _store_events(run, 50, batch=7)
    seen: list[int] = []
    after = -1
    while True:
        body = owner_api.get(f"/api/runs/{run.pk}/events?after={after}&limit=9").json()
        if not body["events"]:
            assert body["last_seq"] == after
            break
        assert len(body["events"]) <= 9
        seen += [e["seq"] for e in body["events"]]
        after = body["last_seq"]
    assert seen == list(range(50))
    body = owner_api.get(f"/api/runs/{run.pk}/events?after=45").json()
    assert [e["seq"] for e in body["events"]] == [46, 47, 48, 49] and body["last_seq"] == 49


@pytest.mark.parametrize(
    "query, path", [("limit=0", "limit"), ("limit=100000", "limit"), ("after=x", "after")]
)
def test_it_refuses_bad_paging_parameters(owner_api, make_topology, run_of, query, path):
    """Paging parameters out of range or of the wrong type are a 400 naming the parameter."""
    run = run_of(make_topology(PRIVATE))
    response = owner_api.get(f"/api/runs/{run.pk}/events?{query}")
    assert response.status_code == 400 and response.json()["errors"][0]["path"] == path


def test_it_refuses_controls_from_a_viewer_who_did_not_start_the_run(
    collaborator_api, make_topology, run_of
):
    """Others may watch but not control: 403 for someone who can see the run."""
    topology = make_topology(LINK)
    run = run_of(topology, status=Run.RUNNING)
    response = collaborator_api.post(
        f"/api/runs/{run.pk}/control?key={topology.share_key}", {"action": "pause"}
    )
    assert response.status_code == 403 and response.json()["errors"][0]["path"] == "action"


def test_it_refuses_controls_on_a_run_that_has_ended(owner_api, make_topology, run_of):
    """A finished run has nothing to pause."""
    run = run_of(make_topology(PRIVATE), status=Run.FINISHED)
    response = owner_api.post(f"/api/runs/{run.pk}/control", {"action": "pause"})
    assert response.status_code == 400 and "finished" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "payload, path",
    [
        ({"action": "explode"}, "action"),
        ({"action": "speed"}, "speed"),
        ({"action": "speed", "speed": 500}, "speed"),
        ({"action": "fault"}, "fault"),
        ({"action": "pause", "speed": 2}, "speed"),
        ({"action": "pause", "x": 1}, "x"),
        ({}, "action"),
    ],
)
def test_it_refuses_a_malformed_control(owner_api, make_topology, run_of, payload, path):
    """Unknown actions, missing or misplaced parameters are a 400 naming the field."""
    run = run_of(make_topology(PRIVATE), status=Run.RUNNING)
    response = owner_api.post(f"/api/runs/{run.pk}/control", payload)
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == path


def test_it_lists_the_callers_own_runs(owner_api, outsider_api, make_topology, run_of):
    """GET /api/runs is the caller's own runs only."""
    run = run_of(make_topology(PRIVATE))
    assert [r["id"] for r in owner_api.get("/api/runs").json()] == [run.pk]
    assert outsider_api.get("/api/runs").json() == []


def test_it_hands_the_owners_controls_to_the_runner(owner_api, make_topology, run_of):
    """pause, speed and cancel from whoever started the run reach the runner (stored, in order)."""
    from playground.models import RunControl

    run = run_of(make_topology(PRIVATE), status=Run.RUNNING)
    for payload in ({"action": "pause"}, {"action": "speed", "speed": 10}, {"action": "cancel"}):
        response = owner_api.post(f"/api/runs/{run.pk}/control", payload)
        assert response.status_code == 200, response.content
    controls = list(RunControl.objects.filter(run=run).values_list("action", "params"))
    assert controls == [("pause", {}), ("speed", {"speed": 10.0}), ("cancel", {})]


def test_it_cancels_a_queued_run_at_once(owner_api, make_topology, run_of):
    """A run nobody has claimed yet is cancelled on the spot."""
    run = run_of(make_topology(PRIVATE), status=Run.QUEUED)
    body = owner_api.post(f"/api/runs/{run.pk}/control", {"action": "cancel"}).json()
    assert body["status"] == "cancelled"


def test_it_refuses_a_fault_on_a_node_the_run_does_not_have(owner_api, make_topology, run_of):
    """The engine checks a live fault against the run's document; the refusal names the field."""
    run = run_of(make_topology(PRIVATE), status=Run.RUNNING)
    response = owner_api.post(
        f"/api/runs/{run.pk}/control",
        {"action": "fault", "fault": {"kind": "crash", "node": "ghost"}},
    )
    assert response.status_code == 400
    assert any("node" in e["path"] for e in response.json()["errors"]), response.json()
