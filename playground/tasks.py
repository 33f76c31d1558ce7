"""Celery tasks: thin wrappers that take an id and call the domain function."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.signals import worker_ready


@shared_task(acks_late=True, ignore_result=True)
def execute_run(run_id: int) -> str:
    """Run a simulation. Safe to deliver twice: only one delivery can claim a queued run."""
    from playground.runner import execute

    return execute(run_id)


@worker_ready.connect
def reap_on_start(**kwargs: Any) -> None:
    """A worker that starts after a crash fails the runs the dead one left `running`."""
    from playground.runner import reap_stale_runs

    reap_stale_runs()
