"""The deadline sweep behind the run view's scatter-gather panel: a background job, polled."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client

from patterns import scenarios
from playground.models import Run, Sweep, Topology

SLUG = "sharded-document-search"

# The sweep runs in a thread (and its process) of its own, which must see committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sweep_run(make_topology, owner) -> Run:
    doc = scenarios.get(SLUG).document
    topology = make_topology(Topology.PRIVATE, doc=doc)
    return Run.objects.create(topology=topology, owner=owner, document=doc, seed=7, speed=1.0,
                              status=Run.FINISHED)  # fmt: skip


def ask(client: Client, run: Run, node: str, values: Any) -> Any:
    body = json.dumps({"node": node, "values": values})
    return client.post(f"/runs/{run.pk}/sweep/", body, content_type="application/json")


def wait(client: Client, url: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(url).json()
        if body["status"] in ("finished", "failed"):
            return body
        time.sleep(0.1)
    raise TimeoutError(f"sweep {url} did not end in {timeout} s")


def test_it_queues_the_sweep_and_answers_before_computing_it(
    client: Client, owner, sweep_run
) -> None:
    """The request only queues (202, queued, well under the sweep's own time); the page polls
    the sweep until it has one row per deadline, a longer deadline at least as complete."""
    client.force_login(owner)
    began = time.monotonic()
    response = ask(client, sweep_run, "rank", [60, 120, 240])
    answered = time.monotonic() - began
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["rows"] is None
    assert answered < 0.5
    done = wait(client, body["url"])
    assert done["status"] == "finished", done
    assert [r["value"] for r in done["rows"]] == [60, 120, 240]
    completeness = [r["completeness"] for r in done["rows"]]
    assert completeness == sorted(completeness) and completeness[-1] <= 1


def test_it_answers_the_same_sweep_once(client: Client, owner, sweep_run) -> None:
    """Asked again, the same sweep of the same run is read back (200), not run again."""
    client.force_login(owner)
    first = ask(client, sweep_run, "rank", [60, 120]).json()
    wait(client, first["url"])
    again = ask(client, sweep_run, "rank", [60.0, 120])
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert Sweep.objects.count() == 1


def test_it_hides_another_users_run_from_an_outsider(
    client: Client, owner, outsider, sweep_run
) -> None:
    """An outsider gets a 404, as for the run page, for asking and for polling."""
    client.force_login(owner)
    url = ask(client, sweep_run, "rank", [60]).json()["url"]
    client.force_login(outsider)
    assert ask(client, sweep_run, "rank", [60]).status_code == 404
    assert client.get(url).status_code == 404


def test_it_refuses_bad_values_naming_the_field(client: Client, owner, sweep_run) -> None:
    """Non-numbers, a node without the field, and too many values are 400s naming the field."""
    client.force_login(owner)

    def refused(node: Any, values: Any) -> dict[str, str]:
        response = ask(client, sweep_run, node, values)
        assert response.status_code == 400, response.content
        return response.json()["errors"][0]

    assert refused("rank", ["a", "b"])["path"] == "values"
    assert refused("rank", 60)["path"] == "values"
    problem = refused("users", [60])
    assert problem["path"] == "field" and "timeout_ms" in problem["message"]
    assert refused("", [60])["path"] == "node"
    assert refused("rank", list(range(10, 200, 10)))["path"] == "values"
    assert not Sweep.objects.exists()


def wide_search(shards: int, rate: float) -> dict[str, Any]:
    """The sharded search with `shards` fast shards: each request costs a hop per edge."""
    doc = scenarios.get(SLUG).document
    template = next(n for n in doc["nodes"] if n["id"] == "shard-1")
    nodes = [n for n in doc["nodes"] if not n["id"].startswith("shard-")]
    edges = [e for e in doc["edges"] if "shard-" not in e["from"] + e["to"]]
    for i in range(shards):
        nodes.append({**template, "id": f"s{i}"})
        edges += [{"from": "search", "to": f"s{i}"}, {"from": f"s{i}", "to": "rank"}]
    for node in nodes:
        if node["kind"] == "client":
            node["rate"] = rate
    return {**doc, "nodes": nodes, "edges": edges}


def test_it_bounds_a_wide_topologys_sweep_by_its_fan_out(
    client: Client, owner, make_topology
) -> None:
    """A fan-out to 20 shards costs 20 times a chain: the sweep is cut shorter, and says so."""
    doc = wide_search(shards=20, rate=100)  # 6,000 requests a value, each over 41 edges
    topology = make_topology(Topology.PUBLIC, doc=doc)
    run = Run.objects.create(topology=topology, owner=owner, document=doc, seed=7, speed=1.0,
                             status=Run.FINISHED)  # fmt: skip
    body = wait(client, ask(client, run, "rank", [60, 240]).json()["url"])
    assert body["note"].startswith("swept over the first")
    assert all(row["requests"]["started"] <= 2_000 for row in body["rows"])


def test_it_takes_one_sweep_at_a_time_per_caller_and_a_few_per_site(
    client: Client, owner, outsider, sweep_run, settings
) -> None:
    """While a caller's sweep is queued or running, their next is a 429 (try again, not
    queued); past SWEEP_MAX_ACTIVE over the site, everyone's is."""
    client.force_login(owner)
    Sweep.objects.create(run=sweep_run, owner=owner, node="rank", field="timeout_ms",
                         values=[1], key="in progress elsewhere")  # fmt: skip
    response = ask(client, sweep_run, "rank", [60])
    assert response.status_code == 429 and response.json()["errors"][0]["path"] == "sweep"
    assert "in progress" in response.json()["errors"][0]["message"]
    settings.SWEEP_MAX_ACTIVE = 1
    sweep_run.topology.visibility = Topology.PUBLIC
    sweep_run.topology.save()
    client.force_login(outsider)
    response = ask(client, sweep_run, "rank", [60])
    assert response.status_code == 429 and "busy" in response.json()["errors"][0]["message"]


def test_it_fails_a_sweep_whose_process_died(client: Client, owner, sweep_run, settings) -> None:
    """A sweep left queued past SWEEP_STALE_SECONDS is failed with a reason, and frees its slot."""
    client.force_login(owner)
    settings.SWEEP_STALE_SECONDS = 0
    lost = Sweep.objects.create(run=sweep_run, owner=owner, node="rank", field="timeout_ms",
                                values=[1], key="lost")  # fmt: skip
    body = client.get(f"/runs/{sweep_run.pk}/sweeps/{lost.pk}/").json()
    assert body["status"] == "failed" and "lost" in body["error"]
