"""`python -m patterns capacity FILE [--load 3e9/day] [--peak 3] [--json] [--check]`.

Prints the capacity estimate (patterns/capacity.py) as a table, or as one JSON
object with `--json`; `--check` also runs the scaled-down copy in the engine
and prints how far the simulation is from the estimate. Exit 0 on success, 2
when the document or an option is refused (each problem on its own line on
stderr, nothing on stdout).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from patterns import capacity
from patterns.topology import TopologyError


def capacity_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file")
    parser.add_argument(
        "--load",
        default=None,
        help='average load, e.g. "3e9/day", "3 billion/day", "1200/s" (default: the '
        "document's own client rates)",
    )
    parser.add_argument("--peak", type=float, default=1.0, help="peak over average (1)")
    parser.add_argument(
        "--target-utilisation",
        type=float,
        default=capacity.DEFAULT_TARGET_UTILISATION,
        help="utilisation to size each pool for (0.7)",
    )
    parser.add_argument("--p99", type=float, default=None, help="size each pool for this p99 (ms)")
    parser.add_argument(
        "--cost-per-hour",
        type=float,
        default=0.0,
        help="cost of an instance-hour for nodes without cost_per_hour (0)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--check",
        action="store_true",
        help="also simulate a scaled-down copy (record off) and report the difference",
    )
    parser.add_argument(
        "--requests", type=int, default=capacity.CHECK_REQUESTS, help="requests in --check"
    )


_UNREADABLE = object()


def read_document(path: str) -> Any:
    """The JSON in `path`, or `_UNREADABLE` after saying why on stderr (both commands)."""
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        reason = "it is nested too deeply"
    # One name per `except`: compiled, a name keeps the type of its first binding.
    except UnicodeDecodeError as undecodable:
        reason = f"it is not UTF-8 text ({undecodable.reason} at byte {undecodable.start})"
    except (OSError, ValueError) as unreadable_file:
        reason = str(unreadable_file)
    print(f"{path}: cannot read a JSON document: {reason}", file=sys.stderr)
    return _UNREADABLE


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def unreadable(raw: Any) -> bool:
    return raw is _UNREADABLE


def capacity_command(args: argparse.Namespace) -> int:
    raw = read_document(args.file)
    if unreadable(raw):
        return 2
    try:
        load = None if args.load is None else capacity.parse_load(args.load)
    except ValueError as bad_load:
        print(f"--load: {bad_load}", file=sys.stderr)
        return 2
    if not 1 <= args.requests <= 10_000_000:
        print("--requests: must be from 1 to 10000000", file=sys.stderr)
        return 2
    try:
        result = capacity.estimate(
            raw,
            load_per_s=load,
            peak_factor=args.peak,
            target_utilisation=args.target_utilisation,
            target_p99_ms=args.p99,
            default_cost_per_hour=args.cost_per_hour,
        )
        check = capacity.cross_check(raw, result, args.requests) if args.check else None
    except TopologyError as exc:
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        return 2
    if check is not None:
        del check["document"]
        result["check"] = check
    print(json.dumps(result) if args.json else table(result))
    return 0


def _fmt(x: Any, digits: int = 1) -> str:
    if x is None:
        return "∞"
    if isinstance(x, float):
        return f"{x:,.{digits}f}"
    return str(x)


def table(result: dict[str, Any]) -> str:
    """The estimate as text: the load, one line per node, the clients, the verdicts."""
    load = result["load"]
    lines = [
        f"load: {_fmt(load['average_per_s'])}/s average ({_fmt(load['per_day'], 0)}/day), "
        f"peak x{load['peak_factor']:g} = {_fmt(load['peak_per_s'])}/s; "
        f"sized for {result['targets']['utilisation']:.0%} utilisation"
        + (
            f" and p99 <= {result['targets']['p99_ms']:g} ms" if result["targets"]["p99_ms"] else ""
        ),
        "",
        f"{'node':<22} {'kind':<13} {'rate/s':>12} {'util now':>9} {'size':>6} {'needed':>8} "
        f"{'resp ms':>10} {'p99 ms':>10} {'$/month':>12}  fit",
    ]
    for node_id, row in result["nodes"].items():
        util = row.get("utilisation")
        shown = "" if "utilisation" not in row else "∞" if util is None else f"{util:.0%}"
        planned = row.get("planned", {})
        response = "" if row["kind"] in ("client", "source") else _fmt(planned.get("response_ms"))
        lines.append(
            f"{node_id[:22]:<22} {row['kind']:<13} {_fmt(row['rate_per_s']):>12} "
            f"{shown:>9} {_fmt(row.get('size', '')):>6} "
            f"{_fmt(row.get('needed', '')):>8} {response:>10} "
            f"{_fmt(planned.get('p99_ms')) if 'p99_ms' in planned else '':>10} "
            f"{_fmt(row.get('planned_cost_per_month', ''), 0):>12}  {row['fit']['status']}"
        )
    lines.append("")
    for client, c in result["clients"].items():
        lines.append(
            f"end to end, {client}: {_fmt(c['planned_latency_ms'])} ms at the planned size "
            f"({_fmt(c['latency_ms'])} ms as the document is)"
        )
    first = result["first_to_saturate"]
    lines += [
        f"bottleneck at this load: {result['bottleneck']}; first to saturate as load grows: "
        f"{first['node']} at x{first['at_load_factor'] or 0:.3g} this load"
        + (f" (its workers wait on {first['waiting_on']})" if first["waiting_on"] else ""),
        f"saturated as the document sizes them: {', '.join(result['saturated']) or 'none'}",
        f"cost per month: {_fmt(result['cost_per_month'], 0)} as is, "
        f"{_fmt(result['planned_cost_per_month'], 0)} planned",
        f"theory fits: {result['fit']} (per node reasons in --json under nodes.*.fit)",
    ]
    check = result.get("check")
    if check is not None:
        lat = check["latency_ms"]
        diff = lat["difference"]
        lines.append(
            f"cross-check (scaled-down copy, simulated): mean latency {_fmt(lat['simulated_mean'])}"
            f" ms vs {_fmt(lat['predicted_mean'])} ms predicted"
            + ("" if diff is None else f" ({diff:+.1%})")
        )
        for node_id, n in check["nodes"].items():
            d = n["difference"]
            lines.append(
                f"  {node_id}: utilisation {n['simulated_utilisation']} simulated vs "
                f"{n['predicted_utilisation']} predicted" + ("" if d is None else f" ({d:+.1%})")
            )
    return "\n".join(lines)
