"""An open run socket stops within a second or two of its viewer losing access.

Before, it re-checked only every ~15 s (jittered) and kept streaming 11 to 14 s after
the topology was made private or the viewer logged out. (A revoked token and a logout:
tests/playground/test_consumer.py.)
"""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from playground.asgi import application
from tests.playground.conftest import make_world
from tests.playground.test_consumer import connect, in_memory_layer  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

# Within this of the change (the periodic re-check is 7.5 to 22.5 s away).
PROMPTLY = 2.0


async def closed_promptly(comm) -> bool:
    while True:
        out = await comm.receive_output(timeout=PROMPTLY)
        if out["type"] == "websocket.close":
            return out.get("code") == 4403


async def test_a_collaborators_socket_closes_when_the_topology_is_made_private():
    """The owner makes the topology private through the API: the link viewer's socket ends."""
    world = await database_sync_to_async(make_world)(visibility="link")
    topology = world["topology"]
    _, connected, _ = await connect(world["run"].pk, world["outsider_key"])
    assert not connected  # without the key the outsider sees nothing of a link topology
    share = f"/ws/runs/{world['run'].pk}/?key={topology.share_key}"
    comm = WebsocketCommunicator(application, share)
    connected, _ = await comm.connect()
    assert connected
    assert (await comm.receive_json_from(timeout=5))["type"] == "status"
    owner = Client()

    def make_private() -> int:
        response = owner.patch(
            f"/api/topologies/{topology.pk}",
            json.dumps({"visibility": "private"}),
            content_type="application/json",
            headers={"Authorization": f"Bearer {world['owner_key']}"},
        )
        return response.status_code

    assert await database_sync_to_async(make_private)() == 200
    assert await closed_promptly(comm)
