"""/api/sweeps in the embedded setup (no Redis): a local pool of processes runs the points."""

from __future__ import annotations

import csv
import io
import json
import time
from typing import Any

import pytest

from playground.experiments import param_sweeps
from playground.experiments.sweep_models import ParamSweep, SweepPoint
from playground.models import Limits
from tests.playground.test_exports import IN_MEMORY

pytestmark = pytest.mark.django_db(transaction=True)

MM1: dict[str, Any] = {
    "version": 1,
    "name": "M/M/1",
    "duration_ms": 2000,
    "nodes": [
        {"id": "users", "kind": "client", "rate": 20},
        {"id": "api", "kind": "service", "service_time": {"dist": "exponential", "mean_ms": 20}},
    ],
    "edges": [{"from": "users", "to": "api"}],
}


@pytest.fixture(autouse=True)
def local_backend(settings):
    settings.CHANNEL_LAYERS = IN_MEMORY
    settings.RUN_BACKEND = "thread"
    settings.SWEEP_PROCESSES = 2


def wait_ended(api, pk: int, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = api.get(f"/api/sweeps/{pk}").json()
        if body["status"] not in ("queued", "running"):
            return body
        time.sleep(0.2)
    raise AssertionError(f"sweep {pk} still {body['status']}")


def test_a_range_over_a_nested_field_runs_every_point_in_the_local_pool(owner_api) -> None:
    """service_time.mean_ms from 10 to 30 by 10, 2 seeds: 6 points stored, a mean and interval
    per value, the theory beside them (exact: an M/M/1), and exports of every point."""
    response = owner_api.post(
        "/api/sweeps",
        {"document": MM1, "node": "api", "field": "service_time.mean_ms",
         "start": 10, "stop": 30, "step": 10, "seeds": 2, "requests": 300},
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    body = wait_ended(owner_api, response.json()["id"])
    assert body["status"] == "finished" and body["backend"] == "local"
    assert body["progress"]["done"] == 6 and body["values"] == [10, 20, 30]
    assert body["fit"] == "exact" and not body["reasons"]
    latency = [row["figures"]["latency_mean"] for row in body["rows"]]
    assert all(f["n"] == 2 and f["low"] <= f["mean"] <= f["high"] for f in latency)
    assert latency[0]["mean"] < latency[2]["mean"]
    assert [row["theory"]["latency_mean"] for row in body["rows"]] == pytest.approx(
        [2 + 1 / (1 / t - 0.02) for t in (10, 20, 30)]  # the edge, 1 ms each way + M/M/1
    )
    assert len({p.worker for p in SweepPoint.objects.all()}) >= 1

    exported = owner_api.get(f"/api/sweeps/{body['id']}/export?format=csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert len(rows) == 6 and {r["seed"] for r in rows} == {"1", "2"}
    assert "theory_latency_mean" in rows[0] and rows[0]["status"] == "done"
    whole = json.loads(owner_api.get(f"/api/sweeps/{body['id']}/export?format=json").content)
    assert len(whole["points"]) == 6 and whole["document"]["name"] == "M/M/1"


def test_a_sweep_is_refused_in_words_naming_the_field(owner_api, limits) -> None:
    def refused(body: dict, status: int = 400) -> str:
        response = owner_api.post("/api/sweeps", {"document": MM1, **body})
        assert response.status_code == status, response.json()
        return " ".join(e["path"] + ": " + e["message"] for e in response.json()["errors"])

    assert "not a number" in refused({"node": "api", "field": "service_time.dist", "values": [1]})
    assert "no node" in refused({"node": "db", "field": "rate", "values": [1]})
    assert "rate = -1" in refused({"node": "users", "field": "rate", "values": [5, -1]})
    Limits.objects.filter(pk=limits.pk).update(max_sweep_runs=10, max_instances=4)
    assert "over the limit of 10" in refused(
        {"node": "users", "field": "rate", "values": [1, 2, 3, 4], "seeds": 3}
    )
    assert "instances 5 is over the limit of 4" in refused(
        {"node": "api", "field": "instances", "values": [1, 5]}
    )
    assert ParamSweep.objects.count() == 0


def test_a_sweep_is_refused_in_the_request_s_language(owner_api, limits) -> None:
    """The sweep's own sentences and a value's problem from the engine, both in Korean; the
    paths stay as they are (the page screenshot of issue 16's review showed them English)."""

    def refused(body: dict) -> list[dict]:
        response = owner_api.post(
            "/api/sweeps", {"document": MM1, **body}, HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9"
        )
        assert response.status_code == 400, response.json()
        return response.json()["errors"]

    (value,) = refused({"node": "users", "field": "requests", "values": [-10, 20]})
    assert value["path"] == "values"
    assert value["message"].startswith('requests = -10.0: nodes[0] "users".requests: ')
    assert "must be" not in value["message"] and "정수" in value["message"], value
    Limits.objects.filter(pk=limits.pk).update(max_sweep_runs=10)
    (runs,) = refused({"node": "users", "field": "rate", "values": [1, 2, 3, 4], "seeds": 3})
    assert runs["path"] == "seeds"
    assert runs["message"] == "값 4개 × 시드 3개는 실행 12번으로, 한도 10번을 넘습니다"
    (both,) = refused({"node": "users", "field": "rate", "values": [1], "start": 1, "stop": 2})
    assert both["message"] == "값 목록과 범위 중 하나만 주세요"


def test_a_visitor_cannot_sweep(anon_api) -> None:
    response = anon_api.post(
        "/api/sweeps", {"document": MM1, "node": "users", "field": "rate", "values": [1]}
    )
    assert response.status_code == 401


def test_cancelling_in_the_local_pool_skips_the_points_not_started(owner, owner_api, settings):
    """One process, many points: cancelled after the first is done, the rest never run."""
    settings.SWEEP_PROCESSES = 1
    sweep = param_sweeps.create(owner, MM1, "users", "rate", list(range(5, 45)), seeds=2,
                                requests=2000)  # fmt: skip
    deadline = time.monotonic() + 120
    while not SweepPoint.objects.filter(sweep=sweep, status="done").exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    cancelled = owner_api.post(f"/api/sweeps/{sweep.pk}/cancel").json()
    assert cancelled["status"] == "cancelled"
    points = SweepPoint.objects.filter(sweep=sweep)
    skipped = set(points.filter(status="skipped").values_list("pk", flat=True))
    assert len(skipped) >= 70
    # The one running may finish; then nothing else starts.
    while SweepPoint.objects.filter(sweep=sweep, status="running").exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(1.5)
    assert set(points.filter(status="skipped").values_list("pk", flat=True)) == skipped
    assert SweepPoint.objects.filter(sweep=sweep, status="done").count() <= 80 - len(skipped)
    assert ParamSweep.objects.get(pk=sweep.pk).status == "cancelled"
    assert owner_api.post(f"/api/sweeps/{sweep.pk}/cancel").json()["status"] == "cancelled"


def test_only_its_owner_reads_a_sweep(owner, owner_api, outsider_api) -> None:
    sweep = param_sweeps.create(owner, MM1, "users", "rate", [5], start=False)
    assert owner_api.get(f"/api/sweeps/{sweep.pk}").status_code == 200
    assert outsider_api.get(f"/api/sweeps/{sweep.pk}").status_code == 404
    assert outsider_api.post(f"/api/sweeps/{sweep.pk}/cancel").status_code == 404


def test_a_sweep_whose_worker_died_is_failed_and_frees_its_slot(owner, owner_api, settings):
    """No point ended for SWEEP_POINT_STALE_SECONDS: failed, its queued points skipped, and
    its owner may start another."""
    sweep = param_sweeps.create(owner, MM1, "users", "rate", [5, 6], start=False)
    busy = owner_api.post(
        "/api/sweeps", {"document": MM1, "node": "users", "field": "rate", "values": [5]}
    )
    assert busy.status_code == 429 and busy.json()["errors"][0]["path"] == "sweep"
    settings.SWEEP_POINT_STALE_SECONDS = 0
    body = owner_api.get(f"/api/sweeps/{sweep.pk}").json()
    assert body["status"] == "failed" and "worker stopped" in body["error"]
    assert body["progress"]["skipped"] == 6
    settings.SWEEP_POINT_STALE_SECONDS = 600
    again = owner_api.post(
        "/api/sweeps",
        {"document": MM1, "node": "users", "field": "rate", "values": [5], "requests": 100},
    )
    assert again.status_code == 201
    wait_ended(owner_api, again.json()["id"])


def test_the_fields_a_sweep_can_vary_are_listed_for_a_topology_one_may_see(
    owner_api, outsider_api
) -> None:
    topology = owner_api.post("/api/topologies", {"document": MM1}).json()
    fields = owner_api.get(f"/api/sweeps/fields?topology={topology['id']}").json()
    assert {"node": "api", "field": "service_time.mean_ms", "value": 20} in fields
    assert {"node": "users", "field": "rate", "value": 20} in fields
    assert outsider_api.get(f"/api/sweeps/fields?topology={topology['id']}").status_code == 404
