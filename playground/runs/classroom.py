"""A classroom: a presenter's replay followed by every student who opened the follow link.

`/ws/classroom/<room>/?run=ID&key=PASS[&presenter=SECRET]`. The presenter's page sends
where it is (`{"type": "state", "t", "playing", "speed", "lesson"}`) whenever that changes
and once a second; the consumer checks it and passes it to every socket in the room, and the
followers' pages go to that moment and to the same place in the lesson (`lesson`: the step
shown and whether the question or the reveal is up; static/js/classroom.js). Nothing is
stored: a follower who joins says hello, the presenter's page answers with its state at once.
The room is a random name and the presenter's secret is derived from it (`presenter_secret`);
a socket must be allowed to watch the run to join, so a room shows nothing its members could
not see.
"""

from __future__ import annotations

import hmac
import math
import secrets
import time
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core import signing

from patterns.lessons import MAX_STEPS
from playground.models import Run
from playground.runs.consumer import access_to_run, user_from_token

# A presenter's page sends a few states a second at most; more is dropped, not relayed.
MAX_STATES_PER_SECOND = 20
MAX_SPEED = 1000.0
MAX_T_MS = 1e12
# Where the presenter is in the lesson: its question still up, watching the steps, or the
# answer revealed (docs/lessons.md, "On the run view").
LESSON_PHASES = ("question", "steps", "reveal")
ROOM_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


ROOM_SALT = "playground.runs.classroom-presenter"


def new_room() -> tuple[str, str]:
    """A classroom: its room name (in the follow link) and the presenter's secret for it."""
    room = secrets.token_urlsafe(12)
    return room, presenter_secret(room)


def presenter_secret(room: str) -> str:
    """The secret that makes a socket the room's presenter; derived, so nothing is stored."""
    return signing.Signer(salt=ROOM_SALT).signature(room)


def is_presenter(room: str, secret: str | None) -> bool:
    return bool(secret) and hmac.compare_digest(presenter_secret(room), str(secret))


def room_group(run_id: int, room: str) -> str:
    return f"classroom.{run_id}.{room}"


def clean_state(content: Any) -> dict[str, Any] | None:
    """The presenter's state with only the fields followers use, or None if it is not one."""
    if not isinstance(content, dict) or content.get("type") != "state":
        return None
    t, speed, playing = content.get("t"), content.get("speed"), content.get("playing")
    if isinstance(t, bool) or isinstance(speed, bool) or not isinstance(playing, bool):
        return None
    if not isinstance(t, int | float) or not isinstance(speed, int | float):
        return None
    if not (math.isfinite(t) and math.isfinite(speed)):
        return None
    if not (0 <= t <= MAX_T_MS and 0 < speed <= MAX_SPEED):
        return None
    state: dict[str, Any] = {
        "type": "state",
        "t": float(t),
        "speed": float(speed),
        "playing": playing,
    }
    # A malformed lesson position is dropped, not the moment: followers still see the replay.
    lesson = clean_lesson(content.get("lesson"))
    if lesson is not None:
        state["lesson"] = lesson
    return state


def clean_lesson(content: Any) -> dict[str, Any] | None:
    """The presenter's place in the lesson, `{"step": index or None, "phase"}`, or None.

    Only a step index within any lesson's bound and a known phase pass; other keys are
    dropped. The room does not know which lesson the pages show (the follow link names it):
    a follower's page ignores an index past its lesson's steps.
    """
    if not isinstance(content, dict):
        return None
    step, phase = content.get("step"), content.get("phase")
    if phase not in LESSON_PHASES:
        return None
    if step is not None and (
        isinstance(step, bool) or not isinstance(step, int) or not 0 <= step < MAX_STEPS
    ):
        return None
    return {"step": step, "phase": phase}


class ClassroomConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.room = str(self.scope["url_route"]["kwargs"]["room"])
        query = parse_qs(self.scope.get("query_string", b"").decode())
        try:
            run_id = int(query.get("run", [""])[0])
        except ValueError:
            await self.close(code=4400)
            return
        if not (8 <= len(self.room) <= 40 and set(self.room) <= ROOM_CHARS):
            await self.close(code=4400)
            return
        key = query.get("key", [None])[0]
        secret = query.get("presenter", [None])[0]
        session = self.scope.get("session")
        session_key = session.session_key if session is not None else None
        if not await database_sync_to_async(self._may_watch)(run_id, session_key, key):
            await self.close()  # refused at the handshake, as the run's own socket does
            return
        self.presenter = is_presenter(self.room, secret)
        self.group = room_group(run_id, self.room)
        self.followers: set[str] = set()
        self.sent: list[float] = []
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json(
            {"type": "joined", "role": "presenter" if self.presenter else "follower"}
        )
        # A presenter asks who is there; a follower asks where the presenter is.
        await self.channel_layer.group_send(
            self.group,
            {"type": "room.roll" if self.presenter else "room.hello", "from": self.channel_name},
        )

    def _may_watch(self, run_id: int, session_key: str | None, key: str | None) -> bool:
        run = Run.objects.select_related("topology").filter(pk=run_id).first()
        if run is None:
            return False
        user = user_from_token(self.scope.get("headers", []))
        if user is None:
            user = self.scope.get("user")
        return access_to_run(run, user, session_key, key) is not None

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            if not self.presenter:
                await self.channel_layer.group_send(
                    self.group, {"type": "room.left", "from": self.channel_name}
                )
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not self.presenter:
            await self.send_json({"type": "error", "message": "only the presenter leads the room"})
            return
        state = clean_state(content)
        if state is None:
            await self.send_json(
                {
                    "type": "error",
                    "message": 'expected {"type": "state", "t", "playing", "speed", "lesson"?}',
                }
            )
            return
        now = time.monotonic()
        self.sent = [s for s in self.sent if now - s < 1.0]
        if len(self.sent) >= MAX_STATES_PER_SECOND:
            return
        self.sent.append(now)
        await self.channel_layer.group_send(self.group, {"type": "room.state", "state": state})

    # From the room -----------------------------------------------------------------------

    async def room_state(self, message: dict[str, Any]) -> None:
        if not self.presenter:
            await self.send_json(message["state"])

    async def room_hello(self, message: dict[str, Any]) -> None:
        """A follower joined: the presenter counts it and its page sends where it is."""
        if self.presenter:
            self.followers.add(message["from"])
            await self.send_json({"type": "hello", "followers": len(self.followers)})

    async def room_roll(self, message: dict[str, Any]) -> None:
        """A presenter (re)joined: every follower says it is here."""
        if not self.presenter:
            await self.channel_layer.send(
                message["from"], {"type": "room.hello", "from": self.channel_name}
            )

    async def room_left(self, message: dict[str, Any]) -> None:
        if self.presenter:
            self.followers.discard(message["from"])
            await self.send_json({"type": "followers", "followers": len(self.followers)})
