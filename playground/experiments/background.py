"""Handing a committed background job (a deadline sweep, an A/B test) to the backend runs use.

With `RUN_BACKEND=celery` the job's task is queued; otherwise a daemon thread of this process
runs it and closes the thread's own database connection when done (nobody else would).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection


def hand_over(
    task: Callable[[], Any], execute: Callable[[int], Any], job_id: int, name: str
) -> None:
    """Queue `task()`'s Celery task for `job_id`, or run `execute(job_id)` in a thread."""
    if settings.RUN_BACKEND == "celery":
        task().delay(job_id)
        return
    threading.Thread(target=_run, args=(execute, job_id), name=name, daemon=True).start()


def _run(execute: Callable[[int], Any], job_id: int) -> None:
    try:
        execute(job_id)
    finally:
        connection.close()
