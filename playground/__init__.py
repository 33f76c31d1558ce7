"""The web app: stores topologies and runs, starts runs, streams their events."""

from __future__ import annotations

from playground.celery import app as celery_app

__all__ = ["celery_app"]
