"""What experiments store (docs/experiments.md): where a run was forked, and A/B tests.

Kept apart from playground/models.py, which imports them so Django sees them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RunFork(models.Model):
    """A run started from a moment of another: the same as its parent up to `at_ms`, then `change`.

    `steps` are the parent's changes up to `at_ms` the fork replays (patterns/forking.py),
    filled in by the worker when it builds the fork: a fork stays reproducible even when
    its parent is deleted.
    """

    run = models.OneToOneField("playground.Run", on_delete=models.CASCADE, related_name="fork")
    parent = models.ForeignKey(
        "playground.Run", null=True, on_delete=models.SET_NULL, related_name="forks"
    )
    at_ms = models.FloatField(help_text="simulated time of the fork")
    change = models.JSONField(help_text="what the fork changes at at_ms")
    steps = models.JSONField(null=True, blank=True, help_text="the parent's changes it replays")

    def __str__(self) -> str:
        return f"Run {self.run_id} forked from {self.parent_id} at {self.at_ms:g} ms"


class ABTest(models.Model):
    """Variants of one topology on the same seeds (patterns/ab.py), run in the background."""

    QUEUED, RUNNING, FINISHED, FAILED = "queued", "running", "finished", "failed"
    STATUS = [(s, s) for s in (QUEUED, RUNNING, FINISHED, FAILED)]
    ACTIVE = (QUEUED, RUNNING)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    session_key = models.CharField(max_length=40, blank=True)
    topology = models.ForeignKey(
        "playground.Topology", null=True, blank=True, on_delete=models.SET_NULL
    )
    scenario = models.ForeignKey(
        "playground.Scenario", null=True, blank=True, on_delete=models.SET_NULL
    )
    name = models.CharField(max_length=200, blank=True)
    document = models.JSONField(help_text="the base document")
    variants = models.JSONField(help_text='[{"name", "set": [{"node", "field", "value"}]}]')
    seeds = models.JSONField()
    status = models.CharField(max_length=10, choices=STATUS, default=QUEUED, db_index=True)
    done = models.PositiveIntegerField(default=0, help_text="runs finished so far")
    total = models.PositiveIntegerField(default=0)
    # Per variant, per seed, the figures (patterns.ab.figures); the analysis once finished.
    rows = models.JSONField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    # Recorded runs of each variant on the first seed, to watch side by side (run ids, in order).
    watch_runs = models.JSONField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"A/B {self.pk} ({self.status})"
