"""Hashes of the event stream and the summary of many runs: a golden check for engine speed work.

Every built-in scenario (its seed and seed 5), the speed benchmark's model
and a few topologies with faults, weights, failures and hashing; each run's
event stream as the CLI writes it, its summary, and the summary with
recording off (which must be the same summary: an unrecorded run counts the
events it does not log). Save before changing the engine, check after: a
change made only for speed must leave every hash as it was.

    .venv/bin/python benchmarks/golden.py /tmp/golden.json          # save
    .venv/bin/python benchmarks/golden.py /tmp/golden.json check    # compare

It runs whichever build `patterns` uses (patterns/build.py), and says which:
save with PATTERNS_PURE=1 and check without it to compare the compiled build
with pure Python (tests/patterns/test_builds.py does, in CI).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import engine as bench  # noqa: E402

from patterns import BUILD_NOTE, Simulation, scenarios  # noqa: E402


def run(doc: dict[str, Any], seed: int | None, record: bool = True) -> tuple[str, str]:
    """(hash of the event stream as JSON lines, hash of the summary).

    The stream is written twice, from a run each: from the event dicts, and
    straight from the logged tuples (`advance_lines`); where the two differ,
    both hashes are given, which no saved hash matches.
    """
    sim = Simulation(doc, seed=seed, record=record)
    h = hashlib.sha256()
    while not sim.done:
        for e in sim.advance(sim.now + 1000.0):
            h.update((json.dumps(e, separators=(",", ":")) + "\n").encode())
    for e in sim.advance(sim.now):
        h.update((json.dumps(e, separators=(",", ":")) + "\n").encode())
    summary = json.dumps(sim.run(), sort_keys=True).encode()
    texts = Simulation(doc, seed=seed, record=record)
    j = hashlib.sha256()
    while not texts.done:
        j.update(texts.advance_lines(texts.now + 1000.0).encode())
    j.update(texts.advance_lines(texts.now).encode())
    stream = h.hexdigest()[:16]
    if j.hexdigest()[:16] != stream:
        stream += " json " + j.hexdigest()[:16]
    return stream, hashlib.sha256(summary).hexdigest()[:16]


def docs() -> Iterator[tuple[str, dict[str, Any], int | None]]:
    from tests.patterns.topologies import balanced, exp

    for sc in scenarios.all():
        for seed in (None, 5):
            yield f"{sc.slug}/{seed}", sc.document, seed
    for alg in ("round_robin", "least_connections", "power_of_two"):
        yield f"bench-{alg}", bench.document(alg, 4000), None
    crash = {"at_ms": 5000, "kind": "crash", "node": "api", "instance": 1, "for_ms": 4000}
    yield (
        "sticky-crash",
        balanced(
            "sticky",
            [("api", 4, exp(20))],
            rate=150,
            duration_ms=20000,
            latency_ms=2,
            faults=[crash],
        ),
        3,
    )
    slow = {"at_ms": 3000, "kind": "slow", "node": "b", "factor": 3, "for_ms": 5000}
    yield (
        "wrr-slow",
        balanced(
            "weighted_round_robin",
            [("a", 2, exp(10)), ("b", 3, exp(25))],
            rate=120,
            duration_ms=15000,
            lb={"weights": {"a": 3, "b#1": 2}},
            faults=[slow],
            failure_rate=0.05,
            queue_limit=5,
        ),
        4,
    )
    yield (
        "chash",
        balanced("consistent_hash", [("a", 5, exp(8))], rate=200, duration_ms=10000, latency_ms=1),
        2,
    )
    yield "random", balanced("random", [("a", 3, exp(8))], rate=200, duration_ms=10000), 2


def main() -> None:
    out = {}
    for name, doc, seed in docs():
        out[name] = [*run(doc, seed), run(doc, seed, record=False)[1]]
    path = Path(sys.argv[1])
    if len(sys.argv) > 2 and sys.argv[2] == "check":
        want = json.loads(path.read_text())
        bad = [k for k in out if want.get(k) != out[k] or out[k][1] != out[k][2]]
        for k in bad:
            print("DIFF", k, want.get(k), out[k])
        print("ok" if not bad else f"{len(bad)} differ", f"({len(out)} runs)")
        print(f"the engine: {BUILD_NOTE}")
        sys.exit(1 if bad else 0)
    path.write_text(json.dumps(out, indent=1))
    print(len(out), "runs saved")
    print(f"the engine: {BUILD_NOTE}")


if __name__ == "__main__":
    main()
