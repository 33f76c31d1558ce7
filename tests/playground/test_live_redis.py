"""The live pipeline through real parts: redis-server, a Celery worker, daphne, websockets."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request

import pytest
from channels.db import database_sync_to_async
from websockets.exceptions import InvalidStatus

from playground.models import Run
from tests.playground.conftest import Viewer, bearer, cli_events, finished, make_world

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def post_json(url: str, body: dict, key: str) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={**bearer(key), "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        return json.loads(response.read())


def seqs(viewer: Viewer) -> list[int]:
    return [e["seq"] for e in viewer.events]


async def test_it_streams_a_celery_run_exactly_as_the_cli_prints_it(live_stack, tmp_path):
    """A run started over the API finishes on the worker; a viewer from the start, one joining
    mid-run and one that
    reconnects with ?after= each get seq 0..N-1 exactly once, equal to the CLI's event stream."""
    world = await database_sync_to_async(make_world)()
    key = world["owner_key"]
    answer = await asyncio.to_thread(
        post_json,
        f"{live_stack.http_base}/api/topologies/{world['topology'].pk}/runs",
        {"speed": 2.0, "seed": 11},
        key,
    )
    run = await database_sync_to_async(Run.objects.get)(pk=answer["id"])
    first = Viewer(live_stack.ws_base, run.pk, bearer(key))
    await first.follow(lambda v: len(v.events) > 50)
    late = Viewer(live_stack.ws_base, run.pk, bearer(key))  # joins mid-run
    flaky = Viewer(live_stack.ws_base, run.pk, bearer(key))
    await flaky.follow(lambda v: len(v.events) > 100)
    await flaky.close()  # drops, misses a stretch, comes back with ?after=
    await asyncio.sleep(0.5)
    await asyncio.gather(*(v.follow(finished) for v in (first, late, flaky)))
    expected = await asyncio.to_thread(cli_events, run.document, run.seed, tmp_path)
    run = await database_sync_to_async(Run.objects.get)(pk=run.pk)
    assert run.status == Run.FINISHED, run.reason
    assert len(expected) == run.event_count > 100
    for viewer in (first, late, flaky):
        assert viewer.events == expected
    assert flaky.connections == 2


async def test_it_refuses_a_viewer_who_may_not_see_the_run(live_stack):
    """Through daphne, the handshake of an outsider to a private run is refused with 403."""
    world = await database_sync_to_async(make_world)()
    outsider = Viewer(live_stack.ws_base, world["run"].pk, bearer(world["outsider_key"]))
    with pytest.raises(InvalidStatus) as refused:
        await outsider.connect()
    assert refused.value.response.status_code == 403


async def test_it_still_delivers_live_to_a_viewer_idle_for_longer_than_5_s(live_stack):
    """A viewer that heard nothing for 6.5 s (past redis-py's default socket timeout) still gets
    the live batches as the runner broadcast them (stamped sent_at), not only database catch-up."""
    world = await database_sync_to_async(make_world)(speed=4.0)
    run = world["run"]
    viewer = Viewer(live_stack.ws_base, run.pk, bearer(world["owner_key"]))
    raw: list[str] = []
    ws = await viewer.connect()
    raw.append(await ws.recv())  # the status: queued
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(ws.recv(), timeout=6.5)
    await database_sync_to_async(live_stack.queue)(run.pk)
    deadline = time.monotonic() + 30
    while not finished(viewer) and time.monotonic() < deadline:
        frame = await asyncio.wait_for(ws.recv(), timeout=10)
        raw.append(frame)
        viewer._take(frame)
    assert viewer.status == "finished"
    live_frames = [f for f in raw if f.startswith('{"type":"events"') and '"sent_at"' in f]
    assert live_frames, "no live batch reached the idle viewer"
    assert seqs(viewer) == list(range(len(viewer.events)))


async def test_it_fails_a_run_whose_worker_is_killed_and_still_serves_its_events(
    own_stack, tmp_path
):
    """kill -9 of the worker mid-run: the run ends failed with a reason (never stays running),
    and the events stored until then are served, equal to the start of the CLI's stream."""
    world = await database_sync_to_async(make_world)(speed=1.0)
    run = world["run"]
    viewer = Viewer(own_stack.ws_base, run.pk, bearer(world["owner_key"]))
    await database_sync_to_async(own_stack.queue)(run.pk)
    await viewer.follow(lambda v: len(v.events) > 30)
    await asyncio.to_thread(own_stack.kill_worker)
    await viewer.follow(finished, timeout=40)
    assert viewer.status == "failed" and "heartbeat" in viewer.statuses[-1]["reason"]
    run = await database_sync_to_async(Run.objects.get)(pk=run.pk)
    assert run.status == Run.FAILED
    replay = Viewer(own_stack.ws_base, run.pk, bearer(world["owner_key"]))
    await replay.follow(lambda v: v.status is not None and len(v.events) >= run.event_count)
    expected = await asyncio.to_thread(cli_events, run.document, run.seed, tmp_path)
    assert replay.events == expected[: run.event_count]
    assert viewer.events == replay.events


async def test_it_completes_every_viewers_stream_across_a_redis_restart(own_stack, tmp_path):
    """Redis restarts mid-run: viewers reconnect, and each ends with the complete stream."""
    world = await database_sync_to_async(make_world)(speed=2.0)
    run = world["run"]
    viewers = [Viewer(own_stack.ws_base, run.pk, bearer(world["owner_key"])) for _ in range(3)]
    await asyncio.gather(*(v.connect() for v in viewers))
    await database_sync_to_async(own_stack.queue)(run.pk)
    await asyncio.gather(*(v.follow(lambda v: len(v.events) > 30) for v in viewers))
    await asyncio.to_thread(own_stack.redis.restart, 1.0)
    await asyncio.gather(*(v.follow(finished, timeout=50) for v in viewers))
    expected = await asyncio.to_thread(cli_events, run.document, run.seed, tmp_path)
    run = await database_sync_to_async(Run.objects.get)(pk=run.pk)
    assert run.status == Run.FINISHED, run.reason
    for viewer in viewers:
        assert viewer.events == expected
