"""Instructions per request of each model, counted by callgrind: figures load cannot skew.

Timings on a shared 2-core machine move by 10-30% from run to run; an
instruction count does not move at all for the same interpreter and inputs.
Each model runs under `valgrind --tool=callgrind` for N and 2N requests, and
the difference divided by N is its cost per request (start-up cancels out).
Instructions are not time (cache misses and branch mispredictions are not in
them), so this complements benchmarks/engine.py rather than replacing it: use
it to tell whether a change to the engine made the per-request path shorter.

Our engine is counted in both builds (docs/engine-builds.md), each with
recording off, with its events logged as tuples, and with them written in
their stored form (a line of compact JSON each, `Simulation.advance_lines`); SimPy and the
loops run on pure Python, as in benchmarks/engine.py.

    .venv/bin/python benchmarks/instructions.py [--requests N] [--algorithm A] [--models M,...]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from engine import build_env  # noqa: E402

OURS = tuple(f"{b}:{r}" for b in ("pure", "compiled") for r in ("off", "tuples", "stored"))
MODELS = ("simpy", "bare", "obligations", *OURS)
LABELS = {
    "simpy": "simpy 4.1.2",
    "bare": "bare heap loop",
    "obligations": "+ obligations",
    **{m: "ours " + m.replace(":", ", ") for m in OURS},
}


def run_model(model: str, algorithm: str, requests: int) -> None:
    """Run one model once (called in the child process under callgrind)."""
    sys.path.insert(0, str(HERE))
    import engine as bench

    if model == "simpy":
        bench.simpy_model(algorithm, requests)
    elif model == "bare":
        bench.bare_loop(algorithm, requests)
    elif model == "obligations":
        bench.obligations_loop(algorithm, requests)
    else:
        build, recording = model.split(":")
        bench.check_build(build)
        bench.ours(algorithm, requests, recording)


def count(model: str, algorithm: str, requests: int) -> int:
    """Instructions of a whole child process running `model` for `requests`."""
    out = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--child",
            model,
            "--algorithm",
            algorithm,
            "--requests",
            str(requests),
        ],
        capture_output=True,
        text=True,
        check=True,
        # String hashing is randomised per process, which moves dict and set
        # layouts and so the count by a few hundred instructions a request.
        # Our compiled build runs without PATTERNS_PURE; everything else with it.
        env={**build_env(model.split(":")[0]), "PYTHONHASHSEED": "0"},
    )
    found = re.search(r"Collected : (\d+)", out.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no count:\n{out.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--algorithm", default="least_connections")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated")
    parser.add_argument("--child", choices=MODELS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_model(args.child, args.algorithm, args.requests)
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    n = args.requests
    print(f"{args.algorithm}, instructions per request ({n} and {2 * n} requests, callgrind)")
    base = None
    for model in args.models.split(","):
        per = (count(model, args.algorithm, 2 * n) - count(model, args.algorithm, n)) / n
        base = base or per
        print(f"{LABELS[model]:<24} {per:>10,.0f} {base / per:>8.2f}x")


if __name__ == "__main__":
    main()
