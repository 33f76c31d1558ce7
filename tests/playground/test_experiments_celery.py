"""With Celery configured, forks and A/B tests run on a real worker, never in the web process."""

from __future__ import annotations

import time

import pytest

from playground.models import ABTest, EventBatch, Run, RunFork, Topology
from tests.playground.test_experiments_api import DOC, live_parent

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _wait(model, pk: int, done: tuple[str, ...]):
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        row = model.objects.get(pk=pk)
        if row.status in done:
            return row
        time.sleep(0.2)
    raise AssertionError(f"{model.__name__} {pk} did not end")


def _events(run: Run) -> list[list]:
    return [e for b in EventBatch.objects.filter(run=run).order_by("first_seq") for e in b.events]


def test_a_worker_builds_a_fork_by_replaying_its_parent(live_stack, owner) -> None:
    from playground.celery import app
    from playground.runs.tasks import execute_run

    topology = Topology.objects.create(owner=owner, name="two", document=DOC)
    parent = live_parent(owner, topology)
    fork = Run.objects.create(topology=topology, owner=owner, document=DOC, seed=5, speed=None)
    change = {"kind": "fault", "fault": {"kind": "crash", "node": "api", "instance": 0}}
    RunFork.objects.create(run=fork, parent=parent, at_ms=2500.5, change=change)
    with app.connection_for_write(live_stack.redis.url) as conn:
        execute_run.apply_async((fork.pk,), queue="runs", connection=conn)
    fork = _wait(Run, fork.pk, (Run.FINISHED, Run.FAILED))
    assert fork.status == Run.FINISHED, fork.reason
    ours, theirs = _events(fork), _events(parent)
    n = sum(1 for e in theirs if e["t"] <= 2500.5)
    assert ours[:n] == theirs[:n]
    assert ours[n]["type"] == "fault" and ours[n]["t"] == 2500.5
    assert RunFork.objects.get(run=fork).steps[0]["change"]["kind"] == "scale"


def test_a_worker_runs_a_queued_ab_test(live_stack, owner) -> None:
    from playground.celery import app
    from playground.experiments.tasks import execute_ab

    variants = [
        {"name": "A", "set": []},
        {"name": "B", "set": [{"node": "lb", "field": "algorithm", "value": "least_connections"}]},
    ]
    test = ABTest.objects.create(owner=owner, document=DOC, variants=variants, seeds=[1, 2, 3],
                                 total=6)  # fmt: skip
    with app.connection_for_write(live_stack.redis.url) as conn:
        execute_ab.apply_async((test.pk,), connection=conn)
    test = _wait(ABTest, test.pk, (ABTest.FINISHED, ABTest.FAILED))
    assert test.status == ABTest.FINISHED, test.error
    assert test.done == 6 and len(test.rows) == 2 and len(test.rows[0]) == 3
    # The same arrivals in both: the same requests started on each seed.
    assert [r["completed"] for r in test.rows[0]] == [r["completed"] for r in test.rows[1]]
    assert b"execute_ab" in live_stack.worker_log.read_bytes()
