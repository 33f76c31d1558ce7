"""Run one topology several times, changing one node field, to chart a trade-off.

`sweep(doc, "rank", "timeout_ms", [50, 100, 200])` runs the document once per
value (headless, `record=False`, the same seed each time, so only the field
differs) and returns, per value, the latency of the answers and, for
scatter-gathers, how complete they were: what a deadline buys and costs.
"""

from __future__ import annotations

import copy
from typing import Any

from patterns.engine import Simulation
from patterns.topology import Problem, TopologyError, load

MAX_VALUES = 12


def check(
    doc: dict[str, Any], node: str, field: str, values: list[Any]
) -> tuple[dict[str, Any], int]:
    """The loaded document and the index of `node`, or TopologyError as `sweep` would raise.

    Cheap (no simulation): a caller that runs the sweep later refuses bad input at once.
    """
    base = load(doc)
    if not 1 <= len(values) <= MAX_VALUES:
        raise TopologyError([Problem("values", f"give 1 to {MAX_VALUES} values")])
    index = next((i for i, n in enumerate(base["nodes"]) if n["id"] == node), None)
    if index is None or field in ("id", "kind"):
        raise TopologyError([Problem("node", f'no node "{node}" with a field "{field}"')])
    if field not in base["nodes"][index]:
        raise TopologyError([Problem("field", f'{node} has no field "{field}"')])
    return base, index


def sweep(
    doc: dict[str, Any], node: str, field: str, values: list[Any], seed: int | None = None
) -> list[dict[str, Any]]:
    """One row per value: {"value", "latency_ms", "requests", "completeness", "partial_share"}.

    `completeness` is the share of expected replies that made it in time over
    every aggregator (None without one); `partial_share` the share of gathers
    that answered without every reply. Raises TopologyError if `node` or a
    value is invalid, or if there are more than MAX_VALUES values.
    """
    base, index = check(doc, node, field, values)
    rows = []
    for value in values:
        variant = copy.deepcopy(base)
        variant["nodes"][index][field] = value
        summary = Simulation(variant, seed=seed, record=False).run()
        aggs = summary["aggregators"].values()
        expected = sum(a["expected"] for a in aggs)
        gathers = sum(a["complete"] + a["partial"] for a in aggs)
        rows.append(
            {
                "value": value,
                "latency_ms": summary["latency_ms"],
                "requests": summary["requests"],
                "completeness": (
                    round(sum(a["received"] for a in aggs) / expected, 6) if expected else None
                ),
                "partial_share": (
                    round(sum(a["partial"] for a in aggs) / gathers, 6) if gathers else None
                ),
            }
        )
    return rows
