"""Passes to a run, the classroom room that relays a presenter's moment, the embeddable player."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from patterns.lessons import MAX_STEPS
from playground.asgi import application
from playground.runs.classroom import clean_lesson, clean_state, new_room
from tests.playground.conftest import bearer, make_world

pytestmark = pytest.mark.django_db(transaction=True)

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = IN_MEMORY


def test_an_outsider_with_the_pass_watches_the_run_read_only_and_without_it_sees_nothing(client):
    world = make_world()
    run = world["run"]
    answer = client.post(f"/api/runs/{run.pk}/pass", headers=bearer(world["owner_key"]))
    assert answer.status_code == 200, answer.content
    body = answer.json()
    key = body["key"]
    assert key == run.share_key
    assert body["url"].endswith(f"/runs/{run.pk}/?key={key}")
    assert f"/runs/{run.pk}/embed/?key={key}&t=0" in body["embed_url"]
    outsider = bearer(world["outsider_key"])
    assert client.get(f"/api/runs/{run.pk}", headers=outsider).status_code == 404
    assert client.get(f"/api/runs/{run.pk}?key={key}", headers=outsider).status_code == 200
    assert client.get(f"/api/runs/{run.pk}/events?key={key}", headers=outsider).status_code == 200
    # Read-only: the pass lets its holder watch, never control.
    refused = client.post(
        f"/api/runs/{run.pk}/control?key={key}",
        {"action": "cancel"},
        content_type="application/json",
        headers=outsider,
    )
    assert refused.status_code in (403, 404)
    # An outsider cannot make a pass to a run they cannot see.
    assert client.post(f"/api/runs/{run.pk}/pass", headers=outsider).status_code == 404


def test_the_embeddable_player_may_be_framed_by_any_site_and_the_run_page_by_none(client):
    world = make_world()
    run = world["run"]
    key = run.share_key
    embed = client.get(f"/runs/{run.pk}/embed/?key={key}&t=1.5")
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed.headers
    assert "frame-ancestors *" in embed.headers["Content-Security-Policy"]
    assert "script-src 'self'" in embed.headers["Content-Security-Policy"]
    assert b'"embedded": true' in embed.content and b'"owner": false' in embed.content
    page = client.get(f"/runs/{run.pk}/?key={key}")
    assert page.status_code == 200
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert client.get(f"/runs/{run.pk}/embed/").status_code == 404


def test_the_presenter_s_state_is_checked(tmp_path):
    assert clean_state({"type": "state", "t": 1500, "playing": True, "speed": 2}) == {
        "type": "state",
        "t": 1500.0,
        "speed": 2.0,
        "playing": True,
    }
    bad = [
        None,
        [],
        {"type": "state", "t": "1", "playing": True, "speed": 1},
        {"type": "state", "t": float("nan"), "playing": True, "speed": 1},
        {"type": "state", "t": -1, "playing": True, "speed": 1},
        {"type": "state", "t": 1, "playing": 1, "speed": 1},
        {"type": "state", "t": 1, "playing": True, "speed": 0},
        {"type": "state", "t": True, "playing": True, "speed": 1},
        {"type": "other", "t": 1, "playing": True, "speed": 1},
    ]
    for state in bad:
        assert clean_state(state) is None, state


def test_the_presenter_s_place_in_the_lesson_is_checked_and_only_it_is_relayed():
    assert clean_lesson({"step": 2, "phase": "steps"}) == {"step": 2, "phase": "steps"}
    assert clean_lesson({"step": None, "phase": "question"}) == {"step": None, "phase": "question"}
    assert clean_lesson({"step": MAX_STEPS - 1, "phase": "reveal"})["step"] == MAX_STEPS - 1
    # Anything else a page might add is dropped, not relayed.
    assert clean_lesson({"step": 0, "phase": "steps", "text": "<img src=x>", "slug": "x"}) == {
        "step": 0,
        "phase": "steps",
    }
    bad = [
        None,
        "steps",
        [0, "steps"],
        {"phase": "steps"} | {"step": -1},
        {"step": MAX_STEPS, "phase": "steps"},
        {"step": 10**12, "phase": "steps"},
        {"step": 1.0, "phase": "steps"},
        {"step": "1", "phase": "steps"},
        {"step": True, "phase": "steps"},
        {"step": 1, "phase": "answer"},
        {"step": 1, "phase": ["steps"]},
        {"step": 1},
    ]
    for place in bad:
        assert clean_lesson(place) is None, place
    # In a state: a good place rides along; a bad one is dropped and the moment still goes.
    base = {"type": "state", "t": 10, "playing": False, "speed": 1}
    assert clean_state(base | {"lesson": {"step": 1, "phase": "steps", "x": 1}})["lesson"] == {
        "step": 1,
        "phase": "steps",
    }
    dropped = clean_state(base | {"lesson": {"step": "9; drop", "phase": "steps"}})
    assert dropped is not None and "lesson" not in dropped


def test_the_follow_link_names_the_lesson(client):
    world = make_world()
    run = world["run"]
    made = client.post(
        f"/api/runs/{run.pk}/classroom?lesson=sticky-sessions-and-a-crash",
        headers=bearer(world["owner_key"]),
    )
    assert made.status_code == 200, made.content
    body = made.json()
    assert body["lesson"] == "sticky-sessions-and-a-crash"
    assert "lesson=sticky-sessions-and-a-crash" in body["follow_url"]
    # A follower's page has the lesson, so its panel can follow the presenter's.
    path = body["follow_url"].split("testserver", 1)[1]
    page = client.get(path)
    assert page.status_code == 200
    assert b'"slug": "sticky-sessions-and-a-crash"' in page.content
    # A lesson that does not exist is not named.
    made = client.post(
        f"/api/runs/{run.pk}/classroom?lesson=no-such-lesson", headers=bearer(world["owner_key"])
    )
    assert "lesson=" not in made.json()["follow_url"].replace(made.json()["room"], "")


async def _join(path: str, headers=()):
    comm = WebsocketCommunicator(application, path, headers=list(headers))
    connected, _ = await comm.connect()
    return comm, connected


async def test_followers_see_the_presenter_s_moment_and_cannot_lead():
    world = await database_sync_to_async(make_world)()
    run = world["run"]
    key = run.share_key
    room, secret = new_room()
    base = f"/ws/classroom/{room}/?run={run.pk}&key={key}"
    outsider = [(b"authorization", f"Bearer {world['outsider_key']}".encode())]

    presenter, ok = await _join(f"{base}&presenter={secret}", outsider)
    assert ok
    assert await presenter.receive_json_from(timeout=5) == {"type": "joined", "role": "presenter"}
    follower, ok = await _join(base)
    assert ok
    assert (await follower.receive_json_from(timeout=5))["role"] == "follower"
    # The presenter hears the follower arrive (its page then sends where it is).
    assert await presenter.receive_json_from(timeout=5) == {"type": "hello", "followers": 1}

    await presenter.send_json_to({"type": "state", "t": 4200.5, "playing": False, "speed": 2})
    assert await follower.receive_json_from(timeout=5) == {
        "type": "state",
        "t": 4200.5,
        "speed": 2.0,
        "playing": False,
    }
    # A follower cannot lead; a presenter's malformed state goes nowhere.
    await follower.send_json_to({"type": "state", "t": 0, "playing": True, "speed": 1})
    assert (await follower.receive_json_from(timeout=5))["type"] == "error"
    await presenter.send_json_to({"type": "state", "t": "soon", "playing": True, "speed": 1})
    assert (await presenter.receive_json_from(timeout=5))["type"] == "error"
    assert await follower.receive_nothing(timeout=0.3)
    # The presenter's place in the lesson goes along, checked.
    await presenter.send_json_to(
        {
            "type": "state",
            "t": 5,
            "playing": True,
            "speed": 1,
            "lesson": {"step": 1, "phase": "steps", "html": "<b>"},
        }
    )
    assert (await follower.receive_json_from(timeout=5))["lesson"] == {"step": 1, "phase": "steps"}

    # A wrong presenter secret makes a follower, not a presenter.
    other, ok = await _join(f"{base}&presenter=nope")
    assert ok and (await other.receive_json_from(timeout=5))["role"] == "follower"
    await other.disconnect()
    await follower.disconnect()
    assert (await presenter.receive_json_from(timeout=5))["type"] in ("hello", "followers")
    await presenter.disconnect()


async def test_a_room_of_a_run_one_may_not_watch_is_refused():
    world = await database_sync_to_async(make_world)()
    run = world["run"]
    room, secret = new_room()
    outsider = [(b"authorization", f"Bearer {world['outsider_key']}".encode())]
    for path in (
        f"/ws/classroom/{room}/?run={run.pk}&presenter={secret}",
        f"/ws/classroom/{room}/?run={run.pk}&key={'not-this-run-s-key'}",
        f"/ws/classroom/{room}/?run=x",
        f"/ws/classroom/bad%20room!/?run={run.pk}&key={run.share_key}",
    ):
        comm, ok = await _join(path, outsider)
        assert not ok, path
