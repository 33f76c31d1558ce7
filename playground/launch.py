"""Starting a run: check the limits, create the Run row, hand its id to the runner once committed.

Nothing is started when a limit says no, and the runner never sees a row
that is not committed yet (it may run in another process).
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from patterns import Problem
from playground.documents import Refused, check
from playground.limits import concurrency_problem
from playground.models import Limits, Run, Scenario, Topology

logger = logging.getLogger(__name__)

MIN_SPEED, MAX_SPEED = 0.1, 100.0


def _hand_to_runner(run_id: int) -> None:
    if importlib.util.find_spec("playground.runner") is None:
        # The live pipeline is a separate piece; without it a run cannot start, and says so.
        logger.error("run %s not started: playground.runner is not installed", run_id)
        Run.objects.filter(pk=run_id).update(
            status=Run.FAILED, reason="the run pipeline (playground.runner) is not installed"
        )
        return
    # Imported late: the runner pulls in Celery and the engine's simulator.
    from playground.runner import start_run

    start_run(run_id)


def parse_speed(value: Any) -> float | None:
    """A speed as the API takes it: simulated seconds per wall second, or "max" (None)."""
    if value is None:
        return 1.0
    if value == "max":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Refused([Problem("speed", 'speed is a number or "max"')])
    if not MIN_SPEED <= value <= MAX_SPEED:
        raise Refused(
            [Problem("speed", f'speed {value} is outside {MIN_SPEED}..{MAX_SPEED} (or use "max")')]
        )
    return float(value)


def launch(
    document: dict[str, Any],
    *,
    user,
    session_key: str = "",
    topology: Topology | None = None,
    scenario: Scenario | None = None,
    seed: int | None = None,
    speed: Any = None,
) -> Run:
    """Create a queued run of `document` for this caller, started after commit; or raise Refused."""
    anonymous = user is None or not user.is_authenticated
    limits = Limits.current()
    speed_value = parse_speed(speed)
    doc = check(document, anonymous=anonymous, limits=limits)
    if seed is None:
        seed = int(doc.get("seed", 1))
    if importlib.util.find_spec("playground.runner") is not None:
        from playground.runner import reap_stale_runs

        # A run stuck queued or with a dead worker must not hold a slot of the limit below.
        reap_stale_runs()
    with transaction.atomic():
        if not anonymous:
            # Serialise one user's starts so two at once cannot both slip under the limit.
            get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        problem = concurrency_problem(user, session_key, limits)
        if problem:
            raise Refused([problem])
        run = Run.objects.create(
            topology=topology,
            scenario=scenario,
            owner=None if anonymous else user,
            session_key="" if not anonymous else session_key,
            document=document,
            seed=seed,
            speed=speed_value,
            status=Run.QUEUED,
        )
        transaction.on_commit(lambda: _hand_to_runner(run.pk))
    return run
