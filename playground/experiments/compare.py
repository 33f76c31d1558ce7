"""Runs side by side: the figures of their summaries in rows, the differences marked.

Built for the questions an engineer asks before building: the same topology
with round robin against least connections, or two seeds of one document.
`comparison(runs)` is what `/api/compare` answers and `/compare/` draws.
"""

from __future__ import annotations

from typing import Any

from playground.accounts import access
from playground.accounts.access import AnyUser
from playground.models import Run
from playground.refusals import Refused

MAX_RUNS = 8
# Share keys a link collaborator may pass: one per run at most is ever useful (a run has
# one topology, a topology one key). Each key is tried against each run in memory.
MAX_KEYS = MAX_RUNS
# How far apart two figures must be (relative) before the row is marked as differing:
# 0.3% is below what a reader would act on, and keeps float noise out.
TOLERANCE = 0.003

OUTCOMES = ("started", "completed", "failed", "rejected", "timed_out")
PERCENTILES = ("mean", "p50", "p95", "p99", "max")
SAGA_STATES = ("completed", "compensated", "failed", "resumed")
AGGREGATE_FIELDS = ("complete", "partial", "late")


def parse_ids(raw: str | None) -> list[int]:
    """'1,2,3' -> [1, 2, 3]: at least two distinct runs, at most MAX_RUNS."""
    parts = [p.strip() for p in (raw or "").split(",") if p.strip()]
    ids: list[int] = []
    for part in parts:
        if not part.isdigit():
            raise Refused.one("runs", f"runs is a comma-separated list of run ids, not {part!r}")
        if int(part) not in ids:
            ids.append(int(part))
    if len(ids) < 2:
        raise Refused.one("runs", "give at least two run ids to compare: ?runs=1,2")
    if len(ids) > MAX_RUNS:
        raise Refused.one("runs", f"compare at most {MAX_RUNS} runs at once, not {len(ids)}")
    return ids


def parse_keys(raw: str | None) -> list[str]:
    """'k1,k2' -> ['k1', 'k2']: the share keys to try, at most MAX_KEYS distinct ones."""
    keys = list(dict.fromkeys(k.strip() for k in (raw or "").split(",") if k.strip()))
    if len(keys) > MAX_KEYS:
        raise Refused.one(
            "key", f"give at most {MAX_KEYS} share keys (one per run compared), not {len(keys)}"
        )
    return keys


def visible_runs(
    user: AnyUser, session_key: str | None, ids: list[int], keys: list[str]
) -> tuple[list[Run], list[int]]:
    """The runs the caller may see, in the order asked, and the ids they may not (each 'not found').

    A link collaborator passes the share keys they hold; each run is tried with each.
    One query for all of them, whatever the number of runs and keys: the checks
    themselves read only the run and its topology (playground.accounts.access).
    """
    found = Run.objects.select_related("topology", "scenario").in_bulk(ids)
    runs: list[Run] = []
    hidden: list[int] = []
    # No keys: each run is tried once, without one.
    candidates: list[str | None] = [*keys] or [None]
    for pk in ids:
        run = found.get(pk)
        if run is not None and any(
            access.can_view_run(user, session_key, run, k) for k in candidates
        ):
            runs.append(run)
        else:
            hidden.append(pk)
    return runs, hidden


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _differs(values: list[Any]) -> bool:
    present = [v for v in values if v is not None]
    if len(present) < len(values) and present:
        return True
    numbers = [n for n in (_number(v) for v in present) if n is not None]
    if present and len(numbers) == len(present):
        low, high = min(numbers), max(numbers)
        return high - low > TOLERANCE * max(abs(high), abs(low), 1e-9)
    return len({repr(v) for v in present}) > 1


def _row(
    group: str, label: str, values: list[Any], better: str | None = None, unit: str = ""
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "group": group,
        "label": label,
        "values": values,
        "unit": unit,
        "differs": _differs(values),
        "best": None,
    }
    numbers = [n for n in (_number(v) for v in values) if n is not None]
    if better and row["differs"] and len(numbers) == len(values):
        pick = min if better == "lower" else max
        row["best"] = numbers.index(pick(numbers))
    return row


def _node_settings(document: dict[str, Any]) -> dict[str, Any]:
    """A document flattened to 'node.field' -> value, for spotting what changed between runs."""
    flat: dict[str, Any] = {}
    for key, value in document.items():
        if key not in (
            "nodes",
            "edges",
            "faults",
            "name",
            "description",
            "version",
        ) and not isinstance(value, dict | list):
            flat[key] = value
    for node in document.get("nodes") or []:
        if not isinstance(node, dict):
            continue
        for field, value in node.items():
            if field not in ("id", "x", "y", "label"):
                flat[f"{node.get('id')}.{field}"] = value
    flat["edges"] = len(document.get("edges") or [])
    flat["faults"] = len(document.get("faults") or [])
    return flat


def _setting_text(value: Any) -> Any:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value


def _name(run: Run) -> str:
    if run.topology_id and run.topology:
        return run.topology.name
    return run.scenario.name if run.scenario_id and run.scenario else ""


def run_label(run: Run) -> str:
    name = _name(run)
    return f"Run {run.pk}" + (f" · {name}" if name else "") + f" · seed {run.seed}"


def comparison(runs: list[Run]) -> dict[str, Any]:
    """Every figure of the runs' summaries as rows of values, one per run, differences marked."""
    summaries = [run.summary or {} for run in runs]
    rows: list[dict[str, Any]] = []

    rows.append(_row("Run", "topology", [_name(r) for r in runs]))
    rows.append(_row("Run", "seed", [r.seed for r in runs]))
    rows.append(_row("Run", "status", [r.status for r in runs]))
    settings = [_node_settings(r.document if isinstance(r.document, dict) else {}) for r in runs]
    for key in sorted({k for s in settings for k in s}):
        values = [_setting_text(s.get(key)) for s in settings]
        if _differs(values):
            rows.append(_row("Document", key, values))

    for outcome in OUTCOMES:
        values = [(s.get("requests") or {}).get(outcome) for s in summaries]
        better = {"completed": "higher", "started": None}.get(outcome, "lower")
        rows.append(_row("Requests", outcome.replace("_", " "), values, better))

    for p in PERCENTILES:
        values = [(s.get("latency_ms") or {}).get(p) for s in summaries]
        rows.append(_row("Latency", p, values, "lower", "ms"))

    throughput = []
    for s in summaries:
        completed = _number((s.get("requests") or {}).get("completed"))
        seconds = (_number(s.get("sim_time_ms")) or 0.0) / 1000
        throughput.append(
            round(completed / seconds, 3) if completed is not None and seconds > 0 else None
        )
    rows.append(_row("Throughput", "completed per simulated second", throughput, "higher", "/s"))

    node_ids = list(dict.fromkeys(n for s in summaries for n in (s.get("nodes") or {})))
    for node in node_ids:
        figures = [(s.get("nodes") or {}).get(node) or {} for s in summaries]
        if all(f.get("utilization") is None for f in figures):
            continue
        rows.append(
            _row("Nodes", f"{node} utilisation", [f.get("utilization") for f in figures], unit="%")
        )
        rows.append(
            _row(
                "Nodes", f"{node} queue high-water", [f.get("queue_max") for f in figures], "lower"
            )
        )

    for lb in dict.fromkeys(b for s in summaries for b in (s.get("load_balancers") or {})):
        picks = [(s.get("load_balancers") or {}).get(lb) or {} for s in summaries]
        for target in dict.fromkeys(t for p in picks for t in p):
            rows.append(_row("Balancers", f"{lb} → {target}", [p.get(target) for p in picks]))

    for agg in dict.fromkeys(a for s in summaries for a in (s.get("aggregators") or {})):
        figures = [(s.get("aggregators") or {}).get(agg) or {} for s in summaries]
        for field in AGGREGATE_FIELDS:
            better = "higher" if field == "complete" else "lower"
            rows.append(
                _row("Aggregators", f"{agg} {field}", [f.get(field) for f in figures], better)
            )

    sagas = [s.get("sagas") or {} for s in summaries]
    if any(_number(g.get(state)) for g in sagas for state in SAGA_STATES):
        for state in SAGA_STATES:
            better = {"completed": "higher", "resumed": None}.get(state, "lower")
            rows.append(_row("Sagas", state, [g.get(state) for g in sagas], better))

    return {
        "runs": [
            {
                "id": r.pk,
                "label": run_label(r),
                "topology": r.topology_id,
                "seed": r.seed,
                "status": r.status,
                "finished": r.summary is not None,
                "latency_ms": {p: (s.get("latency_ms") or {}).get(p) for p in PERCENTILES},
            }
            for r, s in zip(runs, summaries, strict=True)
        ],
        "rows": rows,
    }
