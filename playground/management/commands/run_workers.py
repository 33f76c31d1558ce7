"""`manage.py run_workers`: the Celery workers of playground/runs/workers.py, supervised."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from playground.runs.supervisor import Supervisor
from playground.runs.workers import layout


class Command(BaseCommand):
    help = "Start the Celery workers (full-speed, paced, visitors' runs); restart any that dies."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--only",
            action="append",
            choices=[w.name for w in layout()],
            help="start only this worker (repeatable); one container per worker does this",
        )
        parser.add_argument(
            "--grace",
            type=float,
            default=5.0,
            help="seconds the runs in flight get to end on shutdown before they are stopped",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The celery script installed beside this interpreter (the venv's, or the image's).
        celery = Path(sys.executable).parent / "celery"
        workers = [w for w in layout() if not options["only"] or w.name in options["only"]]
        Supervisor({w.name: w.command(celery) for w in workers}, grace=options["grace"]).run()
