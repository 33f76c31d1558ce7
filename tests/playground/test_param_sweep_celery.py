"""Parameter sweeps through a real Celery worker: two worker processes on the `runs` queue."""

from __future__ import annotations

import time

import pytest
import redis

from playground.experiments import param_sweeps
from playground.experiments.sweep_models import ParamSweep, SweepPoint
from tests.playground.test_param_sweeps import MM1

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def celery_backend(settings):
    settings.RUN_BACKEND = "celery"


def wait_for(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_every_point_runs_as_a_task_over_both_worker_processes_and_is_stored(
    live_stack, owner, celery_backend
) -> None:
    sweep = param_sweeps.create(owner, MM1, "users", "rate", [10, 20, 30, 40], seeds=3,
                                requests=1500, start=False)  # fmt: skip
    assert sweep.backend == "celery"
    param_sweeps.dispatch(sweep.pk, broker=live_stack.redis.url)
    wait_for(lambda: ParamSweep.objects.get(pk=sweep.pk).status == ParamSweep.FINISHED)
    points = SweepPoint.objects.filter(sweep=sweep)
    assert points.count() == 12 and {p.status for p in points} == {SweepPoint.DONE}
    assert all(p.figures and p.figures["completed"] > 0 and p.task_id for p in points)
    # Both processes of the worker took points: the sweep is spread, not run one by one.
    assert len({p.worker for p in points}) == 2
    assert live_stack.worker_log_text().count("run_sweep_point") >= 12


def test_cancelling_stops_the_remaining_tasks(live_stack, owner, celery_backend) -> None:
    """Cancelled with most points still queued: those are skipped, never run, and their tasks
    are revoked or skip themselves; the queue drains and nothing more is stored."""
    sweep = param_sweeps.create(owner, MM1, "users", "rate", list(range(5, 45)), seeds=2,
                                requests=3000, start=False)  # fmt: skip
    param_sweeps.dispatch(sweep.pk, broker=live_stack.redis.url)
    points = SweepPoint.objects.filter(sweep=sweep)
    wait_for(lambda: points.filter(status=SweepPoint.DONE).count() >= 2)
    assert param_sweeps.cancel(sweep, broker=live_stack.redis.url)
    skipped = set(points.filter(status=SweepPoint.SKIPPED).values_list("pk", flat=True))
    assert len(skipped) >= 60
    broker = redis.Redis.from_url(live_stack.redis.url)
    wait_for(lambda: broker.llen("runs") == 0)
    wait_for(lambda: not points.filter(status=SweepPoint.RUNNING).exists())
    ended = points.exclude(status=SweepPoint.SKIPPED).count()
    time.sleep(1.0)
    assert set(points.filter(status=SweepPoint.SKIPPED).values_list("pk", flat=True)) == skipped
    assert points.exclude(status=SweepPoint.SKIPPED).count() == ended == 80 - len(skipped)
    assert ParamSweep.objects.get(pk=sweep.pk).status == ParamSweep.CANCELLED
    log = live_stack.worker_log_text()
    assert "revoked" in log or "'skipped'" in log
