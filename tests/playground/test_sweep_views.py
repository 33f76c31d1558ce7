"""The deadline sweep behind the run view's scatter-gather panel."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from patterns import scenarios
from playground.models import Run, Topology

SLUG = "sharded-document-search"


@pytest.fixture
def sweep_run(make_topology, owner) -> Run:
    doc = scenarios.get(SLUG).document
    topology = make_topology(Topology.PRIVATE, doc=doc)
    return Run.objects.create(topology=topology, owner=owner, document=doc, seed=7, speed=1.0,
                              status=Run.FINISHED)  # fmt: skip


def get(client: Client, run: Run, query: str) -> Any:
    return client.get(f"/runs/{run.pk}/sweep/?{query}")


def test_it_sweeps_the_aggregators_deadline_for_the_owner(client: Client, owner, sweep_run) -> None:
    """One row per deadline; a longer deadline is at least as complete."""
    client.force_login(owner)
    response = get(client, sweep_run, "node=rank&values=60,120,240")
    assert response.status_code == 200
    rows = response.json()["rows"]
    assert [r["value"] for r in rows] == [60, 120, 240]
    completeness = [r["completeness"] for r in rows]
    assert completeness == sorted(completeness) and completeness[-1] <= 1


def test_it_hides_another_users_run_from_an_outsider(client: Client, outsider, sweep_run) -> None:
    """An outsider gets a 404, as for the run page."""
    client.force_login(outsider)
    assert get(client, sweep_run, "node=rank&values=60").status_code == 404


def test_it_refuses_bad_values_with_a_reason(client: Client, owner, sweep_run) -> None:
    """Non-numbers, a node without the field, and too many values are 400s that say why."""
    client.force_login(owner)
    assert get(client, sweep_run, "node=rank&values=a,b").status_code == 400
    response = get(client, sweep_run, "node=users&values=60")
    assert response.status_code == 400 and "timeout_ms" in response.json()["error"]
    many = ",".join(str(v) for v in range(10, 200, 10))
    assert get(client, sweep_run, f"node=rank&values={many}").status_code == 400


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
    response = get(client, run, "node=rank&values=60,240")
    assert response.status_code == 200
    body = response.json()
    assert body["note"].startswith("swept over the first")
    assert all(row["requests"]["started"] <= 2_000 for row in body["rows"])


def test_it_refuses_a_sweep_while_another_is_running(client: Client, owner, sweep_run) -> None:
    """One sweep at a time per web process; the next is told to try again (429), not queued."""
    from playground import sweep_views

    client.force_login(owner)
    assert sweep_views._busy.acquire(blocking=False)  # another request's sweep, in progress
    try:
        response = get(client, sweep_run, "node=rank&values=60")
    finally:
        sweep_views._busy.release()
    assert response.status_code == 429 and "try again" in response.json()["error"]
    assert get(client, sweep_run, "node=rank&values=60").status_code == 200
