"""Our engine against SimPy 4.1.2 on the same model, in one process run.

The model: Poisson arrivals into a balancer in front of 8 single-worker
servers with exponential service times, four of them twice as slow as the
others (mean 10 ms and 20 ms), at 320 requests/s (80% load on a slow server
under round robin). Algorithms: round robin, least connections, power of two.
Edges have no latency, as in the SimPy model. Both measure the same thing:
every latency goes into the same log-bucketed histogram (patterns.stats),
read for percentiles at the end. Prints requests/s for each engine and our
ratio to SimPy, with our event recording off and on, and the process's peak
RSS. Recording on is shown three ways, so each figure says what it
includes: "tuples" runs the engine with recording on and drops the compact
tuples it logs (the engine's own hot-path cost); "dicts" also turns them
into event dicts per simulated second (`Simulation.advance`, what the web
runner stores); "stored" turns them into their stored form instead, a
line of compact JSON per event (`Simulation.advance_lines`, what
`python -m patterns run --events` writes and exports give back).

Our engine runs in both builds (docs/engine-builds.md), side by side: each
of its runs is a child process of this one, with `PATTERNS_PURE=1` for the
pure-Python build and without it for the compiled one (which `make setup`
must have built). The child times its run alone, not its start-up. SimPy
and the two loops run in this process, on pure Python (the histogram they
share with us is the pure one, as in every earlier figure).

For least connections it also times two flat loops of the same model (no
engine, arrivals drawn one at a time as SimPy's generator does): the bare
loop, no features at all, the ceiling of pure Python on this machine; and
the same loop doing the bookkeeping our semantics oblige (`obligations_loop`),
the ceiling of any engine that keeps them.
Times are CPU time of this process (`time.process_time`), so that other
work on a shared machine does not skew one engine against the other.

    .venv/bin/python benchmarks/engine.py [--requests N] [--repeat R] [--builds pure,compiled]
    # 10 million requests in flat memory (each child's peak RSS is printed):
    .venv/bin/python benchmarks/engine.py --requests 10000000 --repeat 1 --only-ours \
        --algorithms least_connections --no-recording-only
    # Whole processes: the model as a topology file for `python -m patterns run`,
    # and the same model in SimPy as a process of its own.
    .venv/bin/python benchmarks/engine.py --write-model /tmp/model.json --requests 300000
    .venv/bin/python benchmarks/engine.py --simpy-process --requests 300000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RATE = 320.0  # requests per second
FAST_MS, SLOW_MS = 10.0, 20.0
ALGORITHMS = ("round_robin", "least_connections", "power_of_two")


def document(algorithm: str, requests: int) -> dict[str, Any]:
    service = {"kind": "service", "instances": 4, "concurrency": 1}
    return {
        "version": 1,
        "seed": 7,
        "duration_ms": requests / RATE * 1000 * 2,
        "nodes": [
            {"id": "users", "kind": "client", "rate": RATE, "requests": requests},
            {"id": "lb", "kind": "load_balancer", "algorithm": algorithm},
            {**service, "id": "fast", "service_time": {"dist": "exponential", "mean_ms": FAST_MS}},
            {**service, "id": "slow", "service_time": {"dist": "exponential", "mean_ms": SLOW_MS}},
        ],
        "edges": [
            {"from": "users", "to": "lb", "latency_ms": 0},
            {"from": "lb", "to": "fast", "latency_ms": 0},
            {"from": "lb", "to": "slow", "latency_ms": 0},
        ],
    }


RECORDING = ("off", "tuples", "dicts", "stored")
BUILDS = ("pure", "compiled")


def ours(algorithm: str, requests: int, recording: str) -> tuple[float, float]:
    """Our engine, in whichever build this process loaded (see `in_child`)."""
    from patterns import Simulation

    sim = Simulation(document(algorithm, requests), record=recording != "off")
    start = time.process_time()
    if recording == "tuples":
        # The engine's internals, on purpose: run the kernel with recording
        # on and drop each second's logged tuples unconverted.
        kernel, log = sim.kernel, sim.log
        assert log is not None
        while not sim.done:
            kernel.run(kernel.now + 1000.0)
            log.clear()
        summary = sim.summary()
    elif recording == "dicts":
        while not sim.done:
            sim.advance(sim.now + 1000.0)
        summary = sim.summary()
    elif recording == "stored":
        while not sim.done:
            sim.advance_lines(sim.now + 1000.0)
        summary = sim.summary()
    else:
        summary = sim.run()
    elapsed = time.process_time() - start
    assert summary["requests"]["completed"] == requests, summary["requests"]
    return elapsed, summary["latency_ms"]["mean"]


def build_env(build: str) -> dict[str, str]:
    """The environment of a child process that runs `build` of our engine."""
    env = {k: v for k, v in os.environ.items() if k != "PATTERNS_PURE"}
    if build == "pure":
        env["PATTERNS_PURE"] = "1"
    return env


def check_build(build: str) -> None:
    """Stop unless this process runs `build` of our engine (a stale build runs pure)."""
    import patterns

    if patterns.BUILD != build:
        sys.exit(f"asked for the {build} build, but this runs {patterns.BUILD_NOTE}")


def in_child(build: str, algorithm: str, requests: int, recording: str) -> tuple[float, float]:
    """`ours` in a child process that loads `build` of the engine."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", build, algorithm, str(requests), recording],
        env=build_env(build),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(done.stderr.strip() or f"the {build} child failed")
    elapsed, mean, peak = json.loads(done.stdout)
    PEAKS[build] = max(PEAKS.get(build, 0.0), peak)
    return elapsed, mean


PEAKS: dict[str, float] = {}  # each build's largest child peak RSS, in MB


def histogram() -> Any:
    """patterns.stats.Histogram, loaded alone: importing `patterns` would load the whole
    engine, start-up a SimPy process (`--simpy-process`) should not pay."""
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "patterns" / "stats.py"
    spec = importlib.util.spec_from_file_location("_bench_stats", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Histogram


def simpy_model(algorithm: str, requests: int) -> tuple[float, float]:
    import simpy

    Histogram = histogram()

    env = simpy.Environment()
    rng = random.Random(7)
    servers = [simpy.Resource(env, capacity=1) for _ in range(8)]
    means = [FAST_MS] * 4 + [SLOW_MS] * 4
    inflight = [0] * 8
    state = {"turn": 0, "done": 0}
    latency = Histogram()

    def pick() -> int:
        if algorithm == "round_robin":
            i = state["turn"] % 8
            state["turn"] += 1
            return i
        if algorithm == "least_connections":
            start = state["turn"] % 8
            best = start
            for k in range(1, 8):
                j = (start + k) % 8
                if inflight[j] < inflight[best]:
                    best = j
            state["turn"] = best + 1
            return best
        a = rng.randrange(8)
        b = rng.randrange(7)
        if b >= a:
            b += 1
        return a if inflight[a] <= inflight[b] else b

    def request(i: int) -> Any:
        t0 = env.now
        inflight[i] += 1
        with servers[i].request() as slot:
            yield slot
            yield env.timeout(rng.expovariate(1.0 / means[i]))
        inflight[i] -= 1
        latency.add(env.now - t0)
        state["done"] += 1

    def arrivals() -> Any:
        for _ in range(requests):
            yield env.timeout(rng.expovariate(RATE / 1000.0))
            env.process(request(pick()))

    env.process(arrivals())
    start = time.process_time()
    env.run()
    summary = latency.summary()  # percentiles, as our summary reports them
    elapsed = time.process_time() - start
    assert state["done"] == requests
    return elapsed, summary["mean"]


def bare_loop(algorithm: str, requests: int) -> tuple[float, float]:
    """The ceiling: the same model as one flat heap loop, no engine at all (least connections).

    Arrivals are drawn one at a time, each scheduling the next, as SimPy's
    generator does: pushing all of them up front would make every heap
    operation walk a heap of `requests` entries instead of a dozen, and
    halve the loop's speed. Latencies go into the same histogram.
    """
    import heapq
    import itertools

    from patterns.stats import Histogram

    rng = random.Random(7)
    heap: list[tuple[float, int, int, Any]] = []
    seq = itertools.count()
    push, pop = heapq.heappush, heapq.heappop
    means = [FAST_MS] * 4 + [SLOW_MS] * 4
    busy = [False] * 8
    queues: list[list[float]] = [[] for _ in range(8)]
    inflight = [0] * 8
    latency = Histogram()
    pending = latency.pending
    done, turn, emitted = 0, 0, 0
    gap = 1000.0 / RATE
    start = time.process_time()
    push(heap, (rng.expovariate(1 / gap), next(seq), 0, None))
    while heap:
        now, _, kind, arg = pop(heap)
        if kind == 0:
            emitted += 1
            if emitted < requests:
                push(heap, (now + rng.expovariate(1 / gap), next(seq), 0, None))
            best = turn % 8
            for k in range(1, 8):
                j = (turn + k) % 8
                if inflight[j] < inflight[best]:
                    best = j
            turn = best + 1
            inflight[best] += 1
            if busy[best]:
                queues[best].append(now)
            else:
                busy[best] = True
                push(heap, (now + rng.expovariate(1 / means[best]), next(seq), 1, (best, now)))
        else:
            i, t0 = arg
            inflight[i] -= 1
            pending.append(now - t0)
            if len(pending) >= 1024:
                latency.fold()
            done += 1
            if queues[i]:
                t1 = queues[i].pop(0)
                push(heap, (now + rng.expovariate(1 / means[i]), next(seq), 1, (i, t1)))
            else:
                busy[i] = False
    summary = latency.summary()
    assert done == requests
    return time.process_time() - start, summary["mean"]


class _Req:
    """The least a request must carry through the engine (obligations_loop)."""

    __slots__ = ("id", "t0", "session", "key", "n", "done")

    def __init__(self, rid: int, t0: float, session: str, key: int):
        self.id = rid
        self.t0 = t0
        self.session = session
        self.key = key
        self.n = 0
        self.done = False


def obligations_loop(algorithm: str, requests: int) -> tuple[float, float]:
    """The ceiling of any engine with our semantics: bare_loop plus what they oblige, inlined.

    One flat loop again (no engine, no function calls of its own), doing per
    request only what the engine must do whatever its structure: a request
    record with its session (drawn from 100, as a client does) and its own
    key; the service time drawn as the engine draws it (SplitMix64 of the
    request's key, the node's salt and the draw counter, so that another
    algorithm sees the same work: common random numbers) instead of from one
    shared stream; the set of requests in flight (so that a drain can account
    for every one); the balancer's in-flight and pick counts per target,
    decremented when the answer comes back; a record of the job an instance
    holds (so that a crash can fail it and ignore its late callback) and
    each instance's busy-time integral and counters (utilisation, summary);
    the outcome counts. No events, faults, health checks or zones: those cost
    the engine nothing on this path. The gap between this and bare_loop is
    what the features cost; the gap between this and the engine is what its
    structure (nodes, links, the call protocol) costs.
    """
    import heapq
    import itertools
    from math import log

    from patterns.distributions import M64
    from patterns.stats import Histogram

    rng = random.Random(7)
    rand = rng.random
    heap: list[tuple[float, int, int, Any, Any]] = []
    seq = itertools.count()
    push, pop = heapq.heappush, heapq.heappop
    means = [FAST_MS] * 4 + [SLOW_MS] * 4
    salts = [0x5DEECE66D, 0x2545F4914F6CDD1D]  # one per pool, as the engine's nodes
    pool = [0] * 4 + [1] * 4
    busy = [0] * 8
    area = [0.0] * 8
    last = [0.0] * 8
    processed = [0] * 8
    queues: list[list[Any]] = [[] for _ in range(8)]
    inflight = [0] * 8
    picks = [0] * 8
    sessions = [f"users-{k}" for k in range(100)]
    outstanding: dict[int, _Req] = {}
    counts = [0, 0, 0, 0]
    latency = Histogram()
    pending = latency.pending
    turn, emitted = 0, 0
    gap = 1000.0 / RATE
    client_salt = 0x9E3779B97F4A7C15
    start = time.process_time()
    push(heap, (-log(1.0 - rand()) * gap, 1, next(seq), 0, None))
    while heap:
        now, _, _, i, job = pop(heap)
        if job is None:  # an arrival
            emitted += 1
            req = _Req(emitted, now, sessions[int(rand() * 100)], client_salt ^ emitted)
            outstanding[emitted] = req
            low = min(inflight)  # least connections, as the engine picks
            try:
                i = inflight.index(low, turn % 8)
            except ValueError:
                i = inflight.index(low)
            turn = i + 1
            inflight[i] += 1
            picks[i] += 1
            job = [req, 0]  # the request and the instance's epoch
            if emitted < requests:
                push(heap, (now - log(1.0 - rand()) * gap, 1, next(seq), 0, None))
            if busy[i]:
                queues[i].append(job)
                continue
        else:  # an instance finished a job
            req = job[0]
            processed[i] += 1
            area[i] += busy[i] * (now - last[i])
            last[i] = now
            busy[i] = 0
            inflight[i] -= 1
            req.done = True
            del outstanding[req.id]
            counts[0] += 1
            pending.append(now - req.t0)
            if len(pending) >= 1024:
                latency.fold()
            if not queues[i]:
                continue
            job = queues[i].pop(0)
        # Instance i takes `job` (just arrived, or next in its queue).
        req = job[0]
        area[i] += busy[i] * (now - last[i])
        last[i] = now
        busy[i] = 1
        n = req.n = req.n + 1
        z = (req.key ^ salts[pool[i]]) + n * 0x9E3779B97F4A7C15 & M64
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9 & M64
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB & M64
        u = ((z ^ (z >> 31)) >> 11) * 1.1102230246251565e-16
        push(heap, (now - means[i] * log(1.0 - u), 1, next(seq), i, job))
    summary = latency.summary()
    assert counts[0] == requests and not outstanding
    return time.process_time() - start, summary["mean"]


def simpy_process(requests: int) -> None:
    """The SimPy model as a whole process (least connections), printing its summary as
    JSON, as `python -m patterns run --json` does: the yardstick of whole-process runs."""
    elapsed, mean = simpy_model("least_connections", requests)
    print(json.dumps({"requests": requests, "latency_ms": {"mean": mean}, "cpu_s": elapsed}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--only-ours", action="store_true", help="skip SimPy (for the memory run)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of each measurement; the fastest counts (the machine is shared)",
    )
    parser.add_argument("--algorithms", default=",".join(ALGORITHMS), help="comma-separated")
    parser.add_argument("--builds", default=",".join(BUILDS), help="our builds, comma-separated")
    parser.add_argument(
        "--recording", default=",".join(RECORDING), help="our recording modes, comma-separated"
    )
    parser.add_argument(
        "--no-recording-only",
        action="store_true",
        help="skip the recording runs (for the memory run)",
    )
    parser.add_argument("--write-model", metavar="PATH", help="write the model's topology file")
    parser.add_argument("--simpy-process", action="store_true", help="run SimPy as a process")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    n = args.requests
    if args.child:
        build, algorithm, requests, recording = args.child
        check_build(build)
        elapsed, mean = ours(algorithm, int(requests), recording)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps([elapsed, mean, peak]))
        return
    # SimPy and the loops use our histogram: the pure one, as in every earlier figure.
    os.environ["PATTERNS_PURE"] = "1"
    if args.write_model:
        # One algorithm: the one asked for, else least connections.
        algorithm = "least_connections" if "," in args.algorithms else args.algorithms
        Path(args.write_model).write_text(json.dumps(document(algorithm, n)))
        return
    if args.simpy_process:
        simpy_process(n)
        return

    builds = args.builds.split(",")
    recordings = ["off"] if args.no_recording_only else args.recording.split(",")
    print(
        f"{n} requests per run, best of {args.repeat}, runs interleaved; 8 servers "
        f"(4 at {FAST_MS:g} ms, 4 at {SLOW_MS:g} ms), {RATE:g} req/s"
    )
    print(f"{'algorithm':<18} {'engine':<22} {'req/s':>10} {'mean ms':>9} {'vs SimPy':>9}")
    for algorithm in args.algorithms.split(","):
        # (label, function, extra arguments) of every model measured for this algorithm.
        models: list[tuple[str, Any, tuple[Any, ...]]] = []
        if not args.only_ours:
            models.append(("simpy 4.1.2", simpy_model, ()))
            if algorithm == "least_connections":
                models.append(("bare heap loop", bare_loop, ()))
                models.append(("+ obligations", obligations_loop, ()))
        for build in builds:
            for recording in recordings:
                label = f"ours {build}, {recording}"
                models.append(
                    (label, lambda a, r, b=build, rec=recording: in_child(b, a, r, rec), ())
                )
        # Round after round of every model, not all runs of one model then the
        # next: on a shared machine a busy spell then slows every model alike,
        # and the fastest of each still comes from comparable moments.
        results: dict[str, list[tuple[float, float]]] = {label: [] for label, _, _ in models}
        for _ in range(args.repeat):
            for label, run, extra in models:
                results[label].append(run(algorithm, n, *extra))
        base = None
        for label, _, _ in models:
            t, mean = min(results[label])
            rate = n / t
            if label.startswith("simpy"):
                base = rate
            ratio = f"{rate / base:.2f}x" if base else "-"
            print(f"{algorithm:<18} {label:<22} {rate:>10,.0f} {mean:>9.2f} {ratio:>9}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"peak RSS: this process {peak:.0f} MB; "
        + ", ".join(f"{build} children {mb:.0f} MB" for build, mb in PEAKS.items())
    )


if __name__ == "__main__":
    main()
