"""A run's budget through the web runner: a storm fails, named, and the worker stays its size.

The runs here go through the API and the runner's thread backend, so the process
that runs them is this one, and its own figures (/proc/self/status) measure them.
"""

from __future__ import annotations

import gc
import json
import re
import time

import pytest
from django.test import Client

from playground.models import EventBatch, Limits, Run
from tests.patterns.test_budget import doubling, report_loop
from tests.playground.conftest import bearer, make_world

pytestmark = pytest.mark.django_db(transaction=True)

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def thread_backend(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.RUN_BACKEND = "thread"


def memory() -> dict[str, int]:
    """This process's resident set now (VmRSS) and at its peak (VmHWM), in bytes."""
    text = open("/proc/self/status").read()
    return {
        k: int(re.search(rf"{k}:\s+(\d+) kB", text).group(1)) * 1024 for k in ("VmRSS", "VmHWM")
    }


def reset_peak() -> None:
    """Start VmHWM again from the current RSS (Linux: "5" to clear_refs)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def start(client: Client, key: str, document: dict, speed: object) -> dict:
    """Save the document and start a run of it over the API, as a script would."""
    saved = client.post(
        "/api/topologies",
        {"name": "storm", "document": document},
        content_type="application/json",
        headers=bearer(key),
    )
    assert saved.status_code == 201, saved.content
    started = client.post(
        f"/api/topologies/{saved.json()['id']}/runs",
        {"speed": speed},
        content_type="application/json",
        headers=bearer(key),
    )
    assert started.status_code == 201, started.content
    return started.json()


def wait_ended(client: Client, key: str, run_id: int, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = client.get(f"/api/runs/{run_id}", headers=bearer(key)).json()
        if answer["status"] in (Run.FINISHED, Run.FAILED, Run.CANCELLED):
            return answer
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not end within {timeout} s")


def test_issue_12s_document_fails_named_and_the_worker_stays_its_size():
    """The asynchronous report with reports <-> jobs, at speed 1: failed within seconds,
    the reason naming the loop, and the process that ran it no larger than before.

    Before the budget, the worker went from 174 MB to 2.35 GB in 17 s and kept it."""
    world = make_world()
    client = Client()
    gc.collect()
    before = memory()["VmRSS"]
    reset_peak()
    run = start(client, world["owner_key"], report_loop(), 1)
    answer = wait_ended(client, world["owner_key"], run["id"])
    gc.collect()
    after = memory()
    assert answer["status"] == Run.FAILED
    assert re.match(r"(jobs|reports): a message has taken 100 asynchronous hops", answer["reason"])
    assert "over the limit of 100 hops" in answer["reason"]
    assert answer["summary"]["stopped"]["reason"] == answer["reason"]
    assert after["VmHWM"] - before < 150 * MB, (before, after)
    assert after["VmRSS"] - before < 50 * MB, (before, after)


def test_a_doubling_storm_fails_at_the_in_flight_limit_and_memory_is_given_back():
    """A topic whose consumers each publish back on it: failed at the site's in-flight limit,
    naming the topic. The same process runs it again: it peaks within a bound and ends the
    size it was, so a worker that keeps taking runs does not grow with each storm
    (the first run also warms up what any first run does: measured 113 -> 147 MB)."""
    world = make_world()
    client = Client()
    first = start(client, world["owner_key"], doubling(), "max")
    wait_ended(client, world["owner_key"], first["id"])
    gc.collect()
    before = memory()["VmRSS"]
    reset_peak()
    run = start(client, world["owner_key"], doubling(), "max")
    answer = wait_ended(client, world["owner_key"], run["id"])
    gc.collect()
    after = memory()
    assert answer["status"] == Run.FAILED, answer["reason"]
    assert answer["reason"].startswith("events: ")
    assert "messages in flight, over the limit of 50,000" in answer["reason"]
    assert after["VmHWM"] - before < 150 * MB, (before, after)
    # Alone it ends within 5 MB of where it began; late in the full suite this long-lived,
    # fragmented process kept 29 MB of the heap. Without the budget a storm grew by gigabytes.
    assert after["VmRSS"] - before < 50 * MB, (before, after)


def test_it_stores_events_up_to_the_limit_and_says_what_it_left_out():
    """Past Limits.max_stored_events the run goes on uncounted in the store; its summary is
    complete and the run (and its summary) says how many events were stored."""
    Limits.objects.update_or_create(pk=1, defaults={"max_stored_events": 1000})
    world = make_world()
    client = Client()
    run = start(client, world["owner_key"], world["topology"].document, "max")
    answer = wait_ended(client, world["owner_key"], run["id"])
    assert answer["status"] == Run.FINISHED, answer["reason"]
    assert answer["events"] == 1000
    assert "only the first 1,000 events are stored" in answer["notice"]
    summary = answer["summary"]
    assert summary["stored_events"] == 1000 and summary["notice"] == answer["notice"]
    assert summary["events"] > 1000
    requests = summary["requests"]
    assert requests["started"] == requests["completed"] > 0
    stored = sum(len(b.events) for b in EventBatch.objects.filter(run_id=run["id"]))
    assert stored == 1000
    page = client.get(
        f"/api/runs/{run['id']}/events?after=-1&limit=5000", headers=bearer(world["owner_key"])
    ).json()
    assert [e["seq"] for e in page["events"]] == list(range(1000))
    json.dumps(summary)  # still plain JSON


def test_the_api_saves_an_amplifying_document_with_its_warning():
    """Saved (201), with `warnings` naming the cycle; a scenario's document has none."""
    world = make_world()
    client = Client()
    saved = client.post(
        "/api/topologies",
        {"name": "loop", "document": report_loop()},
        content_type="application/json",
        headers=bearer(world["owner_key"]),
    )
    assert saved.status_code == 201
    (warning,) = saved.json()["warnings"]
    assert warning["path"] == 'nodes[1] "jobs"'
    assert "asynchronous cycle jobs -> reports -> jobs" in warning["message"]
    again = client.get(f"/api/topologies/{saved.json()['id']}", headers=bearer(world["owner_key"]))
    assert again.json()["warnings"] == [warning]
    plain = client.get(
        f"/api/topologies/{world['topology'].pk}", headers=bearer(world["owner_key"])
    )
    assert plain.json()["warnings"] == []


def test_the_editor_panel_answers_with_the_warnings():
    """The editor's side panel validates the whole document: its result carries the warnings."""
    world = make_world()
    client = Client()
    client.force_login(world["owner"])
    answer = client.post(
        "/editor/panel/",
        {"document": json.dumps(report_loop()), "where": "nodes", "index": "1"},
    )
    assert answer.status_code == 200
    result = re.search(
        r'<script[^>]*id="panel-result"[^>]*>(.*?)</script>', answer.content.decode(), re.S
    )
    assert result is not None
    warnings = json.loads(result.group(1))["warnings"]
    assert len(warnings) == 1 and "jobs -> reports -> jobs" in warnings[0]["message"]
