"""Tell open run sockets at once when someone's access may have ended.

A socket outlives the request that opened it. Each one re-checks its viewer's access
on a slow, jittered schedule (playground/runs/consumer.py), which left a socket streaming
11 to 14 s after its viewer lost access. These receivers send `access.changed` through
the channel layer the moment access can shrink, and each socket told re-checks at once:

- a topology saved (made private, its share key changed) or deleted: the groups of its
  runs that may still have viewers (`run-<id>`, those not ended);
- an API token revoked, a user logged out or deactivated: that user's sockets
  (`viewer-<user id>`, which every socket of a signed-in viewer joins).

Sent after the transaction commits, so the re-check reads the change. Best effort like
every channel-layer message: the slow schedule remains the fallback.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from playground.models import ApiToken, Run, Topology
from playground.runs.broadcast import LAYER_ERRORS, group_name

log = logging.getLogger(__name__)

MESSAGE = {"type": "access.changed"}


def viewer_group(user_id: int) -> str:
    return f"viewer-{user_id}"


def _send(groups: list[str]) -> None:
    layer = get_channel_layer()
    if layer is None or not groups:
        return

    def send() -> None:
        for group in groups:
            try:
                async_to_sync(layer.group_send)(group, MESSAGE)
            except LAYER_ERRORS as error:
                log.warning("%s: could not tell its sockets that access changed: %s", group, error)

    transaction.on_commit(send)


def _run_groups(topology: Topology) -> list[str]:
    live = Run.objects.filter(topology=topology).exclude(status__in=Run.TERMINAL)
    return [group_name(pk) for pk in live.values_list("pk", flat=True)]


@receiver(post_save, sender=Topology)
def topology_saved(sender: Any, instance: Topology, created: bool, **kwargs: Any) -> None:
    if not created:
        _send(_run_groups(instance))


@receiver(pre_delete, sender=Topology)
def topology_deleted(sender: Any, instance: Topology, **kwargs: Any) -> None:
    # Before the delete, while its runs can still be found; sent once it has committed.
    _send(_run_groups(instance))


@receiver(post_delete, sender=ApiToken)
def token_revoked(sender: Any, instance: ApiToken, **kwargs: Any) -> None:
    _send([viewer_group(instance.user_id)])


@receiver(user_logged_out)
def logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        _send([viewer_group(user.pk)])


@receiver(post_save, sender=get_user_model())
def user_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if not created and not instance.is_active:
        _send([viewer_group(instance.pk)])
