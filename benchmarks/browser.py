"""Frames per second of the run view in headless Chromium with about 1,000 messages in flight.

Serves the real app (daphne, a throwaway SQLite file, runs in a thread), runs a topology
whose every message spends 500 ms of simulated time on its edge (client -> balancer ->
4 instances, 500 requests/s: ~4 hops x 500/s x 0.5 s = ~1,000 in flight at once),
replays it at 1x from its middle, and counts requestAnimationFrame callbacks.

    .venv/bin/python benchmarks/browser.py [--seconds 5]

Goal: >= 55 fps. Prints the measured figure and how many dots were drawn per frame.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

# After the path: the helpers the browser tests start the app with.
from tests.services import CHROMIUM_ARGS, free_port, wait_for_port  # noqa: E402

DOC = {
    "version": 1,
    "name": "A thousand in flight",
    "pattern": "load-balancing",
    "seed": 3,
    "duration_ms": 10000,
    "nodes": [
        {"id": "client", "kind": "client", "rate": 500, "arrival": "constant", "sessions": 1000},
        {"id": "lb", "kind": "load_balancer", "algorithm": "round_robin"},
        {"id": "api", "kind": "service", "instances": 4, "concurrency": 50, "service_time": 20},
    ],
    "edges": [
        {"from": "client", "to": "lb", "latency_ms": 500},
        {"from": "lb", "to": "api", "latency_ms": 500},
    ],
}


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def api(url: str, token: str, method: str, path: str, body: object | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=60) as response:
        return json.loads(response.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="wall seconds to count frames")
    options = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="browser-bench-"))
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(DJANGO_DB_PATH=str(tmp / "db.sqlite3"), RUN_BACKEND="thread", LOG_LEVEL="WARNING")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(
        env,
        "shell",
        "-v",
        "0",
        "-c",
        "from django.contrib.auth.models import User\n"
        "User.objects.create_user('bench', password='bench-password-1')",
    )
    token = manage(env, "api_token", "bench").strip().split()[-1]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "playground.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_port(port, timeout=30, proc=proc)
        topology = api(
            url, token, "POST", "/api/topologies", {"name": DOC["name"], "document": DOC}
        )
        run = api(url, token, "POST", f"/api/topologies/{topology['id']}/runs", {"speed": "max"})
        while api(url, token, "GET", f"/api/runs/{run['id']}")["status"] not in (
            "finished",
            "failed",
        ):
            time.sleep(0.5)
        measure(url, run["id"], options.seconds)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


def measure(url: str, run_id: int, seconds: float) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(f"{url}/login/")
        page.fill("input[name=username]", "bench")
        page.fill("input[name=password]", "bench-password-1")
        with page.expect_navigation():
            page.click("form [type=submit]")
        page.goto(f"{url}/runs/{run_id}/")
        page.wait_for_function(
            "window.playground && window.playground.mode === 'replay'", timeout=120000
        )
        page.wait_for_selector("#loading", state="hidden")
        events = page.evaluate("window.playground.events.length")
        page.evaluate("window.playground.seek(3000)")
        play = "document.querySelector('#btn-play')"
        page.evaluate(f"{play}.textContent.includes('Play') && {play}.click()")
        page.wait_for_timeout(500)
        result = page.evaluate(
            """(ms) => new Promise((done) => {
              const drawn = [];
              let frames = 0;
              const start = performance.now();
              const tick = (now) => {
                frames++;
                drawn.push(window.playground.stage.drawnCount);
                if (now - start < ms) requestAnimationFrame(tick);
                else done({ frames, ms: now - start, drawn, n: window.playground.stage.sampleN });
              };
              requestAnimationFrame(tick);
            })""",
            seconds * 1000,
        )
        browser.close()
    drawn = sorted(result["drawn"])
    fps = result["frames"] / (result["ms"] / 1000)
    print(f"run view, headless Chromium (software rendering), 1280x720, {events} stored events")
    print(
        f"messages drawn per frame: min {drawn[0]}, median {drawn[len(drawn) // 2]}, "
        f"max {drawn[-1]} (sampling 1 in {result['n']})"
    )
    print(f"frames per second: {fps:.1f} over {result['ms'] / 1000:.1f} s (goal >= 55)")


if __name__ == "__main__":
    main()
