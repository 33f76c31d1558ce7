"""One run streamed to 100 WebSocket viewers through daphne, channels-redis and a Celery worker.

Starts its own redis-server, SQLite database, Celery worker and daphne on
loopback ports, creates a run of about 2,000 events per second (speed 1, --rate 256),
connects the viewers, and reports delivered events/s, emit-to-receipt latency
(the runner stamps each live batch with `sent_at`; receipt is when a viewer
has parsed it) and events lost. Bounded: 10 s of simulated time, 60 s at most.

    .venv/bin/python benchmarks/live.py [--viewers 100] [--rate 256] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

# After the path: the helpers the live tests start their services with.
from tests.services import RedisServer, free_port, wait_for_port  # noqa: E402


def document(rate: float, seconds: float) -> dict:
    return {
        "version": 1,
        "name": "bench",
        "seed": 3,
        "duration_ms": int(seconds * 1000),
        "nodes": [
            {"id": "users", "kind": "client", "rate": rate},
            {"id": "lb", "kind": "load_balancer", "algorithm": "least_connections"},
            {"id": "api", "kind": "service", "instances": 8, "concurrency": 4, "service_time": 20},
        ],
        "edges": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "api"}],
    }


async def viewer(url: str, headers: dict, out: dict, done: asyncio.Event) -> None:
    from websockets.asyncio.client import connect

    # Receipt is stamped as the frame comes off the socket and parsing waits for the end:
    # 100 viewers share this one process, and parsing every frame as it came would queue
    # the later viewers' frames behind the earlier ones' JSON (a cost a browser pays alone).
    frames: list[tuple[float, str]] = []
    async with connect(url, additional_headers=headers, max_size=None) as ws:
        out["connected"] += 1
        while True:
            raw = await ws.recv()
            now = time.time()
            if raw.startswith('{"type":"events"'):
                frames.append((now, raw))
                continue
            msg = json.loads(raw)
            if msg["type"] == "events":  # a replayed batch, serialised by the consumer
                frames.append((now, raw))
            elif msg["type"] == "status" and msg["status"] in ("finished", "failed", "cancelled"):
                # The consumer sends every stored event before a terminal status.
                out["last_seq"] = msg["last_seq"]
                break
    # Parsed once every viewer is done, so no viewer's parsing delays another's receipt.
    out["viewers"].append((frames, time.monotonic()))


def parse(frames: list[tuple[float, str]]) -> tuple[set[int], list[tuple[float, int]]]:
    """The seqs a viewer received, and (emit-to-receipt latency, events) per live batch."""
    seen: set[int] = set()
    latencies: list[tuple[float, int]] = []
    for received, raw in frames:
        msg = json.loads(raw)
        seen.update(e["seq"] for e in msg["events"])
        if "sent_at" in msg:
            latencies.append((received - msg["sent_at"], len(msg["events"])))
    return seen, latencies


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--viewers", type=int, default=100)
    parser.add_argument(
        "--rate", type=float, default=256, help="client requests per simulated second"
    )
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-live-"))
    redis = RedisServer()
    web_port = free_port()
    env = {
        **os.environ,
        "REDIS_URL": redis.url,
        "DJANGO_DB_PATH": str(tmp / "db.sqlite3"),
        "DATABASE_URL": "",
        "DJANGO_SETTINGS_MODULE": "playground.settings",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    procs: list[subprocess.Popen] = []
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        log = open(tmp / "services.log", "ab")
        procs.append(
            subprocess.Popen(
                [
                    str(BIN / "celery"),
                    "-A",
                    "playground",
                    "worker",
                    "--concurrency=1",
                    "--loglevel=warning",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        procs.append(
            subprocess.Popen(
                [
                    str(BIN / "daphne"),
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(web_port),
                    "playground.asgi:application",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        wait_for_port(web_port, proc=procs[-1])
        time.sleep(2)  # the worker connects to the broker

        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.contrib.auth import get_user_model

        from playground.models import ApiToken, Run, Topology
        from playground.runs.tasks import execute_run

        user = get_user_model().objects.create_user("bench")
        _, key = ApiToken.issue(user)
        doc = document(args.rate, args.seconds)
        topology = Topology.objects.create(owner=user, name="bench", document=doc)
        run = Run.objects.create(topology=topology, owner=user, document=doc, seed=3, speed=1.0)

        async def bench() -> dict:
            out: dict = {"connected": 0, "viewers": [], "last_seq": None}
            done = asyncio.Event()
            url = f"ws://127.0.0.1:{web_port}/ws/runs/{run.pk}/"
            headers = {"Authorization": f"Bearer {key}"}
            tasks = [
                asyncio.create_task(viewer(url, headers, out, done)) for _ in range(args.viewers)
            ]
            while out["connected"] < args.viewers:
                await asyncio.sleep(0.05)
            start = time.monotonic()
            await asyncio.to_thread(execute_run.delay, run.pk)
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
            out["start"] = start
            return out

        out = asyncio.run(bench())
        out["viewers"] = [(*parse(frames), t) for frames, t in out["viewers"]]
        run.refresh_from_db()
        total = run.event_count
        lat = [ms for _, lats, _ in out["viewers"] for ms, n in lats for _ in range(n)]
        received = sum(len(seen) for seen, _, _ in out["viewers"])
        lost = sum(total - len(seen) for seen, _, _ in out["viewers"])
        live = sum(n for _, lats, _ in out["viewers"] for _, n in lats)
        elapsed = max(t for _, _, t in out["viewers"]) - out["start"]
        print(
            f"run {run.pk}: {run.status}, {total} events over "
            f"{run.sim_time_ms / 1000:.1f} simulated s "
            f"({total / (run.sim_time_ms / 1000):.0f} events/s per viewer at speed 1)"
        )
        print(f"viewers: {args.viewers}; wall time {elapsed:.1f} s")
        print(
            f"delivered: {received} events, {received / elapsed:.0f} events/s in total; "
            f"{live} of them live (the rest caught up from the database)"
        )
        print(
            f"emit-to-receipt latency ms: p50 {pct(lat, 50) * 1000:.1f}, "
            f"p95 {pct(lat, 95) * 1000:.1f}, p99 {pct(lat, 99) * 1000:.1f}, "
            f"max {max(lat) * 1000:.1f} (mean {statistics.mean(lat) * 1000:.1f})"
        )
        print(f"events lost: {lost}")
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except (ProcessLookupError, PermissionError):
                    proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
