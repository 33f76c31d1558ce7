"""A run's viewers on the channel layer: its group, and sending to it from synchronous code.

Best effort: the database holds every event and status, and a viewer that misses a
message catches up from it. The status message itself is `Run.status_message`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# The channel layer is best effort: these mean "Redis is away", never a bug of ours.
LAYER_ERRORS = (RedisError, OSError, asyncio.TimeoutError)


def group_name(run_id: int) -> str:
    return f"run-{run_id}"


def notify(run_id: int, message: dict[str, Any]) -> None:
    """Send to a run's viewers from synchronous code; best effort, the database has the truth."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group_name(run_id), message)
    except LAYER_ERRORS as error:
        log.warning("run %s: could not notify viewers: %s", run_id, error)
