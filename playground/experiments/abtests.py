"""A/B tests as background jobs (docs/experiments.md): asked for by the API or the page, never
computed inside a request.

`request_ab` checks the variants (patterns/ab.py) and the caller's limits, stores a queued
`ABTest` and hands its id, once committed, to the backend runs use: a Celery task
(`playground.tasks.execute_ab` in playground/experiments/tasks.py, on the default `runs`
queue) with `RUN_BACKEND=celery`,
otherwise a thread of the web process that computes in one spawned, lower-priority
process (as deadline sweeps do, playground/sweeps.py), so the engine's CPU time never
holds the web process's interpreter. Each run (one variant on one seed) is a job of its
own; `done` counts them for the page's progress bar. The analysis (means, paired
differences with 95% t intervals) is stored with the rows once all are in.
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

import patterns
from patterns import Problem
from patterns.ab import FIGURES, check, compare, run_one
from playground.experiments.background import ProcessPool, hand_over
from playground.models import ABTest, Limits, Scenario, Topology
from playground.refusals import Refused
from playground.runs.launch import launch
from playground.topologies.documents import check as check_document

log = logging.getLogger(__name__)

# Requests simulated over the whole test (every variant, every seed): about a minute of
# engine time on one core in pure Python, less compiled.
MAX_REQUESTS = 3_000_000
# How long a test may stay queued or running before it is taken for lost (its process died).
STALE_SECONDS = 1800
MAX_ACTIVE = 4


def expected_requests(doc: dict[str, Any]) -> float:
    total = 0.0
    for node in doc["nodes"]:
        if node["kind"] in ("client", "source"):
            n = node["rate"] * doc["duration_ms"] / 1000
            total += min(n, node["requests"]) if node.get("requests") else n
    return total


def fail_stale() -> None:
    cutoff = timezone.now() - timedelta(seconds=STALE_SECONDS)
    ABTest.objects.filter(status__in=ABTest.ACTIVE, created__lt=cutoff).update(
        status=ABTest.FAILED,
        error="the test was lost before it finished (its worker stopped): start it again",
        finished=timezone.now(),
    )


def request_ab(
    document: Any,
    variants: Any,
    seeds: Any,
    *,
    user: Any,
    session_key: str,
    name: str = "",
    topology: Topology | None = None,
    scenario: Scenario | None = None,
) -> ABTest:
    """A queued A/B test; Refused (with the problems) when it cannot go ahead."""
    anonymous = user is None or not user.is_authenticated
    limits = Limits.current()
    base = check_document(document, anonymous=anonymous, limits=limits)
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        # A count of seeds: 1..K.
        seeds = list(range(1, seeds + 1))
    try:
        docs = check(base, variants, seeds)
    except patterns.TopologyError as error:
        raise Refused(error.problems) from None
    for k, doc in enumerate(docs):
        try:
            check_document(doc, anonymous=anonymous, limits=limits)
        except Refused as refused:
            raise Refused(
                [Problem(f"variants[{k}]: {p.path}", p.message) for p in refused.problems]
            ) from None
    work = sum(expected_requests(d) for d in docs) * len(seeds)
    if work > MAX_REQUESTS:
        raise Refused(
            [
                Problem(
                    "seeds",
                    f"about {work:,.0f} requests in all, over the limit of {MAX_REQUESTS:,}: "
                    "fewer seeds, a shorter duration or a lower rate",
                )
            ]
        )
    fail_stale()
    mine = ABTest.objects.filter(status__in=ABTest.ACTIVE)
    mine = (
        mine.filter(owner__isnull=True, session_key=session_key)
        if anonymous
        else mine.filter(owner=user)
    )
    if mine.exists():
        raise Refused([Problem("ab", "you have an A/B test in progress: wait for it to finish")])
    if ABTest.objects.filter(status__in=ABTest.ACTIVE).count() >= MAX_ACTIVE:
        raise Refused([Problem("ab", "the server is busy with other tests: try again shortly")])
    test = ABTest.objects.create(
        owner=None if anonymous else user,
        session_key=session_key if anonymous else "",
        topology=topology,
        scenario=scenario,
        name=name[:200],
        document=document,
        variants=variants,
        seeds=seeds,
        total=len(docs) * len(seeds),
    )
    transaction.on_commit(lambda: start(test.pk))
    return test


def start(test_id: int) -> None:
    # Imported when called: the task module imports this one to run the test.
    from playground.experiments.tasks import execute_ab

    hand_over(lambda: execute_ab, execute, test_id, f"ab-{test_id}")


# The web process's one A/B process (the embedded setup; a Celery worker runs its own).
_pool = ProcessPool()


def _run(doc: dict[str, Any], seed: int) -> dict[str, float]:
    if settings.RUN_BACKEND == "celery":
        return run_one(doc, seed)  # already in a worker process
    return _pool.get().submit(run_one, doc, seed).result()


def execute(test_id: int) -> str:
    """Run a queued test and store its rows and analysis, or its error. One caller claims it."""
    claimed = ABTest.objects.filter(pk=test_id, status=ABTest.QUEUED).update(
        status=ABTest.RUNNING, started=timezone.now()
    )
    if not claimed:
        return "not queued"
    test = ABTest.objects.get(pk=test_id)
    try:
        docs = check(patterns.load(test.document), test.variants, test.seeds)
        rows: list[list[dict[str, float]]] = []
        done = 0
        for doc in docs:
            per_seed = []
            for seed in test.seeds:
                per_seed.append(_run(doc, seed))
                done += 1
                ABTest.objects.filter(pk=test_id).update(done=done)
            rows.append(per_seed)
        names = [v["name"] for v in test.variants]
        result = compare(names, test.seeds, rows)
    except Exception as error:  # the engine or its process failed: say so, keep serving
        log.exception("A/B test %s failed", test_id)
        ABTest.objects.filter(pk=test_id).update(
            status=ABTest.FAILED, error=f"the test failed: {error}", finished=timezone.now()
        )
        return "failed"
    ABTest.objects.filter(pk=test_id).update(
        status=ABTest.FINISHED, rows=rows, result=result, finished=timezone.now()
    )
    return "finished"


def as_json(test: ABTest) -> dict[str, Any]:
    return {
        "id": test.pk,
        "name": test.name,
        "status": test.status,
        "done": test.done,
        "total": test.total,
        "variants": test.variants,
        "seeds": test.seeds,
        "figures": list(FIGURES),
        "rows": test.rows,
        "result": test.result,
        "error": test.error,
        "topology": test.topology_id,
        "scenario": test.scenario.slug if test.scenario_id and test.scenario else None,
        "created": test.created.isoformat(),
        "finished": test.finished.isoformat() if test.finished else None,
        "url": f"/ab/{test.pk}/",
        "watch_runs": test.watch_runs,
    }


def watch(test: ABTest, *, user: Any, session_key: str) -> ABTest:
    """Start one recorded run per variant on the first seed, to watch side by side; once.

    Ordinary runs (playground/launch.py: the caller's limits and concurrency apply), at full
    speed: the page replays their stored events in step. Refused (from `launch`) when the
    caller may not start that many runs now.
    """
    if test.watch_runs:
        return test
    docs = check(patterns.load(test.document), test.variants, test.seeds)
    with transaction.atomic():
        ids = [
            launch(
                doc,
                user=user,
                session_key=session_key,
                topology=test.topology,
                scenario=test.scenario,
                seed=test.seeds[0],
                speed="max",
            ).pk
            for doc in docs
        ]
        ABTest.objects.filter(pk=test.pk).update(watch_runs=ids)
    test.watch_runs = ids
    return test


def as_csv(test: ABTest) -> str:
    """Two tables in one file: each run's figures, then the analysis (means, differences, CI)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["variant", "seed", *FIGURES])
    for variant, per_seed in zip(test.variants, test.rows or [], strict=False):
        for seed, figures in zip(test.seeds, per_seed, strict=False):
            writer.writerow([variant["name"], seed, *(figures[f] for f in FIGURES)])
    writer.writerow([])
    writer.writerow(["row", "variant", "versus", "figure", "mean", "ci95_low", "ci95_high"])
    result = test.result or {"variants": [], "differences": []}
    for variant in result["variants"]:
        for figure, stats in variant["figures"].items():
            writer.writerow(
                ["variant", variant["name"], "", figure, stats["mean"], stats["low"], stats["high"]]
            )
    for diff in result["differences"]:
        for figure, stats in diff["figures"].items():
            writer.writerow(
                [
                    "difference",
                    diff["name"],
                    diff["versus"],
                    figure,
                    stats["mean"],
                    stats["low"],
                    stats["high"],
                ]
            )
    return out.getvalue()
