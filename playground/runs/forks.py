"""Fork a run from a moment (docs/experiments.md): ask here, build in the worker.

`request_fork` checks the change against the parent's document, then starts a new
run of the same document and seed through `launch` (the caller's limits apply) with
a `RunFork` row saying where it comes from. Nothing is simulated in the request: the
worker that claims the run calls `simulation_for`, which reads the parent's steps
(faults injected, pools scaled, fields set) up to the fork time from its stored
events, replays them (patterns/forking.py) and applies the change. The fork stores
every event from seq 0, so its stream up to the fork time is the parent's, byte for byte.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

import patterns
from patterns import Problem
from patterns.budget import Budget
from patterns.forking import STEP_EVENTS, check
from patterns.forking import fork as replay_fork
from playground.models import EventBatch, Run, RunFork
from playground.refusals import Refused


def request_fork(
    parent: Run, *, user: Any, session_key: str, at_ms: Any, change: Any, speed: Any = None
) -> Run:
    """A queued fork of `parent` at `at_ms` with `change`; Refused says why not."""
    # Here, not at the top: the runner imports this module (simulation_for), and launch
    # imports what runs the runner (tests/playground/test_layout.py keeps that one way).
    from playground.runs.launch import launch

    if isinstance(at_ms, bool) or not isinstance(at_ms, int | float):
        raise Refused([Problem("t", "t is the fork's moment in simulated ms, a number")])
    at = float(at_ms)
    if at < 0 or at > parent.sim_time_ms:
        raise Refused(
            [
                Problem(
                    "t",
                    f"t must be between 0 and {parent.sim_time_ms:g} ms, how far run "
                    f"{parent.pk} has gone",
                )
            ]
        )
    if parent.status in (Run.QUEUED,) or parent.event_count == 0:
        raise Refused([Problem("t", f"run {parent.pk} has no events yet to fork from")])
    problems = check(patterns.load(parent.document), change)
    if problems:
        raise Refused(problems)
    with transaction.atomic():
        # Inside one transaction: the runner is handed the run once this commits,
        # so it always finds the RunFork row.
        run = launch(
            parent.document,
            user=user,
            session_key=session_key,
            topology=parent.topology,
            scenario=parent.scenario,
            seed=parent.seed,
            speed=speed,
        )
        RunFork.objects.create(run=run, parent=parent, at_ms=at, change=change)
    return run


def parent_steps(parent_id: int, at_ms: float) -> list[dict[str, Any]]:
    """The parent's steps up to `at_ms`, read from its stored events in order."""
    from patterns.forking import steps_of

    parent = Run.objects.get(pk=parent_id)
    events: list[dict[str, Any]] = []
    last_t = -1.0
    for batch in EventBatch.objects.filter(run_id=parent_id).order_by("first_seq").iterator(50):
        for event in batch.events:
            last_t = event["t"]
            if last_t > at_ms:
                break
            if event["type"] in STEP_EVENTS:
                events.append(event)
        if last_t > at_ms:
            break
    else:
        if parent.notice and last_t < at_ms:
            # Past its stored events, a step could be missing: refuse rather than differ.
            raise patterns.TopologyError(
                [Problem("t", f"run {parent_id} stored events only up to {last_t:g} ms")]
            )
    return steps_of(parent.document, events)


def simulation_for(run: Run, budget: Budget) -> patterns.Simulation:
    """The engine of a run: a fresh one, or for a fork, its parent replayed and changed."""
    fork = RunFork.objects.filter(run=run).first()
    if fork is None:
        return patterns.Simulation(run.document, seed=run.seed, budget=budget)
    if fork.steps is None:
        if fork.parent_id is None:
            raise patterns.TopologyError([Problem("parent", "the run it forks was deleted")])
        fork.steps = parent_steps(fork.parent_id, fork.at_ms)
        RunFork.objects.filter(pk=fork.pk).update(steps=fork.steps)
    return replay_fork(run.document, run.seed, fork.steps, fork.at_ms, fork.change, budget)


def as_json(fork: RunFork | None) -> dict[str, Any] | None:
    if fork is None:
        return None
    return {
        "parent": fork.parent_id,
        "t": fork.at_ms,
        "change": fork.change,
        "compare_url": (
            f"/compare/?runs={fork.parent_id},{fork.run_id}&from={fork.at_ms:g}"
            if fork.parent_id
            else None
        ),
    }
