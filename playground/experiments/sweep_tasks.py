"""The Celery task of a parameter sweep's point (playground/experiments/param_sweeps.py)."""

from __future__ import annotations

from celery import shared_task


# Acked early, as runs (settings.py, "Workers"): the claim makes a point run once.
@shared_task(acks_late=False, ignore_result=True)
def run_sweep_point(point_id: int) -> str:
    """One (value, seed) of a sweep; skips itself when its sweep was cancelled meanwhile."""
    from playground.experiments.param_sweeps import execute_point

    return execute_point(point_id)
