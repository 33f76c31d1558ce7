"""/api/runs/{id}/pass and /api/runs/{id}/classroom: a run handed on, read-only.

Whoever may watch a run may hand it on: the pass is the run's own read-only link (its share
key, `playground/access.py`), which opens this one run and nothing else, and its embeddable
player; a classroom adds a room where the caller presents and the link's holders follow.
Handing on gives no one more than the caller has: a topology's viewer may already watch
its runs, and the run's key opens only the run.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Schema

from playground.accounts import access
from playground.api.auth import caller_of
from playground.api.errors import not_found
from playground.models import Run
from playground.runs import classroom as rooms
from playground.runs.lessons import lesson_slug

router = Router(tags=["runs"])
REFUSALS = {400: dict, 401: dict, 403: dict, 404: dict}


class PassOut(Schema):
    key: str
    url: str
    embed_url: str


class ClassroomOut(Schema):
    room: str
    presenter: str
    follow_url: str
    socket: str
    lesson: str | None = None


def _visible(request: HttpRequest, pk: int, key: str | None) -> Run:
    caller = caller_of(request)
    run = access.visible_run(caller.user, caller.session_key(), pk, key)
    if run is None:
        raise not_found("run", pk)
    return run


def _links(request: HttpRequest, run: Run) -> tuple[str, str, str]:
    key = run.share_key
    url = request.build_absolute_uri(
        f"{reverse('run_detail', args=[run.pk])}?{urlencode({'key': key})}"
    )
    embed = request.build_absolute_uri(
        f"{reverse('run_embed', args=[run.pk])}?{urlencode({'key': key, 't': 0})}"
    )
    return key, url, embed


@router.post(
    "/{int:pk}/pass",
    response={200: PassOut, **REFUSALS},
    summary="A read-only link to this run for anyone who has it, and its embeddable player",
)
def run_pass(request: HttpRequest, pk: int, key: str | None = None) -> Any:
    run = _visible(request, pk, key)
    pass_key, url, embed = _links(request, run)
    return {"key": pass_key, "url": url, "embed_url": embed}


@router.post(
    "/{int:pk}/classroom",
    response={200: ClassroomOut, **REFUSALS},
    summary="A classroom: the caller presents this run; the follow link's holders follow",
)
def classroom(
    request: HttpRequest, pk: int, key: str | None = None, lesson: str | None = None
) -> Any:
    run = _visible(request, pk, key)
    pass_key, url, _ = _links(request, run)
    room, secret = rooms.new_room()
    query = urlencode({"run": run.pk, "key": pass_key})
    # The lesson the presenter's page shows (`?lesson=`, read by lesson_slug from the query as
    # on the run page, or else the run's own):
    # the follow link names it, so a student's page opens the same lesson and follows its steps.
    slug = lesson_slug(run, request)
    follow = {"follow": room, **({"lesson": slug} if slug else {})}
    return {
        "room": room,
        "presenter": secret,
        "follow_url": f"{url}&{urlencode(follow)}",
        "socket": f"/ws/classroom/{room}/?{query}",
        "lesson": slug,
    }
