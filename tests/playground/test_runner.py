"""The runner: claim once, pace, store and stream, obey controls, stop at limits, reap the dead."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from playground.asgi import application
from playground.models import EventBatch, Limits, Run
from playground.runs import controls, launch, reaper, runner
from tests.playground.conftest import DOCUMENT, make_world

pytestmark = pytest.mark.django_db(transaction=True)

IN_MEMORY = {
    "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 5000}}
}


@pytest.fixture(autouse=True)
def thread_backend(settings):
    """The embedded default: runs in a thread of this process, the in-memory channel layer."""
    settings.CHANNEL_LAYERS = IN_MEMORY
    settings.RUN_BACKEND = "thread"


async def watch(run_id: int, key: str, after: int = -1) -> WebsocketCommunicator:
    headers = [(b"authorization", f"Bearer {key}".encode())]
    comm = WebsocketCommunicator(application, f"/ws/runs/{run_id}/?after={after}", headers=headers)
    connected, _ = await comm.connect()
    assert connected
    return comm


async def read_until(comm, stop, timeout: float = 30.0) -> tuple[list[dict], list[dict]]:
    """Events and other messages until `stop(events, others)` holds."""
    events, others = [], []
    deadline = time.monotonic() + timeout
    while not stop(events, others):
        msg = await comm.receive_json_from(timeout=max(0.1, deadline - time.monotonic()))
        (events.extend(msg["events"]) if msg["type"] == "events" else others.append(msg))
    return events, others


def ended(events, others) -> bool:
    return any(m["type"] == "status" and m["status"] in Run.TERMINAL for m in others)


def test_it_skips_a_run_that_is_not_queued():
    """A second delivery of the task finds the run claimed and does nothing."""
    run = make_world()["run"]
    Run.objects.filter(pk=run.pk).update(status=Run.RUNNING, worker="elsewhere")
    assert runner.execute(run.pk) == "skipped"
    run.refresh_from_db()
    assert run.worker == "elsewhere" and run.status == Run.RUNNING


def test_it_fails_runs_whose_heartbeat_went_silent():
    """A run whose worker stopped sending heartbeats is failed with a reason; a live one is not."""
    world = make_world()
    stale, fresh = world["run"], Run.objects.create(document=DOCUMENT, seed=1, owner=world["owner"])
    old = timezone.now() - timedelta(seconds=reaper.heartbeat_timeout() + 5)
    Run.objects.filter(pk=stale.pk).update(status=Run.RUNNING, heartbeat=old)
    Run.objects.filter(pk=fresh.pk).update(status=Run.RUNNING, heartbeat=timezone.now())
    assert reaper.reap_stale_runs() == [stale.pk]
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == Run.FAILED and "heartbeat" in stale.reason
    assert fresh.status == Run.RUNNING


def test_it_cancels_a_queued_run_before_any_worker_claims_it():
    """Cancelling a queued run ends it at once, and the late task then skips it."""
    run = make_world()["run"]
    controls.control(run, "cancel")
    run.refresh_from_db()
    assert run.status == Run.CANCELLED
    assert runner.execute(run.pk) == "skipped"


async def test_it_runs_in_a_thread_and_streams_every_event_once():
    """Thread backend: the run finishes, the viewer gets seq 0..N-1 once each, as stored."""
    world = await database_sync_to_async(make_world)(speed=None)
    run = world["run"]
    comm = await watch(run.pk, world["owner_key"])
    await database_sync_to_async(launch.start_run)(run.pk)
    events, others = await read_until(comm, ended)
    await comm.disconnect()
    run = await database_sync_to_async(Run.objects.get)(pk=run.pk)
    assert run.status == Run.FINISHED, run.reason
    assert [e["seq"] for e in events] == list(range(run.event_count))
    assert run.summary["events"] == run.event_count
    stored = await database_sync_to_async(
        lambda: [
            e for b in EventBatch.objects.filter(run=run).order_by("first_seq") for e in b.events
        ]
    )()
    assert stored == events


async def test_it_obeys_pause_resume_speed_fault_and_cancel_from_the_owner():
    """Each control takes effect and shows in the stream: statuses, a fault event, a pause holds."""
    world = await database_sync_to_async(make_world)(speed=2.0)
    run = world["run"]
    comm = await watch(run.pk, world["owner_key"])
    await database_sync_to_async(launch.start_run)(run.pk)
    await read_until(comm, lambda ev, ot: len(ev) > 5)
    await comm.send_json_to({"action": "pause"})
    events, others = await read_until(
        comm, lambda ev, ot: any(m.get("status") == "paused" for m in ot)
    )
    paused_at = (await database_sync_to_async(Run.objects.get)(pk=run.pk)).sim_time_ms
    await asyncio.sleep(0.6)
    assert (await database_sync_to_async(Run.objects.get)(pk=run.pk)).sim_time_ms == paused_at
    await comm.send_json_to({"action": "step"})
    await comm.send_json_to(
        {"action": "fault", "fault": {"kind": "crash", "node": "api", "instance": 0}}
    )
    await comm.send_json_to({"action": "speed", "speed": 5})
    await comm.send_json_to({"action": "resume"})
    events, others = await read_until(
        comm,
        lambda ev, ot: (
            any(e["type"] == "fault" for e in ev) and any(m.get("speed") == 5 for m in ot)
        ),
    )
    fault = next(e for e in events if e["type"] == "fault")
    assert fault["node"] == "api"
    assert any(m.get("status") == "running" for m in others)
    await comm.send_json_to({"action": "cancel"})
    events, others = await read_until(comm, ended)
    await comm.disconnect()
    run = await database_sync_to_async(Run.objects.get)(pk=run.pk)
    assert run.status == Run.CANCELLED and "owner" in run.reason


async def test_it_stops_a_run_past_the_wall_clock_limit():
    """A run longer than Limits.max_run_wall_seconds is stopped with a reason saying so."""

    def setup():
        Limits.objects.update_or_create(pk=1, defaults={"max_run_wall_seconds": 1})
        return make_world(speed=0.1)

    world = await database_sync_to_async(setup)()
    comm = await watch(world["run"].pk, world["owner_key"])
    await database_sync_to_async(launch.start_run)(world["run"].pk)
    _, others = await read_until(comm, ended, timeout=10)
    await comm.disconnect()
    final = others[-1]
    assert final["status"] == "cancelled" and "wall-clock limit" in final["reason"]


def test_it_fails_a_run_left_queued_past_the_queue_timeout(client):
    """A queued run nobody claimed (its start was lost) is failed on read, with a reason."""
    world = make_world()
    lost, fresh = world["run"], Run.objects.create(document=DOCUMENT, seed=1, owner=world["owner"])
    old = timezone.now() - timedelta(seconds=reaper.queue_timeout() + 5)
    Run.objects.filter(pk=lost.pk).update(created=old)
    response = client.get(
        f"/api/runs/{lost.pk}", headers={"Authorization": f"Bearer {world['owner_key']}"}
    )
    assert response.status_code == 200
    assert response.json()["status"] == Run.FAILED and "queueing" in response.json()["reason"]
    assert reaper.reap_stale_runs() == []
    fresh.refresh_from_db()
    assert fresh.status == Run.QUEUED
    assert runner.execute(lost.pk) == "skipped"  # a late message finds nothing to claim
