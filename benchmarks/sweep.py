"""A 200-run parameter sweep on 1, 2 and 4 Celery worker processes, and the capacity estimate.

Starts its own redis-server and SQLite database, then for each worker count a Celery worker
(`--pool=prefork --concurrency=N` on the `runs` queue, as playground/runs/workers.py runs it),
queues one sweep of 50 values × 4 seeds (an M/M/1's client rate, about `--requests` requests
a run) as one task per point (playground/experiments/param_sweeps.py), and times it from the
dispatch to the last point stored: runs per minute and the speed-up over one process. Then
the capacity estimate's time for the largest built-in topology (benchmarks/capacity.py's measure).

The speed-up is bounded by the machine's cores (printed): past them, processes share CPUs.

    .venv/bin/python benchmarks/sweep.py [--requests 3000] [--workers 1 2 4]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from tests.services import RedisServer  # noqa: E402

MM1 = {
    "version": 1,
    "name": "bench M/M/1",
    "duration_ms": 10_000,
    "nodes": [
        {"id": "users", "kind": "client", "rate": 20},
        {"id": "api", "kind": "service", "service_time": {"dist": "exponential", "mean_ms": 20}},
    ],
    "edges": [{"from": "users", "to": "api"}],
}
VALUES = [round(2 + 0.8 * i, 1) for i in range(50)]  # ρ from 0.04 to 0.82
SEEDS = 4


def start_worker(env: dict[str, str], processes: int, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [str(BIN / "celery"), "-A", "playground", "worker", "--loglevel=info", "--queues=runs",
         "--pool=prefork", f"--concurrency={processes}", f"--hostname=bench{processes}@%h",
         "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while " ready." not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(log.read_text(errors="replace")[-2000:])
        time.sleep(0.2)
    return proc


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000, help="requests per run")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    redis = RedisServer()
    env = {
        **os.environ,
        "REDIS_URL": redis.url,
        "RUN_BACKEND": "celery",
        "DJANGO_DB_PATH": str(tmp / "db.sqlite3"),
        "DATABASE_URL": "",
        "DJANGO_SETTINGS_MODULE": "playground.settings",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    results = []
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env,
                       check=True)  # fmt: skip
        import django

        django.setup()
        from django.contrib.auth import get_user_model

        import patterns
        from playground.experiments import param_sweeps
        from playground.experiments.sweep_models import ParamSweep
        from playground.models import Limits

        Limits.objects.filter(pk=Limits.current().pk).update(max_concurrent_sweeps=10)
        user = get_user_model().objects.create_user("bench")
        engine = patterns.BUILD_NOTE
        print(f"{len(VALUES)} values x {SEEDS} seeds = {len(VALUES) * SEEDS} runs of about "
              f"{args.requests} requests; engine {engine}; {os.cpu_count()} cores; "
              f"load average before: {os.getloadavg()[0]:.1f}")  # fmt: skip
        for processes in args.workers:
            worker = start_worker(env, processes, tmp / f"worker-{processes}.log")
            try:
                sweep = param_sweeps.create(user, MM1, "users", "rate", VALUES, seeds=SEEDS,
                                            requests=args.requests, start=False)  # fmt: skip
                load = os.getloadavg()[0]
                began = time.monotonic()
                param_sweeps.dispatch(sweep.pk)
                while ParamSweep.objects.get(pk=sweep.pk).status in ParamSweep.ACTIVE:
                    time.sleep(0.1)
                wall = time.monotonic() - began
            finally:
                stop(worker)
            points = list(sweep.points.all())
            assert all(p.status == "done" for p in points), "a point did not run"
            busy = sum(p.seconds or 0 for p in points)
            results.append((processes, wall))
            print(f"{processes} worker process(es): {wall:6.1f} s, "
                  f"{len(points) / wall * 60:6.0f} runs/min, speed-up "
                  f"{results[0][1] / wall:4.2f}x; engine time per run {busy / len(points):.3f} s; "
                  f"load average at start {load:.1f}")  # fmt: skip
    finally:
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from capacity import timed  # benchmarks/capacity.py: the same measure

    from patterns import scenarios

    largest = max(
        scenarios.all(), key=lambda s: len(s.document["nodes"]) + len(s.document["edges"])
    )
    median, best = timed(largest.document)
    doc = largest.document
    print(f"capacity estimate of the largest built-in topology, {largest.slug} "
          f"({len(doc['nodes'])} nodes, {len(doc['edges'])} edges): "
          f"median {median:.2f} ms, best {best:.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
