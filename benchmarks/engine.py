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
runner stores); "json" also serialises each batch with `json.dumps`.

For least connections it also times a bare loop of the same model (one
flat heap loop, no engine, no features, arrivals drawn one at a time as
SimPy's generator does): the ceiling pure Python reaches on this machine.
Times are CPU time of this process (`time.process_time`), so that other
work on a shared machine does not skew one engine against the other.

    .venv/bin/python benchmarks/engine.py [--requests N] [--repeat R]
    # 10 million requests in flat memory:
    .venv/bin/python benchmarks/engine.py --requests 10000000 --repeat 1 --only-ours \
        --algorithms least_connections --no-recording-only
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from patterns import Simulation  # noqa: E402

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


RECORDING = ("off", "tuples", "dicts", "json")


def ours(algorithm: str, requests: int, recording: str) -> tuple[float, float]:
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
    elif recording in ("dicts", "json"):
        while not sim.done:
            batch = sim.advance(sim.now + 1000.0)
            if recording == "json":
                json.dumps(batch, separators=(",", ":"))
        summary = sim.summary()
    else:
        summary = sim.run()
    elapsed = time.process_time() - start
    assert summary["requests"]["completed"] == requests, summary["requests"]
    return elapsed, summary["latency_ms"]["mean"]


def simpy_model(algorithm: str, requests: int) -> tuple[float, float]:
    import simpy

    from patterns.stats import Histogram

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
    parser.add_argument(
        "--no-recording-only",
        action="store_true",
        help="skip the recording runs (for the memory run)",
    )
    args = parser.parse_args()
    n = args.requests

    def best(run: Any, *a: Any) -> tuple[float, float]:
        results = [run(*a) for _ in range(args.repeat)]
        return min(results)

    print(
        f"{n} requests per run, best of {args.repeat}; 8 servers "
        f"(4 at {FAST_MS:g} ms, 4 at {SLOW_MS:g} ms), {RATE:g} req/s"
    )
    print(f"{'algorithm':<18} {'engine':<16} {'req/s':>10} {'mean ms':>9} {'vs SimPy':>9}")
    for algorithm in args.algorithms.split(","):
        base = None
        if not args.only_ours:
            t, mean = best(simpy_model, algorithm, n)
            base = n / t
            print(f"{algorithm:<18} {'simpy 4.1.2':<16} {base:>10,.0f} {mean:>9.2f} {'1.00x':>9}")
        if algorithm == "least_connections" and base:
            t, mean = best(bare_loop, algorithm, n)
            rate = n / t
            label = "bare heap loop"
            print(f"{algorithm:<18} {label:<16} {rate:>10,.0f} {mean:>9.2f} {rate / base:>8.2f}x")
        for recording in ("off",) if args.no_recording_only else RECORDING:
            t, mean = best(ours, algorithm, n, recording)
            rate = n / t
            ratio = f"{rate / base:.2f}x" if base else "-"
            label = f"ours, rec {recording}" if recording != "off" else "ours, no record"
            print(f"{algorithm:<18} {label:<16} {rate:>10,.0f} {mean:>9.2f} {ratio:>9}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
