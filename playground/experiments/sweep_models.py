"""Parameter sweeps on workers (playground/experiments/param_sweeps.py): the sweep and its points.

Kept out of models.py so the sweep's parts live together; models.py imports these so
Django finds them. A `ParamSweep` is one question (a node's field over values, K seeds
each); a `SweepPoint` one run of it (one value, one seed), stored as soon as it is done,
so progress is a count of points and nothing is lost when a sweep is cancelled.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ParamSweep(models.Model):
    QUEUED, RUNNING, FINISHED, CANCELLED, FAILED = (
        "queued",
        "running",
        "finished",
        "cancelled",
        "failed",
    )
    STATUS = [(s, s) for s in (QUEUED, RUNNING, FINISHED, CANCELLED, FAILED)]
    ACTIVE = (QUEUED, RUNNING)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="param_sweeps"
    )
    topology = models.ForeignKey(
        "playground.Topology",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="param_sweeps",
    )
    name = models.CharField(max_length=200, blank=True)
    document = models.JSONField(help_text="the document as swept (a snapshot)")
    node = models.CharField(max_length=100)
    field = models.CharField(max_length=100, help_text="a dotted path, e.g. service_time.mean_ms")
    values = models.JSONField()
    seeds = models.PositiveIntegerField(help_text="runs per value (K)")
    seed = models.BigIntegerField(help_text="the first seed; value i runs seeds seed..seed+K-1")
    requests = models.PositiveIntegerField(help_text="about how many requests each run makes")
    theory = models.JSONField(default=list, blank=True, help_text="the prediction per value")
    status = models.CharField(max_length=10, choices=STATUS, default=QUEUED, db_index=True)
    backend = models.CharField(max_length=10, blank=True, help_text="celery or local")
    error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"Sweep {self.pk} of {self.node}.{self.field} ({self.status})"


class SweepPoint(models.Model):
    QUEUED, RUNNING, DONE, SKIPPED, FAILED = "queued", "running", "done", "skipped", "failed"
    STATUS = [(s, s) for s in (QUEUED, RUNNING, DONE, SKIPPED, FAILED)]
    ENDED = (DONE, SKIPPED, FAILED)

    sweep = models.ForeignKey(ParamSweep, on_delete=models.CASCADE, related_name="points")
    index = models.PositiveIntegerField(help_text="the value's position in the sweep's values")
    value = models.FloatField()
    seed = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=STATUS, default=QUEUED, db_index=True)
    figures = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True, help_text="its Celery task, to revoke")
    worker = models.CharField(max_length=200, blank=True)
    seconds = models.FloatField(null=True, blank=True, help_text="wall time of its run")
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sweep", "index", "seed"]
        constraints = [
            models.UniqueConstraint(fields=["sweep", "index", "seed"], name="unique_sweep_point")
        ]

    def __str__(self) -> str:
        return f"Point {self.index}/{self.seed} of sweep {self.sweep_id}"
