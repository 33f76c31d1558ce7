"""Real parts for the live pipeline: a throwaway redis-server, a Celery worker and daphne.

The worker and daphne are subprocesses, so they must see the test's database:
on SQLite the test database is a file (not pytest-django's in-memory one), on
PostgreSQL it is the `test_…` database pytest-django created. Tests that use
them need `transactional_db`, so what the test writes is committed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from tests.services import RedisServer, free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
_SQLITE_DIR = tempfile.mkdtemp(prefix="playground-test-db-")


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # No sweeper thread in the test process (tests reap when they mean to); the worker and
    # daphne subprocesses read the environment and sweep as a site does.
    settings.RUN_SWEEP_SECONDS = 0
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        # A file, so the worker and daphne subprocesses open the same database.
        db.setdefault("TEST", {})["NAME"] = str(Path(_SQLITE_DIR) / "test.sqlite3")


def start_redis() -> RedisServer:
    """A throwaway redis-server; the test fails (never skips) when it is not installed."""
    if shutil.which("redis-server") is None:
        pytest.fail(
            "redis-server is not installed and REDIS_URL is unset: the live tests need Redis"
        )
    return RedisServer()


class ExternalRedis:
    def __init__(self, url: str) -> None:
        self.url = url

    def restart(self, down_for: float = 0.5) -> None:
        pytest.fail("REDIS_URL points at a Redis this test did not start; it cannot restart it")

    def stop(self) -> None:
        pass


def database_env() -> dict[str, str]:
    """What a subprocess needs to open the test database (call once it exists)."""
    from django.db import connection

    sd = connection.settings_dict
    if sd["ENGINE"].endswith("sqlite3"):
        return {"DJANGO_DB_PATH": str(sd["NAME"]), "DATABASE_URL": ""}
    user = sd.get("USER") or ""
    password = f":{sd['PASSWORD']}" if sd.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = sd.get("HOST") or "127.0.0.1"
    port = f":{sd['PORT']}" if sd.get("PORT") else ""
    return {"DATABASE_URL": f"postgres://{auth}{host}{port}/{sd['NAME']}"}


class Stack:
    """A Celery worker and a daphne server on one Redis and the test database."""

    def __init__(self, redis: Any, tmp: Path, concurrency: int = 2) -> None:
        self.redis = redis
        self.tmp = tmp
        self.concurrency = concurrency
        self.env = {
            **os.environ,
            **database_env(),
            "REDIS_URL": redis.url,
            "RUN_BACKEND": "celery",
            "DJANGO_SETTINGS_MODULE": "playground.settings",
            "PYTHONUNBUFFERED": "1",
        }
        self.port = free_port()
        self.worker: subprocess.Popen | None = None
        self.daphne: subprocess.Popen | None = None
        self.worker_log = tmp / "worker.log"
        try:
            self._start()
        except BaseException:
            # A stack that never got ready is stopped here: no fixture teardown runs for it,
            # and its supervisor, workers and daphne would load the machine for the rest of
            # the session (42 processes once, slowing every later test past its waits).
            self.stop()
            raise

    def _start(self) -> None:
        self.start_worker()
        self.daphne = subprocess.Popen(
            [
                str(VENV_BIN / "daphne"),
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                "playground.asgi:application",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=open(self.tmp / "daphne.log", "ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port(self.port, proc=self.daphne)
        self.wait_worker_ready()

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def http_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start_worker(self) -> None:
        """The workers as `make run` starts them: `manage.py run_workers`, supervised."""
        self._log_offset = self.worker_log.stat().st_size if self.worker_log.exists() else 0
        self.worker = subprocess.Popen(
            [sys.executable, "manage.py", "run_workers", "--grace", "2"],
            cwd=ROOT,
            env={**self.env, "WORKER_CONCURRENCY": str(self.concurrency)},
            stdout=open(self.worker_log, "ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill -9 takes the workers too
        )

    def worker_log_text(self) -> str:
        with open(self.worker_log, "rb") as f:
            f.seek(self._log_offset)
            return f.read().decode(errors="replace")

    def wait_worker_ready(self, timeout: float = 45.0) -> None:
        """Until each worker of the layout (playground/runs/workers.py) says it is ready."""
        from playground.runs.workers import layout

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.worker is not None
            if self.worker.poll() is not None:
                raise RuntimeError(f"celery worker exited:\n{self.worker_log.read_text()[-3000:]}")
            if self.worker_log_text().count(" ready.") >= len(layout()):
                return
            time.sleep(0.1)
        raise TimeoutError(f"celery worker not ready:\n{self.worker_log.read_text()[-3000:]}")

    def worker_pids(self) -> set[int]:
        """The pids of the Celery workers the supervisor runs now (its children)."""
        assert self.worker is not None
        pids = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.worker.pid:  # the parent pid
                pids.add(int(stat.parent.name))
        return pids

    def kill_worker(self) -> None:
        """kill -9 the workers, their pool processes and their supervisor, as a crashed machine."""
        assert self.worker is not None
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(10)
        self.worker = None

    def queue(self, run_id: int) -> None:
        """Queue a run on this stack's broker, as `start_run` does in a configured web process."""
        from playground.celery import app
        from playground.models import Run
        from playground.runs.tasks import execute_run
        from playground.runs.workers import queue_for

        owner_id, speed = Run.objects.values_list("owner_id", "speed").get(pk=run_id)
        with app.connection_for_write(self.redis.url) as conn:
            execute_run.apply_async((run_id,), connection=conn, queue=queue_for(owner_id, speed))

    def stop(self) -> None:
        for proc in (self.worker, self.daphne):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in (self.worker, self.daphne):
            if proc is not None:
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(5)


@pytest.fixture(scope="session")
def redis_server():
    """REDIS_URL when set; otherwise a throwaway redis-server. Fails (never skips) without Redis."""
    url = os.environ.get("REDIS_URL")
    server = ExternalRedis(url) if url else start_redis()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def live_stack(django_db_setup, django_db_blocker, redis_server, tmp_path_factory):
    """A worker and daphne shared by the integration tests of the session."""
    with django_db_blocker.unblock():
        stack = Stack(redis_server, tmp_path_factory.mktemp("stack"))
    yield stack
    stack.stop()


@pytest.fixture
def own_stack(django_db_setup, django_db_blocker, tmp_path):
    """A stack of its own (own Redis, worker and daphne), for tests that break things."""
    redis = start_redis()
    try:
        with django_db_blocker.unblock():
            stack = Stack(redis, tmp_path)
    except BaseException:
        redis.stop()
        raise
    yield stack
    stack.stop()
    redis.stop()


# Helpers shared by the live tests ----------------------------------------------------

DOCUMENT = {
    "version": 1,
    "name": "Two servers behind a balancer",
    "pattern": "load-balancing",
    "seed": 7,
    "duration_ms": 3000,
    "nodes": [
        {"id": "users", "kind": "client", "rate": 40},
        {"id": "lb", "kind": "load_balancer", "algorithm": "round_robin"},
        {"id": "api", "kind": "service", "instances": 2, "service_time": 20},
    ],
    "edges": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "api"}],
}


def make_world(
    document: dict | None = None,
    visibility: str = "private",
    speed: float | None = 1.0,
    seed: int = 7,
):
    """An owner with a token, an outsider with a token, a topology and a queued run of it."""
    from django.contrib.auth import get_user_model

    from playground.models import ApiToken, Run, Topology

    users = get_user_model()
    owner = users.objects.create_user("owner", password="pw-owner-123")
    outsider = users.objects.create_user("outsider", password="pw-outsider-123")
    _, owner_key = ApiToken.issue(owner)
    _, outsider_key = ApiToken.issue(outsider)
    doc = document or DOCUMENT
    topology = Topology.objects.create(owner=owner, name="t", document=doc, visibility=visibility)
    run = Run.objects.create(topology=topology, owner=owner, document=doc, seed=seed, speed=speed)
    return {
        "owner": owner,
        "outsider": outsider,
        "owner_key": owner_key,
        "outsider_key": outsider_key,
        "topology": topology,
        "run": run,
    }


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def cli_events_text(document: dict, seed: int, tmp: Path) -> bytes:
    """The bytes `python -m patterns run FILE --events` writes for the same document and seed."""
    import json

    src, out = tmp / "doc.json", tmp / "events.jsonl"
    src.write_text(json.dumps(document))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "patterns",
            "run",
            str(src),
            "--seed",
            str(seed),
            "--events",
            str(out),
        ],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return out.read_bytes()


def cli_events(document: dict, seed: int, tmp: Path) -> list[dict]:
    """The event stream of `python -m patterns run FILE --events` for the same document and seed."""
    import json

    text = cli_events_text(document, seed, tmp).decode()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class Viewer:
    """A WebSocket client of a run that reconnects with ?after= and keeps what it received."""

    def __init__(
        self, base: str, run_id: int, headers: dict[str, str] | None = None, after: int = -1
    ) -> None:
        self.base, self.run_id, self.headers = base, run_id, headers or {}
        self.after = after
        self.events: list[dict] = []
        self.statuses: list[dict] = []
        self.others: list[dict] = []
        self.connections = 0
        self.ws = None

    @property
    def status(self) -> str | None:
        return self.statuses[-1]["status"] if self.statuses else None

    async def connect(self):
        from websockets.asyncio.client import connect

        url = f"{self.base}/ws/runs/{self.run_id}/?after={self.after}"
        self.ws = await connect(url, additional_headers=self.headers, max_size=None, open_timeout=5)
        self.connections += 1
        return self.ws

    async def send(self, message: dict) -> None:
        import json

        await self.ws.send(json.dumps(message))

    def _take(self, raw: str) -> dict:
        import json

        msg = json.loads(raw)
        if msg["type"] == "events":
            self.events.extend(msg["events"])
            if msg["events"]:
                self.after = msg["events"][-1]["seq"]
        elif msg["type"] == "status":
            self.statuses.append(msg)
        else:
            self.others.append(msg)
        return msg

    async def follow(self, until, timeout: float = 40.0, reconnect: bool = True) -> None:
        """Read (reconnecting when the server drops us) until `until(self)` holds."""
        import asyncio

        from websockets.exceptions import ConnectionClosed, InvalidStatus

        deadline = time.monotonic() + timeout
        while not until(self):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(
                    f"viewer gave up: status={self.status} events={len(self.events)}"
                )
            try:
                if self.ws is None:
                    await self.connect()
                self._take(await asyncio.wait_for(self.ws.recv(), timeout=min(left, 2.0)))
            except TimeoutError:
                continue
            except (ConnectionClosed, InvalidStatus, OSError):
                if not reconnect:
                    raise
                self.ws = None
                await asyncio.sleep(0.3)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None


def finished(viewer: Viewer) -> bool:
    """The run has ended and the viewer holds every event up to the last_seq its status names."""
    if viewer.status not in ("finished", "failed", "cancelled"):
        return False
    last_seq = viewer.statuses[-1]["last_seq"]
    return (viewer.events[-1]["seq"] if viewer.events else -1) >= last_seq
