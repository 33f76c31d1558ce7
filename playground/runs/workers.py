"""Where a run executes with the Celery backend: three queues, each served by its own worker.

- `runs`: signed-in users' runs at full speed. They are CPU-bound, so a prefork
  pool of about one process per core serves them.
- `paced`: signed-in users' paced runs. A paced run sleeps most of each 100 ms
  tick, so one process with many threads drives them in turns (the GIL is free
  while they sleep) instead of each holding a whole process.
- `visitors`: every run of a visitor without an account, paced or not, in one
  process of its own with one thread per run a visitor may have
  (`ANON_MAX_ACTIVE_RUNS`). Visitors can fill only that process, never the
  slots signed-in users' runs wait for.

A run keeps its worker when its speed changes mid-run (a paced run switched to
"max" goes on in its thread). `manage.py run_workers` starts and supervises the
three (playground/management/commands/run_workers.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

RUNS, PACED, VISITORS = "runs", "paced", "visitors"


def queue_for(owner_id: int | None, speed: float | None) -> str:
    """The queue of a run of this owner (None: a visitor) at this speed (None: full speed)."""
    if owner_id is None:
        return VISITORS
    return RUNS if speed is None else PACED


@dataclass(frozen=True)
class Worker:
    name: str
    queue: str
    pool: str
    concurrency: int

    def command(self, celery: str | Path = "celery") -> list[str]:
        return [
            str(celery),
            "-A",
            "playground",
            "worker",
            "--loglevel=info",
            f"--queues={self.queue}",
            f"--pool={self.pool}",
            f"--concurrency={self.concurrency}",
            f"--hostname={self.name}@%h",
            # Cluster chatter we never use; its bootsteps only add ways to fail on reconnect.
            "--without-gossip",
            "--without-mingle",
        ]


def layout() -> list[Worker]:
    """The workers a site runs, sized by settings (WORKER_CONCURRENCY, WORKER_*_THREADS)."""
    return [
        Worker(RUNS, RUNS, "prefork", settings.WORKER_PROCESSES),
        Worker(PACED, PACED, "threads", settings.WORKER_PACED_THREADS),
        Worker(VISITORS, VISITORS, "threads", settings.WORKER_VISITOR_THREADS),
    ]
