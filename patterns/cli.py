"""`python -m patterns run FILE [--json] [--seed N] [--events PATH]`.

Exit 0 when the run finished; 2 when the document was refused, with each
problem on its own line on stderr and nothing on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from patterns.engine import Simulation
from patterns.topology import TopologyError, load

# Simulated ms per batch of events written to --events: bounds memory.
_BATCH_MS = 1000.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m patterns")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate a topology file and print its summary")
    run.add_argument("file")
    run.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    run.add_argument("--seed", type=int, default=None, help="override the document's seed")
    run.add_argument("--events", default=None, help="write the event stream as JSON lines here")
    run.add_argument(
        "--fast",
        action="store_true",
        help="record no events (the summary is exact, but its event count is null)",
    )
    args = parser.parse_args(argv)

    try:
        with open(args.file, encoding="utf-8") as f:
            raw = json.load(f)
    except (OSError, ValueError) as exc:
        print(f"{args.file}: cannot read a JSON document: {exc}", file=sys.stderr)
        return 2
    try:
        doc = load(raw)
    except TopologyError as exc:
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        return 2

    if args.fast and args.events:
        print("--fast records no events: it cannot go with --events", file=sys.stderr)
        return 2
    sim = Simulation(doc, seed=args.seed, record=not args.fast)
    if not args.events:
        # Recorded and counted, not built: the summary's `events` is the stream's length.
        while not sim.done:
            sim.discard(sim.now + _BATCH_MS)
    else:
        with open(args.events, "w", encoding="utf-8") as out:
            while not sim.done:
                batch = sim.advance(sim.now + _BATCH_MS)
                out.write("".join(json.dumps(e, separators=(",", ":")) + "\n" for e in batch))
            out.write(
                "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in sim.advance(sim.now))
            )
    summary = sim.run()
    if args.fast:
        summary["events"] = None
    if args.json:
        print(json.dumps(summary))
    else:
        print(_text(summary))
    return 0


def _text(s: dict[str, Any]) -> str:
    r = s["requests"]
    lat = s["latency_ms"]
    lines = [
        f"seed {s['seed']}, {s['sim_time_ms'] / 1000:.1f} s simulated, "
        f"{'unrecorded' if s['events'] is None else s['events']} events",
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
