"""The run WebSocket: access, replay after ?after=, live batches with no gap or duplicate."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from playground.asgi import application
from playground.models import EventBatch, Run
from tests.playground.conftest import make_world

pytestmark = pytest.mark.django_db(transaction=True)

IN_MEMORY = {
    "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 5000}}
}


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = IN_MEMORY


def ev(seq: int) -> dict:
    return {"seq": seq, "t": seq * 10.0, "type": "msg.send", "req": seq}


def store(run: Run, first: int, last: int) -> None:
    EventBatch.objects.create(
        run=run, first_seq=first, last_seq=last, events=[ev(s) for s in range(first, last + 1)]
    )


async def connect(run_id: int, key: str | None = None, after: int = -1, headers=None):
    hdrs = list(headers or [])
    if key:
        hdrs.append((b"authorization", f"Bearer {key}".encode()))
    comm = WebsocketCommunicator(application, f"/ws/runs/{run_id}/?after={after}", headers=hdrs)
    connected, code = await comm.connect()
    return comm, connected, code


async def receive_events(comm, until_seq: int) -> tuple[list[dict], list[dict]]:
    events, others = [], []
    while not events or events[-1]["seq"] < until_seq:
        msg = await comm.receive_json_from(timeout=5)
        (events.extend(msg["events"]) if msg["type"] == "events" else others.append(msg))
    return events, others


def live(first: int, last: int) -> dict:
    frame = json.dumps({"type": "events", "events": [ev(s) for s in range(first, last + 1)]})
    return {"type": "events", "first_seq": first, "last_seq": last, "frame": frame}


async def test_it_sends_the_status_then_every_stored_event_after_the_given_seq():
    """On connect: the run's status, then the stored events with seq > after, in order."""
    world = await database_sync_to_async(make_world)()
    run = world["run"]
    await database_sync_to_async(store)(run, 0, 9)
    await database_sync_to_async(store)(run, 10, 24)
    comm, connected, _ = await connect(run.pk, world["owner_key"], after=6)
    assert connected
    status = await comm.receive_json_from(timeout=5)
    assert status["type"] == "status" and status["status"] == "queued"
    events, _ = await receive_events(comm, 24)
    assert [e["seq"] for e in events] == list(range(7, 25))
    await comm.disconnect()


async def test_it_drops_live_events_already_sent_and_fills_gaps_from_the_database():
    """A viewer joining mid-run gets each event once: overlapping live batches are trimmed,
    and a live batch after a lost one is preceded by the lost events read from the database."""
    world = await database_sync_to_async(make_world)()
    run = world["run"]
    await database_sync_to_async(store)(run, 0, 9)
    comm, connected, _ = await connect(run.pk, world["owner_key"])
    assert connected
    await comm.receive_json_from(timeout=5)  # status
    await receive_events(comm, 9)
    layer = get_channel_layer()
    group = f"run-{run.pk}"
    await layer.group_send(group, live(5, 12))  # overlaps what the replay sent
    await database_sync_to_async(store)(run, 10, 12)
    await database_sync_to_async(store)(run, 13, 20)  # stored, but its broadcast was lost
    await database_sync_to_async(store)(run, 21, 25)
    await layer.group_send(group, live(21, 25))
    await layer.group_send(group, live(21, 25))  # a duplicate delivery
    events, _ = await receive_events(comm, 25)
    assert [e["seq"] for e in events] == list(range(10, 26))
    assert await comm.receive_nothing(timeout=0.3)
    await comm.disconnect()


async def test_it_refuses_an_outsider_of_a_private_topology_run():
    """A run of a private topology is refused to anyone but its owner (the handshake fails)."""
    world = await database_sync_to_async(make_world)()
    comm, connected, _ = await connect(world["run"].pk, world["outsider_key"])
    assert not connected
    comm, connected, _ = await connect(world["run"].pk)  # anonymous
    assert not connected
    comm, connected, _ = await connect(world["run"].pk, "pp_not-a-token")
    assert not connected


async def test_it_lets_anyone_watch_a_public_topology_run_but_only_the_owner_control_it():
    """Watchers of a public run receive the stream; their actions are answered with an error."""
    world = await database_sync_to_async(make_world)(visibility="public")
    comm, connected, _ = await connect(world["run"].pk, world["outsider_key"])
    assert connected
    await comm.receive_json_from(timeout=5)
    await comm.send_json_to({"action": "pause"})
    answer = await comm.receive_json_from(timeout=5)
    assert answer["type"] == "error" and "owner" in answer["message"]
    await comm.disconnect()


async def test_it_authenticates_by_session_cookie():
    """The browser's session cookie identifies the owner."""
    from django.test import Client

    world = await database_sync_to_async(make_world)()
    client = Client()
    await database_sync_to_async(client.force_login)(world["owner"])
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    comm, connected, _ = await connect(world["run"].pk, headers=[(b"cookie", cookie)])
    assert connected
    await comm.disconnect()


async def test_it_answers_a_bad_control_with_an_error_naming_the_field():
    """A malformed fault or speed is refused with the field named, and the socket stays open."""
    world = await database_sync_to_async(make_world)()
    comm, connected, _ = await connect(world["run"].pk, world["owner_key"])
    assert connected
    await comm.receive_json_from(timeout=5)
    await comm.send_json_to({"action": "fault", "fault": {"kind": "crash", "node": "nope"}})
    answer = await comm.receive_json_from(timeout=5)
    assert answer["type"] == "error" and answer["errors"][0]["path"].startswith("fault")
    await comm.send_json_to({"action": "speed", "speed": 1000})
    answer = await comm.receive_json_from(timeout=5)
    assert answer["type"] == "error" and answer["errors"][0]["path"] == "speed"
    await comm.send_json_to({"action": "pause"})
    assert (await comm.receive_json_from(timeout=5)) == {"type": "ack", "action": "pause"}
    await comm.disconnect()


async def test_it_stops_obeying_a_token_revoked_while_the_socket_is_open():
    """Revoking the owner's token takes effect at once: its open socket is closed, within
    a second or two (not at the next periodic re-check), and a control sent on it is not applied."""
    from playground.models import ApiToken

    world = await database_sync_to_async(make_world)()
    comm, connected, _ = await connect(world["run"].pk, world["owner_key"])
    assert connected
    await comm.receive_json_from(timeout=5)
    await database_sync_to_async(ApiToken.objects.filter(user=world["owner"]).delete)()
    await comm.send_json_to({"action": "cancel"})
    while True:
        out = await comm.receive_output(timeout=2)
        if out["type"] == "websocket.close":
            break
        answer = json.loads(out["text"])
        assert answer["type"] == "error" and "owner" in answer["message"]
    assert out == {"type": "websocket.close", "code": 4403}
    from playground.models import RunControl

    assert not await database_sync_to_async(RunControl.objects.exists)()


async def test_it_stops_obeying_a_session_that_logged_out():
    """A socket opened with the session cookie cannot control once that session logs out."""
    from django.test import Client

    world = await database_sync_to_async(make_world)()
    client = Client()
    await database_sync_to_async(client.force_login)(world["owner"])
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    comm, connected, _ = await connect(world["run"].pk, headers=[(b"cookie", cookie)])
    assert connected
    await comm.receive_json_from(timeout=5)
    await database_sync_to_async(client.logout)()
    await comm.send_json_to({"action": "pause"})
    # Refused if it gets there before the socket closes (playground/runs/revocation.py), then
    # closed.
    while (out := await comm.receive_output(timeout=2))["type"] != "websocket.close":
        answer = json.loads(out["text"])
        assert answer["type"] == "error" and "owner" in answer["message"]
    assert out["code"] == 4403
    from playground.models import RunControl

    assert not await database_sync_to_async(RunControl.objects.exists)()
