"""Celery tasks: thin wrappers that take an id and call the domain function.

Each task keeps the name it had when this module was `playground/tasks.py`: messages
already queued under it, and any routing by name, go on working.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.signals import worker_process_shutdown, worker_ready, worker_shutdown

from playground.runs.reaper import fail_runs_of_this_process, reap_stale_runs, start_sweeper
from playground.runs.runner import execute


# Acked when a worker takes it (settings.py, "Workers", says why not late): the claim in
# runner.execute is what makes a run start once, and the sweep fails a run whose worker died.
@shared_task(name="playground.tasks.execute_run", acks_late=False, ignore_result=True)
def execute_run(run_id: int) -> str:
    """Run a simulation. Safe to deliver twice: only one delivery can claim a queued run."""
    return execute(run_id)


@worker_ready.connect
def reap_on_start(**kwargs: Any) -> None:
    """A worker that starts fails the runs a dead one left `running`, then sweeps every few s."""
    reap_stale_runs()
    start_sweeper()


@worker_shutdown.connect  # the worker's main process: a threads pool's runs live here
@worker_process_shutdown.connect  # a prefork pool process
def fail_runs_left_on_exit(**kwargs: Any) -> None:
    """Runs still going when their process exits were stopped by a shutdown: say so, not
    "died" (the sweep's guess) a few seconds later. A warm shutdown leaves none behind."""
    fail_runs_of_this_process("its worker was shut down while it ran; start it again")
