"""A/B: variants of one topology on the same traffic, with paired confidence intervals.

Each variant is the base document with some node fields set (`variant_docs`).
Every variant runs with the same seeds; with the same seed a variant sees the
same arrivals and the same work per request as every other (common random
numbers, patterns/distributions.py and docs/topology.md "Durations"), so the
difference between two variants on one seed is the difference the change
makes, not noise from other traffic. Over K seeds the per-seed differences
are independent: their mean with a Student t interval is the paired estimate
(`compare`). docs/experiments.md says how to read it.
"""

from __future__ import annotations

import copy
import math
from typing import Any, Final

from patterns.engine import Simulation
from patterns.topology import Problem, TopologyError, load

MAX_VARIANTS: Final = 6
MAX_SEEDS: Final = 50
# The figures compared, read from a run's summary (`figures`); lower is better for each
# but `completed` and `ok_share`.
FIGURES: Final = (
    "mean_ms",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "max_ms",
    "completed",
    "failed",
    "timed_out",
    "rejected",
    "ok_share",
)
# Student t 0.975 quantiles for 1..30 degrees of freedom (two-sided 95%). Not `Final`:
# compiled, mypyc left a Final tuple of floats unset at import (NameError in t975).
_T975: tuple[float, ...] = (
    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
    2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
    2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
)  # fmt: skip
_Z975: Final = 1.959963984540054


def t975(df: int) -> float:
    """The 0.975 quantile of Student's t with `df` degrees of freedom."""
    if df < 1:
        return math.inf
    if df <= len(_T975):
        return _T975[df - 1]
    # Cornish-Fisher expansion around the normal quantile: within 1e-4 past 30.
    z = _Z975
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
    )


def interval(values: list[float]) -> dict[str, float | None]:
    """Mean and 95% t interval of independent values: {"mean", "low", "high", "half"}."""
    n = len(values)
    mean = sum(values) / n if n else 0.0
    if n < 2:
        return {"mean": mean, "low": None, "high": None, "half": None}
    var = sum((v - mean) ** 2 for v in values) / (n - 1)
    half = t975(n - 1) * math.sqrt(var / n)
    return {"mean": mean, "low": mean - half, "high": mean + half, "half": half}


def check(doc: Any, variants: Any, seeds: Any) -> list[dict[str, Any]]:
    """The variants' loaded documents, or TopologyError naming what is wrong.

    `variants`: 2 to MAX_VARIANTS of `{"name", "set": [{"node", "field", "value"}]}`;
    the first is the baseline the others are compared with. `seeds`: 1 to MAX_SEEDS ints.
    """
    base = load(doc)
    if not isinstance(variants, list) or not 2 <= len(variants) <= MAX_VARIANTS:
        raise TopologyError([Problem("variants", f"give 2 to {MAX_VARIANTS} variants")])
    if (
        not isinstance(seeds, list)
        or not 1 <= len(seeds) <= MAX_SEEDS
        or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in seeds)
        or len(set(seeds)) != len(seeds)
    ):
        raise TopologyError(
            [Problem("seeds", f"give 1 to {MAX_SEEDS} distinct whole numbers >= 0")]
        )
    return variant_docs(base, variants)


def variant_docs(base: dict[str, Any], variants: list[Any]) -> list[dict[str, Any]]:
    """Each variant's document, loaded (validated and normalised): the base with its fields set."""
    index = {n["id"]: i for i, n in enumerate(base["nodes"])}
    out = []
    names: set[str] = set()
    for k, variant in enumerate(variants):
        path = f"variants[{k}]"
        if not isinstance(variant, dict):
            raise TopologyError([Problem(path, "expected {name, set}")])
        name = variant.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 60 or name in names:
            raise TopologyError([Problem(f"{path}.name", "a distinct name of 1 to 60 characters")])
        names.add(name)
        sets = variant.get("set", [])
        if not isinstance(sets, list):
            raise TopologyError([Problem(f"{path}.set", "a list of {node, field, value}")])
        doc = copy.deepcopy(base)
        for j, item in enumerate(sets):
            where = f"{path}.set[{j}]"
            if not isinstance(item, dict) or item.get("node") not in index:
                raise TopologyError([Problem(f"{where}.node", "no such node")])
            node = doc["nodes"][index[item["node"]]]
            field = item.get("field")
            if not isinstance(field, str) or field in ("id", "kind") or field not in node:
                raise TopologyError(
                    [Problem(f"{where}.field", f"{item['node']} has no field {field!r}")]
                )
            node[field] = item.get("value")
        try:
            out.append(load(doc))
        except TopologyError as error:
            raise TopologyError(
                [Problem(f"{path}: {p.path}", p.message) for p in error.problems]
            ) from None
    return out


def figures(summary: dict[str, Any]) -> dict[str, float]:
    """The compared figures of one run's summary (latencies of the completed requests)."""
    latency = summary["latency_ms"]
    req = summary["requests"]
    started = req["started"]
    return {
        "mean_ms": latency["mean"],
        "p50_ms": latency["p50"],
        "p95_ms": latency["p95"],
        "p99_ms": latency["p99"],
        "max_ms": latency["max"],
        "completed": req["completed"],
        "failed": req["failed"],
        "timed_out": req["timed_out"],
        "rejected": req["rejected"],
        "ok_share": round(req["completed"] / started, 6) if started else 0.0,
    }


def run_one(doc: dict[str, Any], seed: int) -> dict[str, float]:
    """One variant on one seed, headless: its figures."""
    return figures(Simulation(doc, seed=seed, record=False).run())


def compare(
    names: list[str], seeds: list[int], rows: list[list[dict[str, float]]]
) -> dict[str, Any]:
    """Per-variant figures and the paired differences from the first.

    `rows[v][k]` holds variant v's figures on seed k. Answers
    `{"variants": [{"name", "figures": {fig: {"mean", "low", "high", "half"}}}],
      "differences": [{"name", "versus", "figures": {fig: interval of B - A per seed}}]}`.
    """
    variants = []
    for name, per_seed in zip(names, rows, strict=True):
        variants.append(
            {
                "name": name,
                "figures": {f: interval([r[f] for r in per_seed]) for f in FIGURES},
            }
        )
    differences = []
    base = rows[0]
    for name, per_seed in zip(names[1:], rows[1:], strict=True):
        differences.append(
            {
                "name": name,
                "versus": names[0],
                "figures": {
                    f: interval([b[f] - a[f] for a, b in zip(base, per_seed, strict=True)])
                    for f in FIGURES
                },
            }
        )
    return {"seeds": seeds, "variants": variants, "differences": differences}
