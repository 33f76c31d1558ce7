"""With Celery configured, a deadline sweep runs on a worker, never in the web process."""

from __future__ import annotations

import time

import pytest

from patterns import scenarios
from playground.models import Run, Sweep, Topology

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_celery_worker_runs_a_queued_sweep(live_stack, owner) -> None:
    """The task `execute_sweep` claims the queued sweep on a real worker and stores its rows."""
    from playground.celery import app
    from playground.experiments.tasks import execute_sweep

    doc = scenarios.get("sharded-document-search").document
    topology = Topology.objects.create(owner=owner, name="search", document=doc)
    run = Run.objects.create(topology=topology, owner=owner, document=doc, seed=7,
                             status=Run.FINISHED)  # fmt: skip
    sweep = Sweep.objects.create(run=run, owner=owner, node="rank", field="timeout_ms",
                                 values=[60, 240], key="celery")  # fmt: skip
    with app.connection_for_write(live_stack.redis.url) as conn:
        execute_sweep.apply_async((sweep.pk,), connection=conn)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        sweep.refresh_from_db()
        if sweep.status in (Sweep.FINISHED, Sweep.FAILED):
            break
        time.sleep(0.2)
    assert sweep.status == Sweep.FINISHED, (sweep.status, sweep.error)
    assert [r["value"] for r in sweep.rows] == [60, 240]
    assert b"execute_sweep" in live_stack.worker_log.read_bytes()
