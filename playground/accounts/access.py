"""Who may see and change what. One place, used by the API, the pages and the consumer.

- private: the owner only; link: also anyone holding the share key
  (read-only); public: listed and readable by everyone. Only the owner writes.
- A run is visible to whoever started it (an anonymous visitor: the same
  browser session), to whoever may see its topology, and to anyone holding
  the run's own share key (its read-only link).
- Anything a caller may not see is "not found", never "forbidden": an id
  reveals nothing about private work.
"""

from __future__ import annotations

import secrets

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse

from playground.models import Run, Topology

# Whoever asks: a user, a visitor without an account (AnonymousUser), or nobody at all (None).
AnyUser = User | AnonymousUser | None


def account(user: AnyUser) -> User | None:
    """The caller's account; None for a visitor without one."""
    return user if isinstance(user, User) and user.is_authenticated else None


def _user_id(user: AnyUser) -> int | None:
    return user.pk if user is not None and user.is_authenticated else None


def listed_topologies(user: AnyUser) -> QuerySet[Topology]:
    """What a listing shows: the caller's own topologies and every public one."""
    uid = _user_id(user)
    query = Q(visibility=Topology.PUBLIC)
    if uid is not None:
        query |= Q(owner_id=uid)
    return Topology.objects.filter(query).select_related("owner")


def can_view_topology(user: AnyUser, topology: Topology, key: str | None = None) -> bool:
    if topology.owner_id == _user_id(user) or topology.visibility == Topology.PUBLIC:
        return True
    return (
        topology.visibility == Topology.LINK
        and bool(key)
        and secrets.compare_digest(str(key), topology.share_key)
    )


def can_edit_topology(user: AnyUser, topology: Topology) -> bool:
    return topology.owner_id == _user_id(user)


def visible_topology(user: AnyUser, pk: int, key: str | None = None) -> Topology | None:
    topology = Topology.objects.select_related("owner").filter(pk=pk).first()
    if topology is None or not can_view_topology(user, topology, key):
        return None
    return topology


def topology_by_share_key(key: str) -> Topology | None:
    """The topology a /t/<share_key>/ link opens (link or public ones only)."""
    return Topology.objects.filter(share_key=key).exclude(visibility=Topology.PRIVATE).first()


def is_run_starter(user: AnyUser, session_key: str | None, run: Run) -> bool:
    if run.owner_id is not None:
        return run.owner_id == _user_id(user)
    return (
        bool(session_key)
        and session_key is not None
        and bool(run.session_key)
        and secrets.compare_digest(session_key, run.session_key)
    )


def can_view_run(user: AnyUser, session_key: str | None, run: Run, key: str | None = None) -> bool:
    if is_run_starter(user, session_key, run):
        return True
    # The run's own link: read-only, for anyone holding it (controls stay the starter's).
    if key and run.share_key and secrets.compare_digest(str(key), run.share_key):
        return True
    return run.topology is not None and can_view_topology(user, run.topology, key)


def can_control_run(user: AnyUser, session_key: str | None, run: Run) -> bool:
    """Controls (pause, speed, fault, cancel) belong to whoever started the run."""
    return is_run_starter(user, session_key, run)


def run_share_path(run: Run) -> str:
    """The path of a run's read-only link: the run view with the run's share key."""
    return f"{reverse('run_detail', args=[run.pk])}?key={run.share_key}"


def visible_run(
    user: AnyUser, session_key: str | None, pk: int, key: str | None = None
) -> Run | None:
    run = Run.objects.select_related("topology").filter(pk=pk).first()
    if run is None or not can_view_run(user, session_key, run, key):
        return None
    return run


# The pages' way in: a request, and a 404 for whatever the caller may not see.


def topology_for_page(request: HttpRequest, pk: int) -> Topology:
    """The topology if this user may see it; 404 otherwise (a private id reveals nothing)."""
    topology = visible_topology(request.user, pk, request.GET.get("key"))
    if topology is None:
        raise Http404("No such topology")
    return topology


def run_for_page(request: HttpRequest, pk: int) -> Run:
    """The run if this user may watch it: whoever started it, or whoever may see its topology."""
    run = visible_run(request.user, request.session.session_key, pk, request.GET.get("key"))
    if run is None:
        raise Http404("No such run")
    return run
