"""`manage.py reap_runs`: fail the runs whose worker stopped sending heartbeats (for cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from playground.runs.reaper import reap_stale_runs


class Command(BaseCommand):
    help = "Mark failed the running runs whose worker has gone silent."

    def handle(self, *args: Any, **options: Any) -> None:
        reaped = reap_stale_runs()
        self.stdout.write(f"{len(reaped)} run(s) failed: {', '.join(map(str, reaped)) or '-'}")
