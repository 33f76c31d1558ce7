"""The WebSocket of a run: `/ws/runs/<id>/?after=SEQ`, every event once, in order, then live.

On connect the consumer joins the run's group first, then sends the status
and the stored events after `after`, then the live batches, dropping what it
already sent. The channel layer is best effort, so a live batch that arrives
after a gap is preceded by the missing events read from the database, and a
viewer whose run has gone quiet checks the database every few seconds: the
stream it sends has no gap and no duplicate whatever the layer lost.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from importlib import import_module
from types import SimpleNamespace
from typing import Any, cast
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from playground.accounts import access
from playground.models import ApiToken, EventBatch, Run
from playground.refusals import Refused
from playground.runs.broadcast import LAYER_ERRORS, group_name
from playground.runs.controls import control
from playground.runs.reaper import reap_stale_runs
from playground.runs.revocation import viewer_group

log = logging.getLogger(__name__)

# How often a quiet viewer re-joins the group and checks the database.
RESYNC_SECONDS = 3.0
# How often an open socket re-checks that its viewer may still see the run (a revoked
# token, a logout, a topology made private), in case the channel layer lost the
# `access.changed` message that makes it check at once (playground/runs/revocation.py).
# Controls re-check on every message; checking every resync costs 100 viewers 33
# authorisations a second on the web process's database thread, which showed in the live
# p95 (viewers who joined together would also check together: each schedule is jittered).
ACCESS_RECHECK_SECONDS = 15.0
# Stored batches read per query when catching up.
REPLAY_ROWS = 50
REPLAY_FRAME_EVENTS = 5000
CONTROL_PARAMS = ("speed", "fault", "node", "instances")


def user_from_token(headers: list[tuple[bytes, bytes]]) -> Any:
    """The user of an `Authorization: Bearer TOKEN` header.

    None without the header; AnonymousUser for a bad token, so it is not
    silently replaced by the session's user."""
    for name, value in headers:
        if name.lower() == b"authorization":
            key = ApiToken.bearer_key(value.decode("latin-1"))
            token = ApiToken.active(key) if key is not None else None
            return token.user if token is not None else AnonymousUser()
    return None


def session_user(session_key: str | None) -> Any:
    """The user logged in to this session now (AnonymousUser once it has logged out)."""
    if not session_key:
        return AnonymousUser()
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    # get_user reads only the request's session: a stand-in carrying it is enough.
    return get_user(cast(HttpRequest, SimpleNamespace(session=store)))


def access_to_run(run: Run, user: Any, session_key: str | None, key: str | None) -> str | None:
    """The access: "control" for whoever started the run, "view" for a viewer, None otherwise.

    The web API's rules (`playground.accounts.access`), so the socket and /api/runs agree.
    """
    if access.can_control_run(user, session_key, run):
        return "control"
    if access.can_view_run(user, session_key, run, key):
        return "view"
    return None


class RunConsumer(AsyncJsonWebsocketConsumer):
    """Streams one run to one viewer and carries its owner's controls to the runner."""

    async def connect(self) -> None:
        self.run_id = int(self.scope["url_route"]["kwargs"]["run_id"])
        query = parse_qs(self.scope.get("query_string", b"").decode())
        try:
            self.last_sent = int(query.get("after", ["-1"])[0])
        except ValueError:
            await self.close(code=4400)
            return
        share_key = query.get("key", [None])[0]
        session = self.scope.get("session")
        session_key = session.session_key if session is not None else None
        self.share_key, self.session_key = share_key, session_key
        run, access = await database_sync_to_async(self._authorise)(session_key, share_key)
        if access is None:
            await self.close()  # before accept: the handshake is refused (403)
            return
        self.may_control = access == "control"
        self.group = group_name(self.run_id)
        self.lock = asyncio.Lock()
        self.last_live = time.monotonic()
        self.sent_status: str | None = None
        self.resync_task: asyncio.Task[None] | None = None
        # Join first, then read: whatever is stored after this can only also arrive live.
        await self.channel_layer.group_add(self.group, self.channel_name)
        if self.viewer_id is not None:
            # Told at once when this viewer's token is revoked or they log out.
            await self.channel_layer.group_add(viewer_group(self.viewer_id), self.channel_name)
        await self.accept()
        run = await database_sync_to_async(Run.objects.get)(pk=self.run_id)
        async with self.lock:
            await self._send_status(run.status_message())
            await self._send_stored()
        if self.sent_status not in Run.TERMINAL:
            self.access_due = time.monotonic() + ACCESS_RECHECK_SECONDS * random.uniform(0.5, 1.5)
            self.resync_task = asyncio.create_task(self._resync())

    def _authorise(
        self, session_key: str | None, share_key: str | None, fresh: bool = False
    ) -> tuple[Run | None, str | None]:
        """The run and this socket's access to it; with fresh, the credentials read again.

        A socket outlives the request that opened it: a revoked token, a logout or a
        topology made private must end its access, not just that of new connections.
        """
        run = Run.objects.select_related("topology").filter(pk=self.run_id).first()
        if run is None:
            return None, None
        user = user_from_token(self.scope.get("headers", []))
        if user is None:
            user = session_user(session_key) if fresh else self.scope.get("user")
        if not fresh:
            self.viewer_id = user.pk if user is not None and user.is_authenticated else None
        return run, access_to_run(run, user, session_key, share_key)

    def _access_now(self) -> str | None:
        return self._authorise(self.session_key, self.share_key, fresh=True)[1]

    async def disconnect(self, code: int) -> None:
        task = getattr(self, "resync_task", None)
        if task is not None:
            task.cancel()
        if hasattr(self, "group"):
            try:
                await self.channel_layer.group_discard(self.group, self.channel_name)
                viewer_id = getattr(self, "viewer_id", None)
                if viewer_id is not None:
                    await self.channel_layer.group_discard(
                        viewer_group(viewer_id), self.channel_name
                    )
            except LAYER_ERRORS as error:
                log.info("run %s: group_discard failed (layer away): %s", self.run_id, error)

    # From the runner ----------------------------------------------------------

    async def events(self, message: dict[str, Any]) -> None:
        """A live batch: forwarded as the runner serialised it, after filling any gap."""
        self.last_live = time.monotonic()
        async with self.lock:
            first, last = message["first_seq"], message["last_seq"]
            if last <= self.last_sent:
                return
            if first > self.last_sent + 1:
                await self._send_stored(upto=first - 1)
            if first == self.last_sent + 1:
                await self.send(text_data=message["frame"])
            else:
                frame = json.loads(message["frame"])
                frame["events"] = [e for e in frame["events"] if e["seq"] > self.last_sent]
                await self.send_json(frame)
            self.last_sent = last

    async def status(self, message: dict[str, Any]) -> None:
        self.last_live = time.monotonic()
        async with self.lock:
            if message["status"] in Run.TERMINAL:
                # The runner stores before it reports the end: send what we lack first.
                await self._send_stored()
            await self._send_status(message)

    async def access_changed(self, message: dict[str, Any]) -> None:
        """Someone's access may have ended (playground/runs/revocation.py): check this socket's
        now."""
        access = await database_sync_to_async(self._access_now)()
        if access is None:
            log.info("run %s: a viewer's access ended; closing its socket", self.run_id)
            await self.close(code=4403)
            return
        self.may_control = self.may_control and access == "control"

    async def error(self, message: dict[str, Any]) -> None:
        if self.may_control:
            await self.send_json({"type": "error", "message": message["message"]})

    # From the viewer ---------------------------------------------------------

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or "action" not in content:
            await self.send_json({"type": "error", "message": 'expected {"action": ...}'})
            return
        action = content["action"]
        if not self.may_control:
            await self.send_json(
                {"type": "error", "message": "only the run's owner may control it"}
            )
            return
        params = {k: content[k] for k in CONTROL_PARAMS if k in content}
        try:
            await database_sync_to_async(self._control)(action, params)
        except Refused as refused:
            await self.send_json(
                {"type": "error", "message": str(refused), "errors": refused.errors()}
            )
            return
        await self.send_json({"type": "ack", "action": action})

    def _control(self, action: str, params: dict[str, Any]) -> None:
        if self._access_now() != "control":
            self.may_control = False
            raise Refused.one("action", "only the run's owner may control it")
        control(Run.objects.get(pk=self.run_id), action, **params)

    # Helpers -----------------------------------------------------------------

    async def _send_status(self, message: dict[str, Any]) -> None:
        frame: dict[str, Any] = {
            k: message[k]
            for k in ("status", "reason", "notice", "last_seq", "sim_time_ms", "speed")
            if k in message
        }
        self.sent_status = frame["status"]
        await self.send_json({"type": "status", **frame})

    async def _send_stored(self, upto: int | None = None) -> None:
        """Send the stored events after the last one sent (up to `upto`), merged into few frames."""
        while True:
            after = self.last_sent
            rows = await database_sync_to_async(self._stored_after)(after, upto)
            if not rows:
                return
            pending: list[dict[str, Any]] = []
            for events in rows:
                pending.extend(
                    e for e in events if e["seq"] > after and (upto is None or e["seq"] <= upto)
                )
                if len(pending) >= REPLAY_FRAME_EVENTS:
                    await self._send_events(pending)
                    pending = []
            if pending:
                await self._send_events(pending)
            if len(rows) < REPLAY_ROWS:
                return

    async def _send_events(self, events: list[dict[str, Any]]) -> None:
        if events[0]["seq"] != self.last_sent + 1:
            # The database is the truth and has no holes; a hole here is a bug worth hearing about.
            log.error(
                "run %s: stored events jump from %s to %s",
                self.run_id,
                self.last_sent,
                events[0]["seq"],
            )
        # No sent_at: that stamps a live batch's broadcast; a replayed one has none.
        await self.send_json({"type": "events", "events": events})
        self.last_sent = events[-1]["seq"]

    def _stored_after(self, after: int, upto: int | None) -> list[list[dict[str, Any]]]:
        rows = EventBatch.objects.filter(run_id=self.run_id, last_seq__gt=after)
        if upto is not None:
            rows = rows.filter(first_seq__lte=upto)
        return list(rows.order_by("first_seq").values_list("events", flat=True)[:REPLAY_ROWS])

    async def _resync(self) -> None:
        """While the run is live: keep our group membership and catch up if the layer went quiet."""
        while True:
            await asyncio.sleep(RESYNC_SECONDS)
            try:
                # A restarted Redis forgot the group; joining again is idempotent.
                await self.channel_layer.group_add(self.group, self.channel_name)
            except LAYER_ERRORS as error:
                log.info(
                    "run %s: channel layer away (%s); closing so the viewer reconnects",
                    self.run_id,
                    error,
                )
                await self.close(code=1011)
                return
            now = time.monotonic()
            if now >= self.access_due:
                self.access_due = now + ACCESS_RECHECK_SECONDS * random.uniform(0.5, 1.5)
                if await database_sync_to_async(self._access_now)() is None:
                    log.info("run %s: a viewer's access ended; closing its socket", self.run_id)
                    await self.close(code=4403)
                    return
            if time.monotonic() - self.last_live < RESYNC_SECONDS:
                continue
            run = await database_sync_to_async(self._refresh)()
            async with self.lock:
                await self._send_stored()
                if run.status != self.sent_status:
                    await self._send_status(run.status_message())
            if self.sent_status in Run.TERMINAL:
                return

    def _refresh(self) -> Run:
        reap_stale_runs(self.run_id)
        return Run.objects.get(pk=self.run_id)
