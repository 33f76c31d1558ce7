"""Fork from a moment and A/B over the API, through the real runner and background jobs."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import pytest

from patterns import Simulation, theory
from playground.experiments import abtests
from playground.models import ABTest, EventBatch, Run, RunFork, Topology
from playground.runs import launch, runner

pytestmark = pytest.mark.django_db(transaction=True)

DOC: dict[str, Any] = {
    "version": 1,
    "name": "Two behind a balancer",
    "seed": 5,
    "duration_ms": 6000,
    "nodes": [
        {"id": "users", "kind": "client", "rate": 30},
        {"id": "lb", "kind": "load_balancer", "algorithm": "round_robin"},
        {
            "id": "api",
            "kind": "service",
            "instances": 2,
            "service_time": {"dist": "exponential", "mean_ms": 40},
        },
    ],
    "edges": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "api"}],
}


@pytest.fixture(autouse=True)
def thread_backend(settings, monkeypatch):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.RUN_BACKEND = "thread"
    # Started by the test itself (runner.execute), in this thread: nothing else claims it.
    monkeypatch.setattr(launch, "start_run", lambda run_id: None)


def live_parent(owner, topology: Topology) -> Run:
    """A run as the runner stores it when its owner resized api to 4 at about 2.2 s, live."""
    sim = Simulation(DOC, seed=5)
    run = Run.objects.create(
        topology=topology, owner=owner, document=DOC, seed=5, speed=1.0, status=Run.RUNNING
    )
    seq = 0
    while not sim.done:
        events = sim.advance(sim.now + 100)
        if 2200 <= sim.now < 2300:
            sim.scale("api", 4)
        if events:
            EventBatch.objects.create(
                run=run, first_seq=events[0]["seq"], last_seq=events[-1]["seq"], events=events
            )
            seq = events[-1]["seq"] + 1
    Run.objects.filter(pk=run.pk).update(
        status=Run.FINISHED, event_count=seq, sim_time_ms=sim.now, summary=sim.summary()
    )
    run.refresh_from_db()
    return run


def lines(api, run_id: int) -> list[bytes]:
    response = api.get(f"/api/runs/{run_id}/events.jsonl")
    assert response.status_code == 200
    return b"".join(response.streaming_content).splitlines()


def fork_and_run(api, run_id: int, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(f"/api/runs/{run_id}/fork", body)
    assert response.status_code == 201, response.content
    fork = response.json()
    assert fork["status"] == "queued"
    assert runner.execute(fork["id"]) == Run.FINISHED
    return fork


def prefix(events: list[bytes], t: float) -> int:
    import json

    return sum(1 for e in events if json.loads(e)["t"] < t)


def test_a_fork_over_the_api_is_the_parent_up_to_its_moment_and_a_fork_of_it_too(owner, owner_api):
    topology = Topology.objects.create(owner=owner, name="two", document=DOC)
    parent = live_parent(owner, topology)
    change = {"kind": "set", "node": "lb", "field": "algorithm", "value": "least_connections"}
    fork = fork_and_run(owner_api, parent.pk, {"t": 3000.5, "change": change, "speed": "max"})
    assert fork["fork"]["parent"] == parent.pk and fork["fork"]["t"] == 3000.5
    assert fork["fork"]["change"] == change
    assert fork["fork"]["compare_url"] == f"/compare/?runs={parent.pk},{fork['id']}&from=3000.5"
    # The parent's live resize is replayed: it is a step of the fork.
    assert RunFork.objects.get(run_id=fork["id"]).steps == [
        {"t": 2200.0, "change": {"kind": "scale", "node": "api", "instances": 4}}
    ]
    ours, theirs = lines(owner_api, fork["id"]), lines(owner_api, parent.pk)
    n = prefix(theirs, 3000.5)
    assert n > 100
    assert ours[:n] == theirs[:n]
    assert b'"type":"change"' in ours[n] and ours[n + 1 :] != theirs[n:]

    # A fork of the fork: the first fork's change is replayed too.
    again = fork_and_run(
        owner_api,
        fork["id"],
        {"t": 4500.0, "change": {"kind": "scale", "node": "api", "instances": 1}, "speed": "max"},
    )
    assert [s["change"]["kind"] for s in RunFork.objects.get(run_id=again["id"]).steps] == [
        "scale",
        "set",
    ]
    second = lines(owner_api, again["id"])
    m = prefix(ours, 4500.0)
    assert second[:m] == ours[:m] and second[:n] == theirs[:n]
    # The compare answer lined up from the fork: only what ended after it.
    since = owner_api.get(f"/api/compare?runs={parent.pk},{fork['id']}&from=3000.5").json()
    assert since["since"]["t"] == 3000.5
    after = [r["requests"]["ok"] for r in since["since"]["runs"]]
    assert 0 < after[0] < parent.summary["requests"]["completed"] and after[1] > 0
    lineage = owner_api.get(f"/api/runs/{fork['id']}/lineage").json()
    assert lineage["fork"]["parent"] == parent.pk and lineage["forks"] == [again["id"]]


@pytest.mark.parametrize(
    "body, path",
    [
        ({"t": 99_999_999, "change": {"kind": "scale", "node": "api", "instances": 2}}, "t"),
        ({"t": 100, "change": {"kind": "scale", "node": "lb", "instances": 2}}, "change.node"),
        (
            {"t": 100, "change": {"kind": "set", "node": "api", "field": "rate", "value": 3}},
            "change.field",
        ),
        ({"t": 100, "change": {"kind": "nope"}}, "change.kind"),
        ({"t": "soon", "change": {"kind": "scale", "node": "api", "instances": 2}}, "t"),
    ],
)
def test_a_bad_fork_is_refused_naming_the_field(owner, owner_api, body, path):
    topology = Topology.objects.create(owner=owner, name="two", document=DOC)
    parent = live_parent(owner, topology)
    response = owner_api.post(f"/api/runs/{parent.pk}/fork", body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"].startswith(path)
    assert Run.objects.count() == 1


def test_an_outsider_cannot_fork_a_private_run(owner, outsider_api):
    topology = Topology.objects.create(owner=owner, name="two", document=DOC)
    parent = live_parent(owner, topology)
    body = {"t": 100, "change": {"kind": "scale", "node": "api", "instances": 2}}
    assert outsider_api.post(f"/api/runs/{parent.pk}/fork", body).status_code == 404


def wait_for(test_id: int) -> ABTest:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        test = ABTest.objects.get(pk=test_id)
        if test.status in (ABTest.FINISHED, ABTest.FAILED):
            return test
        time.sleep(0.2)
    raise AssertionError("the A/B test did not finish")


def test_ab_over_the_api_in_the_background_with_exports(owner, owner_api):
    """M/M/1 vs M/M/2: queued at once, computed off the request, the paired interval exported."""
    doc = {
        "version": 1,
        "seed": 1,
        "duration_ms": 200_000,
        "nodes": [
            {"id": "users", "kind": "client", "rate": 5},
            {
                "id": "api",
                "kind": "service",
                "service_time": {"dist": "exponential", "mean_ms": 100},
            },
        ],
        "edges": [{"from": "users", "to": "api"}],
    }
    variants = [
        {"name": "M/M/1", "set": []},
        {"name": "M/M/2", "set": [{"node": "api", "field": "concurrency", "value": 2}]},
    ]
    response = owner_api.post("/api/ab", {"document": doc, "variants": variants, "seeds": 6})
    assert response.status_code == 202, response.content
    body = response.json()
    assert (
        body["status"] == "queued" and body["total"] == 12 and body["seeds"] == [1, 2, 3, 4, 5, 6]
    )
    test = wait_for(body["id"])
    assert test.status == ABTest.FINISHED, test.error
    got = owner_api.get(f"/api/ab/{test.pk}").json()
    assert got["done"] == 12
    diff = got["result"]["differences"][0]
    assert diff["name"] == "M/M/2" and diff["versus"] == "M/M/1"
    truth = theory.mmc(2, 0.005, 100).response_ms - theory.mm1(0.005, 100).response_ms
    ci = diff["figures"]["mean_ms"]
    assert ci["low"] <= truth <= ci["high"]

    exported = owner_api.get(f"/api/ab/{test.pk}/results.csv")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert (
        rows[0][:3] == ["variant", "seed", "mean_ms"]
        and len([r for r in rows if r]) == 1 + 12 + 1 + 2 * 10 + 10
    )
    as_json = owner_api.get(f"/api/ab/{test.pk}/results.json")
    assert as_json.json()["result"] == got["result"]


def test_ab_is_refused_when_it_cannot_go_ahead(
    owner, owner_api, outsider_api, anon_api, monkeypatch
):
    monkeypatch.setattr(abtests, "start", lambda test_id: None)  # stays queued
    variants = [
        {"name": "a", "set": []},
        {"name": "b", "set": [{"node": "api", "field": "nope", "value": 1}]},
    ]
    response = owner_api.post("/api/ab", {"document": DOC, "variants": variants, "seeds": 2})
    assert response.status_code == 400
    assert "nope" in response.json()["errors"][0]["message"]
    too_many = [{"name": "a", "set": []}, {"name": "b", "set": []}]
    big = {
        **DOC,
        "duration_ms": 600_000,
        "nodes": [{**DOC["nodes"][0], "rate": 100}, *DOC["nodes"][1:]],
    }
    response = owner_api.post("/api/ab", {"document": big, "variants": too_many, "seeds": 50})
    assert response.status_code == 400 and response.json()["errors"][0]["path"] == "seeds"
    assert ABTest.objects.count() == 0
    # Somebody else's test is not found.
    test = abtests.request_ab(DOC, too_many, [1], user=owner, session_key="")
    assert outsider_api.get(f"/api/ab/{test.pk}").status_code == 404
    assert anon_api.get(f"/api/ab/{test.pk}").status_code == 404
    assert owner_api.get(f"/api/ab/{test.pk}").json()["status"] == "queued"
    assert owner_api.get(f"/api/ab/{test.pk}/results.csv").status_code == 400
    # One test in progress per caller.
    response = owner_api.post("/api/ab", {"document": DOC, "variants": too_many, "seeds": 1})
    assert response.status_code == 429
