"""A parameter sweep's pure parts: which fields can be swept, one point's run, the statistics
over seeds, and the theory's prediction per value. No Django here
(playground/experiments/param_sweeps.py stores and schedules the points; docs/sweeps.md
describes the whole).

A point is one value of one numeric field of one node (`rate`, `instances`,
`service_time.mean_ms`, `timeout_ms`, `steps.0.retries` ...) run with one seed. Every value
uses the same K seeds (seed, seed+1, ..., seed+K-1), so the values differ only by the field
(common random numbers): the differences between points are less noisy than their spread.
Each point runs for about `requests` requests (its duration is set from the emitters' rates
at that value), so a sweep of the rate does not sweep the sample size too.
"""

from __future__ import annotations

import copy
import math
import time
from typing import Any

from patterns import capacity, schema
from patterns.engine import Simulation
from patterns.nodes import KINDS
from patterns.topology import Problem, TopologyError, load

# Figures of a run's summary a sweep can chart (all per point; the chart shows mean and 95%).
FIGURES = (
    "latency_mean",
    "latency_p50",
    "latency_p95",
    "latency_p99",
    "throughput_per_s",
    "error_share",
    "utilisation",
    "completed",
)
# Of those, the ones the queueing theory predicts (patterns/capacity.py `estimate`).
PREDICTED = ("latency_mean", "utilisation", "throughput_per_s")
# Fields that are numbers but not parameters of the system.
_NOT_PARAMETERS = {"x", "y", "version"}
# Fields that may be null (no deadline, no limit) and still be swept with numbers.
_NULLABLE = {"timeout_ms", "queue_limit", "requests", "fetch_after_ms"}
MAX_POINT_REQUESTS = 50_000
# Request-hops per point (requests × edges): a fan-out to 50 shards costs 50 times a chain.
MAX_POINT_HOPS = 400_000
# t-quantiles (0.975) for the 95% interval of a mean of n seeds, by degrees of freedom n - 1.
_T975 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
    9: 2.262, 10: 2.228, 12: 2.179, 15: 2.131, 20: 2.086, 25: 2.060, 30: 2.042,
}  # fmt: skip


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def numeric_fields(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every sweepable field of every node: [{"node", "field", "value"}], `field` a dotted path."""
    out: list[dict[str, Any]] = []

    def walk(node_id: str, prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key not in _NOT_PARAMETERS:
                    walk(node_id, f"{prefix}{key}.", item)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    walk(node_id, f"{prefix}{i}.", item)
        elif _is_number(value) or (value is None and prefix.rsplit(".", 2)[-2] in _NULLABLE):
            out.append({"node": node_id, "field": prefix[:-1], "value": value})

    for node in load(doc)["nodes"]:
        for key, value in node.items():
            if key not in _NOT_PARAMETERS and key not in ("id", "kind", "label"):
                walk(node["id"], f"{key}.", value)
    return out


def _step(container: Any, part: str) -> Any:
    if isinstance(container, list):
        if not part.isdigit() or int(part) >= len(container):
            raise KeyError(part)
        return int(part)
    if not isinstance(container, dict) or part not in container:
        raise KeyError(part)
    return part


def variant(doc: dict[str, Any], node: str, field: str, value: float) -> dict[str, Any]:
    """The normalised document with `node`'s `field` (a dotted path) set to `value`.

    Raises TopologyError naming the field when there is no such numeric field, or when the
    document with that value is invalid (the engine's own message, e.g. a negative rate).
    """
    base = copy.deepcopy(load(doc))
    spec = next((n for n in base["nodes"] if n["id"] == node), None)
    if spec is None:
        raise TopologyError([Problem("node", f'no node "{node}"')])
    parts = field.split(".")
    target: Any = spec
    try:
        for part in parts[:-1]:
            target = target[_step(target, part)]
        last = _step(target, parts[-1])
    except KeyError:
        raise TopologyError([Problem("field", f'{node} has no field "{field}"')]) from None
    current = target[last]
    if parts[0] in ("id", "kind", "label") or not (
        _is_number(current) or (current is None and parts[-1] in _NULLABLE)
    ):
        raise TopologyError([Problem("field", f"{node}.{field} is not a number")])
    # An integer field stays an integer (instances 3, not 3.0) when the value is whole.
    whole = isinstance(current, int) and float(value).is_integer()
    set_to: int | float = int(value) if whole else value
    target[last] = set_to
    try:
        return load(base)
    except TopologyError as error:
        raise TopologyError(
            [
                Problem("values", f"{field} = {set_to}: {p.path}: {p.message}")
                for p in error.problems
            ]  # fmt: skip
        ) from None


def sized(doc: dict[str, Any], requests: int) -> dict[str, Any]:
    """`doc` (normalised) running for about `requests` requests from its emitters, and at most
    MAX_POINT_HOPS request-hops; caps on requests and faults are kept as the document says."""
    rate = sum(n["rate"] for n in doc["nodes"] if KINDS[n["kind"]].emitter)
    hops = max(1, len(doc["edges"]))
    wanted = min(requests, MAX_POINT_REQUESTS, MAX_POINT_HOPS / hops)
    doc = copy.deepcopy(doc)
    if rate > 0:
        doc["duration_ms"] = min(schema.MAX_MS, max(100.0, wanted / rate * 1000.0))
    return doc


def figures(summary: dict[str, Any]) -> dict[str, float | None]:
    """The chartable figures of one run's summary; `utilisation` is the busiest node's."""
    req = summary["requests"]
    lat = summary["latency_ms"]
    done = req["completed"]
    seconds = summary["sim_time_ms"] / 1000.0
    started = req["started"] or 0
    bad = req["failed"] + req["rejected"] + req["timed_out"]
    util = (summary.get("bottleneck") or {}).get("utilization")
    return {
        "latency_mean": lat["mean"] if done else None,
        "latency_p50": lat["p50"] if done else None,
        "latency_p95": lat["p95"] if done else None,
        "latency_p99": lat["p99"] if done else None,
        "throughput_per_s": round(done / seconds, 6) if seconds else None,
        "error_share": round(bad / started, 6) if started else None,
        "utilisation": util,
        "completed": done,
    }


def run_point(
    doc: dict[str, Any], node: str, field: str, value: float, seed: int, requests: int
) -> dict[str, float | None]:
    """One point: the document at `value`, sized to `requests`, run headless with `seed`."""
    point = sized(variant(doc, node, field, value), requests)
    summary = Simulation(point, seed=seed, record=False).run()
    return figures(summary)


def timed_point(
    doc: dict[str, Any], node: str, field: str, value: float, seed: int, requests: int
) -> tuple[dict[str, float | None], float]:
    """`run_point` and its wall time in seconds: what a local pool's process sends back
    (here, not in playground/, so the process imports no Django)."""
    began = time.monotonic()
    return run_point(doc, node, field, value, seed, requests), time.monotonic() - began


def interval(samples: list[float]) -> dict[str, float | None]:
    """Mean and the 95% interval of the mean (Student's t over the seeds); n is their count."""
    n = len(samples)
    if not n:
        return {"n": 0, "mean": None, "low": None, "high": None}
    mean = sum(samples) / n
    if n == 1:
        return {"n": 1, "mean": mean, "low": None, "high": None}
    sd = math.sqrt(sum((x - mean) ** 2 for x in samples) / (n - 1))
    df = n - 1
    t = _T975.get(df) or next((_T975[k] for k in sorted(_T975, reverse=True) if k <= df), 1.96)
    if df > 30:
        t = 1.96 + 2.4 / df  # within 0.3% of the t-quantile past 30 degrees of freedom
    half = t * sd / math.sqrt(n)
    return {"n": n, "mean": mean, "low": mean - half, "high": mean + half}


def predict(doc: dict[str, Any], node: str, field: str, value: float) -> dict[str, Any]:
    """The theory's answer at `value`: {"fit", "reasons", "reason_keys", "latency_mean",
    "utilisation", "throughput_per_s"} from the capacity estimate at the document's own rates
    (`reason_keys`: each reason as `{"node", "key", "args"}`, capacity.REASONS).

    `fit` is the estimate's: "exact" (the formulas hold: M/M/1, M/M/c, M/G/1, a Jackson network
    of them, a random split), "bound" (deterministic arrivals, deadlines, fork-joins: the curve
    is an upper bound), "approximate" (retries, sticky sessions, faults ...) or "none". A mean
    latency is only predicted when every client's is finite (no saturated queue).
    """
    try:
        est = capacity.estimate(variant(doc, node, field, value))
    except TopologyError as error:
        return {
            "fit": capacity.NONE,
            "reasons": [str(error)],
            "reason_keys": [],
            **dict.fromkeys(PREDICTED),
        }
    reasons = sorted(
        {
            f"{node_id}: {reason}"
            for node_id, row in est["nodes"].items()
            for reason in row["fit"]["reasons"]
        }
    )
    # The same reasons by key, for the web app to say in the page's language
    # (playground/experiments/engine_text.py); `reasons` stays the English, for the CLI and
    # stored sweeps.
    keyed = [
        {"node": node_id, **keyed}
        for node_id, row in est["nodes"].items()
        for keyed in row["fit"]["reason_keys"]
    ]
    clients = est["clients"]
    weight = sum(c["rate_per_s"] or 0.0 for c in clients.values())
    known = weight and all(c["latency_ms"] is not None for c in clients.values())
    mean = (
        sum((c["rate_per_s"] or 0.0) * c["latency_ms"] for c in clients.values()) / weight
        if known
        else None
    )
    pools = [r["utilisation"] for r in est["nodes"].values() if "utilisation" in r]
    saturated = bool(est["saturated"])
    return {
        "fit": est["fit"],
        "reasons": reasons,
        "reason_keys": keyed,
        "latency_mean": None if est["fit"] == capacity.NONE else mean,
        # The busiest pool, as the simulation's `utilisation` figure (None: one is saturated).
        "utilisation": max(pools) if pools and None not in pools else None,
        # Served as fast as it comes while every queue is stable (no losses in the model).
        "throughput_per_s": None if saturated or not weight else weight,
    }
