from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")

app = Celery("playground")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The tasks live with what they serve (playground/runs/tasks.py, playground/experiments/tasks.py).
app.autodiscover_tasks(["playground.runs", "playground.experiments"])
