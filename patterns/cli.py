"""`python -m patterns run FILE [--json] [--seed N] [--events PATH] [--max-... N]`, and
`python -m patterns capacity FILE --load 3e9/day` (patterns/capacity_cli.py).

Exit status:

- 0: the run finished; its summary is on stdout.
- 2: bad input: the file cannot be read as JSON (not UTF-8, nested too
  deeply, a number too large), the document was refused (each problem on its
  own line), or an option is wrong. The reason is on stderr, nothing on stdout.
- 3: the run went over its budget (patterns/budget.py) and was stopped: the
  reason, naming the node, on stderr; the summary so far on stdout, with `stopped`.
- 1: a bug of the engine: one line on stderr, never a traceback.

`--version` says which build of the engine runs (compiled with mypyc or pure
Python), and so does the `build` field `--json` adds to the summary.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from patterns import BUILD, BUILD_NOTE
from patterns.budget import Budget
from patterns.capacity_cli import (
    capacity_arguments,
    capacity_command,
    read_document,
    unreadable,
)
from patterns.engine import Simulation
from patterns.topology import TopologyError, load

BAD_INPUT = 2
OVER_BUDGET = 3

# Simulated ms per batch of events written to --events: bounds memory.
_BATCH_MS = 1000.0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; never raises, returns the exit status (see the module docstring)."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0  # a reader such as `head` has what it wanted
    except MemoryError:
        print("out of memory: lower the budget (--max-in-flight)", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug of ours: say so on one line rather than a traceback
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def _main(argv: list[str] | None) -> int:
    # Raw: the version line is printed as it is, not wrapped.
    parser = argparse.ArgumentParser(
        prog="python -m patterns", formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"patterns: {BUILD_NOTE}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate a topology file and print its summary")
    run.add_argument("file")
    run.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    run.add_argument("--seed", type=int, default=None, help="override the document's seed")
    run.add_argument("--events", default=None, help="write the event stream as JSON lines here")
    run.add_argument(
        "--fast",
        action="store_true",
        # Once the only way to skip recording (its summary's `events` was null); now
        # what the command does anyway without --events. Kept for scripts that pass it.
        help="record no events (the default without --events; the summary is the same)",
    )
    default = Budget()
    for name, flag, what in _BUDGET_FLAGS:
        run.add_argument(
            flag,
            dest=f"max_{name}",
            type=int,
            default=getattr(default, name),
            metavar="N",
            help=f"stop the run past {what} (default {getattr(default, name):,})",
        )
    capacity = sub.add_parser(
        "capacity", help="estimate per node utilisation, instances, latency and cost at a load"
    )
    capacity_arguments(capacity)
    args = parser.parse_args(argv)
    if args.command == "capacity":
        return capacity_command(args)

    raw = read_document(args.file)
    if unreadable(raw):
        return BAD_INPUT
    try:
        doc = load(raw)
    except TopologyError as exc:
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        return BAD_INPUT

    if args.fast and args.events:
        print("--fast records no events: it cannot go with --events", file=sys.stderr)
        return BAD_INPUT
    try:
        budget = Budget(**{name: getattr(args, f"max_{name}") for name, _, _ in _BUDGET_FLAGS})
    # Each `except` names its own variable: compiled by mypyc, one name keeps the
    # type of its first binding, and another exception bound to it is a TypeError.
    except ValueError as refused:
        print(str(refused), file=sys.stderr)
        return BAD_INPUT
    if args.seed is not None and not -(2**63) <= args.seed < 2**63:
        print(f"--seed must be a 64-bit integer (got {args.seed})", file=sys.stderr)
        return BAD_INPUT
    # Without --events nothing is recorded: each event is only counted where it would
    # be logged, and the summary's `events` is the stream's length all the same.
    sim = Simulation(doc, seed=args.seed, record=bool(args.events), budget=budget)
    if args.events:
        try:
            out = open(args.events, "w", encoding="utf-8")
        except OSError as unwritable:
            print(f"{args.events}: cannot write the events: {unwritable}", file=sys.stderr)
            return BAD_INPUT
        with out:
            while not sim.done:
                out.write(sim.advance_lines(sim.now + _BATCH_MS))
            out.write(sim.advance_lines(sim.now))
    summary = sim.run()
    if args.json:
        print(json.dumps({**summary, "build": BUILD}))
    else:
        print(_text(summary))
    if sim.failure is not None:
        print(f"stopped: {sim.failure}", file=sys.stderr)
        return OVER_BUDGET
    return 0


# The budget's fields, their options, and what the help says each bounds.
_BUDGET_FLAGS = (
    ("in_flight", "--max-in-flight", "this many messages in flight at once"),
    ("events_per_second", "--max-events-per-second", "this many events in a simulated second"),
    ("events", "--max-events", "this many events in all"),
    ("hops", "--max-hops", "this many asynchronous hops of one message"),
)


def _text(s: dict[str, Any]) -> str:
    r = s["requests"]
    lat = s["latency_ms"]
    lines = [
        f"seed {s['seed']}, {s['sim_time_ms'] / 1000:.1f} s simulated, {s['events']} events",
        f"requests: {r['started']} started, {r['completed']} completed, {r['failed']} failed, "
        f"{r['rejected']} rejected, {r['timed_out']} timed out",
        f"latency ms: mean {lat['mean']:.1f}, p50 {lat['p50']:.1f}, p95 {lat['p95']:.1f}, "
        f"p99 {lat['p99']:.1f}, max {lat['max']:.1f}",
    ]
    for node_id, n in s["nodes"].items():
        lines.append(
            f"  {node_id}: {n['processed']} processed, {n['failed']} failed, "
            f"{n['rejected']} rejected, "
            f"utilisation {n['utilization']:.0%}, longest queue {n['queue_max']}"
        )
    for lb, picks in s["load_balancers"].items():
        lines.append(f"  {lb} picks: " + ", ".join(f"{t} {c}" for t, c in picks.items()))
    return "\n".join(lines)
