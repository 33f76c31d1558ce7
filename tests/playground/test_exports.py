"""A run's exports: events as JSON lines (identical to the CLI's), the summary as JSON and CSV."""

from __future__ import annotations

import csv
import io
import json

import pytest

from playground.models import EventBatch, Run, Topology
from playground.runs import runner
from tests.conftest import SMALL_DOCUMENT
from tests.playground.conftest import cli_events_text

pytestmark = pytest.mark.django_db(transaction=True)

IN_MEMORY = {
    "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 5000}}
}
EXPORTS = ("events.jsonl", "summary.json", "summary.csv")


@pytest.fixture(autouse=True)
def thread_backend(settings):
    settings.CHANNEL_LAYERS = IN_MEMORY
    settings.RUN_BACKEND = "thread"


def _finished_run(owner, visibility: str = Topology.PRIVATE, seed: int = 11) -> Run:
    """A run of SMALL_DOCUMENT driven to its end by the real runner, at max speed."""
    topology = Topology.objects.create(
        owner=owner, name="Three behind a balancer", document=SMALL_DOCUMENT, visibility=visibility
    )
    run = Run.objects.create(
        topology=topology, owner=owner, document=SMALL_DOCUMENT, seed=seed, speed=None
    )
    assert runner.execute(run.pk) == Run.FINISHED
    run.refresh_from_db()
    return run


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_it_exports_events_byte_identical_to_the_cli(owner, owner_api, tmp_path):
    """events.jsonl of a finished run equals `python -m patterns run --events` byte for byte."""
    run = _finished_run(owner, seed=11)
    response = owner_api.get(f"/api/runs/{run.pk}/events.jsonl")
    assert response.status_code == 200
    assert response.streaming, "events are streamed, not built whole"
    assert response["Content-Type"].startswith("application/x-ndjson")
    assert (
        f'filename="run-{run.pk}-three-behind-a-balancer.events.jsonl"'
        in (response["Content-Disposition"])
    )
    body = _body(response)
    assert body == cli_events_text(SMALL_DOCUMENT, 11, tmp_path)
    assert body.count(b"\n") == run.event_count > 100


def test_it_reads_events_from_the_database_a_few_batches_at_a_time(owner, owner_api):
    """The stream is built from the stored batches in seq order, whatever order they were saved."""
    topology = Topology.objects.create(owner=owner, name="T", document=SMALL_DOCUMENT)
    run = Run.objects.create(topology=topology, owner=owner, document=SMALL_DOCUMENT, seed=1)
    for first in (3, 0):  # saved out of order on purpose
        events = [
            {"seq": s, "t": s / 2, "type": "metrics", "nodes": {}} for s in range(first, first + 3)
        ]
        EventBatch.objects.create(run=run, first_seq=first, last_seq=first + 2, events=events)
    lines = _body(owner_api.get(f"/api/runs/{run.pk}/events.jsonl")).decode().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [0, 1, 2, 3, 4, 5]
    assert lines[1] == '{"seq":1,"t":0.5,"type":"metrics","nodes":{}}'


def test_it_exports_the_summary_as_json_and_per_node_csv(owner, owner_api):
    """summary.json is the stored summary; summary.csv has one row per node with its figures."""
    run = _finished_run(owner)
    as_json = owner_api.get(f"/api/runs/{run.pk}/summary.json")
    assert as_json.status_code == 200 and json.loads(as_json.content) == run.summary
    as_csv = owner_api.get(f"/api/runs/{run.pk}/summary.csv")
    assert as_csv.status_code == 200 and as_csv["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode())))
    assert [r["node"] for r in rows] == list(run.summary["nodes"])
    api = next(r for r in rows if r["node"] == "api")
    figures = run.summary["nodes"]["api"]
    assert api["kind"] == "service" and api["instances"] == "3"
    assert int(api["processed"]) == figures["processed"]
    assert float(api["utilization"]) == pytest.approx(figures["utilization"])
    assert int(api["queue_max"]) == figures["queue_max"]


def test_it_refuses_a_summary_before_the_run_finishes(owner, owner_api):
    """A queued run has no summary yet: 400 naming it, not an empty file."""
    topology = Topology.objects.create(owner=owner, name="T", document=SMALL_DOCUMENT)
    run = Run.objects.create(topology=topology, owner=owner, document=SMALL_DOCUMENT, seed=1)
    for export in ("summary.json", "summary.csv"):
        response = owner_api.get(f"/api/runs/{run.pk}/{export}")
        assert response.status_code == 400
        assert response.json()["errors"][0]["path"] == "summary"


@pytest.mark.parametrize("export", EXPORTS)
def test_it_serves_exports_to_whoever_may_see_the_run(
    export, owner, owner_api, collaborator_api, outsider_api, anon_api
):
    """Owner and link holder get each export; without the key, and for an outsider, it is 404."""
    run = _finished_run(owner, visibility=Topology.LINK)
    key = run.topology.share_key
    assert owner_api.get(f"/api/runs/{run.pk}/{export}").status_code == 200
    assert collaborator_api.get(f"/api/runs/{run.pk}/{export}?key={key}").status_code == 200
    assert collaborator_api.get(f"/api/runs/{run.pk}/{export}").status_code == 404
    assert outsider_api.get(f"/api/runs/{run.pk}/{export}").status_code == 404
    assert anon_api.get(f"/api/runs/{run.pk}/{export}").status_code == 404


def test_it_hides_a_private_run_s_exports_from_everyone_else(owner, collaborator_api, outsider_api):
    """A private topology's run: even a share key of nothing opens no export."""
    run = _finished_run(owner, visibility=Topology.PRIVATE)
    key = run.topology.share_key
    for export in EXPORTS:
        assert collaborator_api.get(f"/api/runs/{run.pk}/{export}?key={key}").status_code == 404
        assert outsider_api.get(f"/api/runs/{run.pk}/{export}").status_code == 404
