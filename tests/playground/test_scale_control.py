"""The `scale` control: a stage resized live, from the API or the run's WebSocket.

Checked when it is sent (refusals name `node` or `instances`, never a 500) and
applied by the runner within a tick, where it shows as a `scale` event.
"""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from playground.models import Limits, Run, RunControl, Topology
from playground.runs import launch
from tests.playground.conftest import make_world
from tests.playground.test_runner import ended, read_until, watch

PRIVATE = Topology.PRIVATE


@pytest.fixture(autouse=True)
def thread_backend(settings):
    """The embedded default: runs in a thread of this process, the in-memory channel layer."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.RUN_BACKEND = "thread"


@pytest.fixture
def running_run(owner, make_topology):
    topology = make_topology(PRIVATE)
    return Run.objects.create(
        topology=topology,
        owner=owner,
        document=topology.document,
        seed=7,
        speed=1.0,
        status=Run.RUNNING,
    )


@pytest.mark.django_db
def test_it_hands_a_scale_to_the_runner(owner_api, running_run):
    """A valid scale from the run's starter is stored for the runner with its node and size."""
    response = owner_api.post(
        f"/api/runs/{running_run.pk}/control", {"action": "scale", "node": "api", "instances": 5}
    )
    assert response.status_code == 200, response.content
    stored = list(RunControl.objects.filter(run=running_run).values_list("action", "params"))
    assert stored == [("scale", {"node": "api", "instances": 5})]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload, path",
    [
        ({"action": "scale", "instances": 2}, "node"),
        ({"action": "scale", "node": "api"}, "instances"),
        ({"action": "scale", "node": "ghost", "instances": 2}, "node"),
        ({"action": "scale", "node": "lb", "instances": 2}, "node"),
        ({"action": "scale", "node": "users", "instances": 2}, "node"),
        ({"action": "scale", "node": "api", "instances": 0}, "instances"),
        ({"action": "scale", "node": "api", "instances": 51}, "instances"),
        ({"action": "scale", "node": "api", "instances": 2.5}, "instances"),
        ({"action": "scale", "node": "api", "instances": "3"}, "instances"),
        ({"action": "scale", "node": "api", "instances": True}, "instances"),
        ({"action": "scale", "node": 7, "instances": 2}, "node"),
        ({"action": "pause", "node": "api"}, "node"),
        ({"action": "pause", "instances": 2}, "instances"),
    ],
)
def test_it_refuses_a_bad_scale_naming_the_field(owner_api, running_run, payload, path):
    """A missing, unknown, unscalable or out-of-range target: 400 naming the field."""
    response = owner_api.post(f"/api/runs/{running_run.pk}/control", payload)
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["path"] == path
    assert not RunControl.objects.filter(run=running_run).exists()


@pytest.mark.django_db
def test_it_holds_a_scale_to_the_sites_instance_limit(owner_api, running_run):
    """Scaling past Limits.max_instances is refused, as a document with that many would be."""
    Limits.objects.update_or_create(pk=1, defaults={"max_instances": 4})
    url = f"/api/runs/{running_run.pk}/control"
    response = owner_api.post(url, {"action": "scale", "node": "api", "instances": 5})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"path": "instances", "message": "instances 5 is outside 1 to 4"}
    ]
    assert (
        owner_api.post(url, {"action": "scale", "node": "api", "instances": 4}).status_code == 200
    )


@pytest.mark.django_db
def test_it_lets_only_the_starter_scale(collaborator_api, make_topology, owner):
    """Someone who can see the run may not resize its stages: 403."""
    topology = make_topology(Topology.LINK)
    run = Run.objects.create(
        topology=topology, owner=owner, document=topology.document, seed=7, status=Run.RUNNING
    )
    response = collaborator_api.post(
        f"/api/runs/{run.pk}/control?key={topology.share_key}",
        {"action": "scale", "node": "api", "instances": 2},
    )
    assert response.status_code == 403


@pytest.mark.django_db(transaction=True)
async def test_it_refuses_a_bad_scale_on_the_socket_and_keeps_it_open():
    """Over the WebSocket a bad scale is an error naming the field, and a good one is acked."""
    world = await database_sync_to_async(make_world)()
    comm = await watch(world["run"].pk, world["owner_key"])
    await comm.receive_json_from(timeout=5)
    await comm.send_json_to({"action": "scale", "node": "lb", "instances": 3})
    answer = await comm.receive_json_from(timeout=5)
    assert answer["type"] == "error" and answer["errors"][0]["path"] == "node"
    await comm.send_json_to({"action": "scale", "node": "api", "instances": -1})
    answer = await comm.receive_json_from(timeout=5)
    assert answer["type"] == "error" and answer["errors"][0]["path"] == "instances"
    await comm.send_json_to({"action": "scale", "node": "api", "instances": 4})
    assert (await comm.receive_json_from(timeout=5)) == {"type": "ack", "action": "scale"}
    await comm.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_it_resizes_a_live_stage_sent_over_the_socket():
    """A scale sent on the owner's socket reaches the engine: a scale event, then 4 instances up."""
    world = await database_sync_to_async(make_world)(speed=2.0)
    run = world["run"]
    comm = await watch(run.pk, world["owner_key"])
    await database_sync_to_async(launch.start_run)(run.pk)
    await read_until(comm, lambda ev, ot: len(ev) > 5)
    await comm.send_json_to({"action": "scale", "node": "api", "instances": 4})
    events, _ = await read_until(comm, lambda ev, ot: any(e["type"] == "scale" for e in ev))
    scale = next(e for e in events if e["type"] == "scale")
    assert (scale["node"], scale["from"], scale["to"]) == ("api", 2, 4)
    events, _ = await read_until(
        comm,
        lambda ev, ot: any(
            e["type"] == "metrics" and e["nodes"]["api"]["instances_up"] == 4 for e in ev
        ),
    )
    await comm.send_json_to({"action": "cancel"})
    await read_until(comm, ended)
    await comm.disconnect()
