"""/api/capacity: the estimate, its refusals, its visibility, and the cross-check through a run."""

from __future__ import annotations

import copy
import math
import time
from typing import Any

import pytest

from playground.models import Run, Topology
from tests.playground.test_exports import IN_MEMORY

pytestmark = pytest.mark.django_db

# One M/M/4 pool behind a random balancer: every formula holds exactly.
MMC: dict[str, Any] = {
    "version": 1,
    "name": "M/M/4",
    "seed": 5,
    "duration_ms": 2000,
    "nodes": [
        {"id": "users", "kind": "client", "rate": 100},
        {"id": "lb", "kind": "load_balancer", "algorithm": "random"},
        {
            "id": "api",
            "kind": "service",
            "instances": 2,
            "concurrency": 4,
            "service_time": {"dist": "exponential", "mean_ms": 10},
            "cost_per_hour": 0.2,
        },
    ],
    "edges": [
        {"from": "users", "to": "lb", "latency_ms": 0},
        {"from": "lb", "to": "api", "latency_ms": 0},
    ],
}


@pytest.fixture(autouse=True)
def thread_backend(settings):
    settings.CHANNEL_LAYERS = IN_MEMORY
    settings.RUN_BACKEND = "thread"


def test_it_estimates_a_document_at_internet_scale(anon_api) -> None:
    """No account needed: 3 billion a day at a peak of 3 sizes the pool, with its cost."""
    response = anon_api.post(
        "/api/capacity", {"document": MMC, "load": "3e9/day", "peak_factor": 3}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    peak = 3e9 / 86400 * 3
    assert body["load"]["peak_per_s"] == pytest.approx(peak)
    api = body["nodes"]["api"]
    assert api["rate_per_s"] == pytest.approx(peak)
    # 10 ms per request over 4 workers per instance, at 70%.
    assert api["needed"] == math.ceil(math.ceil(peak * 10 / 1000 / 0.7) / 4)
    assert api["planned"]["utilisation"] <= 0.7
    assert body["planned_cost_per_month"] == pytest.approx(api["needed"] * 0.2 * 730)
    assert body["bottleneck"] == "api" and body["saturated"] == ["api"]  # as the document is


def test_it_estimates_a_saved_topology_for_those_who_may_see_it(
    owner_api, outsider_api, make_topology
) -> None:
    topology = make_topology(Topology.PRIVATE, doc=copy.deepcopy(MMC))
    mine = owner_api.post("/api/capacity", {"topology": topology.pk, "load": 200})
    assert mine.status_code == 200, mine.content
    assert mine.json()["nodes"]["api"]["rate_per_s"] == pytest.approx(200)
    theirs = outsider_api.post("/api/capacity", {"topology": topology.pk, "load": 200})
    assert theirs.status_code == 404
    assert theirs.json()["errors"][0]["path"] == "id"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"load": "lots"}, "load"),
        ({"load": "3/fortnight"}, "load"),
        ({"load": -5}, "load"),
        ({"load": True}, "load"),
        ({"peak_factor": 0.5}, "peak_factor"),
        ({"target_utilisation": 1.2}, "target_utilisation"),
        ({"target_p99_ms": -1}, "target_p99_ms"),
        ({"cost_per_hour": {"nope": 1}}, "cost_per_hour.nope"),
        ({"speed": 3}, "speed"),
    ],
)
def test_it_refuses_bad_input_naming_the_field(anon_api, body: dict[str, Any], path: str) -> None:
    response = anon_api.post("/api/capacity", {"document": MMC, **body})
    assert response.status_code == 400, response.content
    assert path in [e["path"] for e in response.json()["errors"]]


def test_it_refuses_a_bad_document_naming_the_node(anon_api) -> None:
    doc = copy.deepcopy(MMC)
    doc["nodes"][2]["instances"] = 0
    response = anon_api.post("/api/capacity", {"document": doc})
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"].startswith('document.nodes[2] "api"')
    neither = anon_api.post("/api/capacity", {"load": 5})
    assert neither.status_code == 400 and neither.json()["errors"][0]["path"] == "topology"


def test_it_is_in_the_openapi_reference(anon_api) -> None:
    paths = anon_api.get("/api/openapi.json").json()["paths"]
    assert {"/api/capacity", "/api/capacity/check", "/api/capacity/check/{pk}"} <= set(paths)


@pytest.mark.django_db(transaction=True)
def test_the_cross_check_runs_a_scaled_down_copy_and_reports_the_difference(
    owner_api, make_topology
) -> None:
    """The request only starts a run of the copy (the runner's thread simulates it, at full
    speed); polling the check gives the comparison once it has finished: within 5% for
    this M/M/4 (seeded)."""
    topology = make_topology(Topology.PRIVATE, doc=copy.deepcopy(MMC))
    response = owner_api.post(
        "/api/capacity/check",
        {
            "topology": topology.pk,
            "load": "2e7/day",
            "peak_factor": 2,
            "requests": 20_000,
            "seed": 3,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["comparison"] is None and body["run"]["status"] in ("queued", "running")
    run = Run.objects.get(pk=body["run"]["id"])
    assert run.speed is None and run.topology == topology
    rate = sum(n["rate"] for n in run.document["nodes"] if n["kind"] == "client")
    assert rate <= 500
    deadline = time.monotonic() + 240
    comparison = None
    while comparison is None and time.monotonic() < deadline:
        time.sleep(0.5)
        answer = owner_api.get(f"/api/capacity/check/{run.pk}")
        assert answer.status_code == 200, answer.content
        assert answer.json()["run"]["status"] not in ("failed", "cancelled"), answer.content
        comparison = answer.json()["comparison"]
    assert comparison is not None, "the run did not finish in time"
    assert comparison["requests"]["completed"] > 15_000
    assert abs(comparison["latency_ms"]["difference"]) < 0.05
    assert abs(comparison["nodes"]["api"]["difference"]) < 0.05
    assert comparison["fit"] == "exact"


def test_an_outsider_cannot_read_a_check(owner, outsider_api) -> None:
    run = Run.objects.create(owner=owner, document=MMC, seed=1, speed=None, status=Run.FINISHED)
    assert outsider_api.get(f"/api/capacity/check/{run.pk}").status_code == 404


def test_a_cross_check_needs_an_account(anon_api) -> None:
    """Visitors may estimate anything but start runs only of the built-in scenarios."""
    response = anon_api.post("/api/capacity/check", {"document": MMC})
    assert response.status_code == 401
    assert Run.objects.count() == 0
