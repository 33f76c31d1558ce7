"""The Celery task of a deadline sweep (playground/experiments/sweeps.py): off the web process.

Named as it was when it lived in `playground/tasks.py`, so queued sweeps still find it.
"""

from __future__ import annotations

from celery import shared_task

from playground.experiments.sweep_tasks import run_sweep_point  # noqa: F401  (registered)
from playground.experiments.sweeps import execute


# Acked early, as runs are (playground/runs/tasks.py); a lost sweep is failed as stale
# (sweeps.fail_stale).
@shared_task(name="playground.tasks.execute_sweep", acks_late=False, ignore_result=True)
def execute_sweep(sweep_id: int) -> str:
    """A deadline sweep. Only one delivery claims it."""
    return execute(sweep_id)


# Acked early, like sweeps: a lost test is failed as stale (abtests.fail_stale). Named as the
# other tasks are, under "playground.tasks", so a queued test finds it whatever module holds it.
@shared_task(name="playground.tasks.execute_ab", acks_late=False, ignore_result=True)
def execute_ab(test_id: int) -> str:
    """An A/B test (experiments/abtests.py), off the web process; one delivery claims it."""
    from playground.experiments.abtests import execute as execute_test

    return execute_test(test_id)
