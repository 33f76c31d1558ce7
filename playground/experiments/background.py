"""Handing a committed background job (a deadline sweep, an A/B test) to the backend runs use.

With `RUN_BACKEND=celery` the job's task is queued; otherwise a daemon thread of this process
runs it and closes the thread's own database connection when done (nobody else would). The
simulations of such a job run in a `ProcessPool` of the web process, off its event loop.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from django.conf import settings
from django.db import connection

from playground.experiments.sweep_budget import lower_priority


class ProcessPool:
    """The web process's own worker processes for one kind of job, started on first use:
    spawned, so they are no copy of daphne, and at low priority (`lower_priority`), so live
    runs and pages come first. `workers()` says how many, asked when the pool starts."""

    def __init__(self, workers: Callable[[], int] = lambda: 1) -> None:
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def get(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self._workers(),
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=lower_priority,
                )
            return self._pool


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
