"""What the web app stores: topologies, runs, their events, scenarios, limits, API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models

from playground.fields import OrderedJSONField


def new_share_key() -> str:
    """32 URL-safe characters (24 random bytes): fits the column on every database."""
    return secrets.token_urlsafe(24)


class Limits(models.Model):
    """Site-wide limits, one row, edited in the admin. `Limits.current()` reads it."""

    max_nodes = models.PositiveIntegerField(default=60)
    max_instances = models.PositiveIntegerField(default=50, help_text="instances per node")
    max_client_rate = models.FloatField(
        default=5000, help_text="requests per simulated second, per client or source"
    )
    max_duration_ms = models.PositiveIntegerField(default=600_000, help_text="simulated duration")
    max_concurrent_runs = models.PositiveIntegerField(
        default=3, help_text="queued or running runs per user"
    )
    anon_max_client_rate = models.FloatField(default=500)
    anon_max_duration_ms = models.PositiveIntegerField(default=120_000)
    anon_max_concurrent_runs = models.PositiveIntegerField(
        default=1, help_text="per browser session"
    )
    max_run_wall_seconds = models.PositiveIntegerField(
        default=1800, help_text="a run past this wall-clock time is stopped"
    )

    class Meta:
        verbose_name_plural = "limits"

    def __str__(self) -> str:
        return "Limits"

    @classmethod
    def current(cls) -> Limits:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class Scenario(models.Model):
    """A built-in topology of the engine's library (`patterns.scenarios`); see `load_scenarios`."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    pattern = models.CharField(max_length=60)
    description = models.TextField(blank=True)
    document = models.JSONField()
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["pattern", "position", "slug"]

    def __str__(self) -> str:
        return self.name


class Topology(models.Model):
    PRIVATE, LINK, PUBLIC = "private", "link", "public"
    VISIBILITY = [
        (PRIVATE, "Private"),
        (LINK, "Anyone with the link (read-only)"),
        (PUBLIC, "Public"),
    ]

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="topologies"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    pattern = models.CharField(max_length=60, blank=True)
    document = models.JSONField()
    visibility = models.CharField(max_length=10, choices=VISIBILITY, default=PRIVATE)
    # The secret in a link share's URL; a private topology's id alone reveals nothing.
    share_key = models.CharField(max_length=32, unique=True, default=new_share_key)
    forked_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="forks"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated"]
        verbose_name_plural = "topologies"

    def __str__(self) -> str:
        return self.name


class Run(models.Model):
    QUEUED, RUNNING, PAUSED = "queued", "running", "paused"
    FINISHED, FAILED, CANCELLED = "finished", "failed", "cancelled"
    STATUS = [(s, s) for s in (QUEUED, RUNNING, PAUSED, FINISHED, FAILED, CANCELLED)]
    ACTIVE = (QUEUED, RUNNING, PAUSED)

    topology = models.ForeignKey(
        Topology, null=True, blank=True, on_delete=models.CASCADE, related_name="runs"
    )
    scenario = models.ForeignKey(
        Scenario, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    # Null for an anonymous visitor's scenario run; then session_key says whose it is.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="runs",
    )
    session_key = models.CharField(max_length=40, blank=True)
    document = models.JSONField(help_text="a snapshot of the document as it ran")
    seed = models.BigIntegerField()
    speed = models.FloatField(
        null=True,
        blank=True,
        help_text="simulated seconds per wall second; empty means as fast as possible",
    )
    status = models.CharField(max_length=10, choices=STATUS, default=QUEUED, db_index=True)
    reason = models.TextField(blank=True)
    summary = models.JSONField(null=True, blank=True)
    event_count = models.PositiveBigIntegerField(default=0)
    sim_time_ms = models.FloatField(default=0)
    worker = models.CharField(max_length=200, blank=True, help_text="who claimed it")
    heartbeat = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"Run {self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class EventBatch(models.Model):
    """One tick's events of a run, stored together: seq first_seq..last_seq inclusive, in order."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="batches")
    first_seq = models.PositiveBigIntegerField()
    last_seq = models.PositiveBigIntegerField()
    # Key order kept on PostgreSQL too: exports are byte-identical to the CLI's.
    events = OrderedJSONField()

    class Meta:
        ordering = ["run", "first_seq"]
        constraints = [
            models.UniqueConstraint(fields=["run", "first_seq"], name="unique_batch_start")
        ]
        indexes = [models.Index(fields=["run", "last_seq"])]


class ApiToken(models.Model):
    """A bearer token for scripts. Only its hash is stored; the token is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=8, help_text="the first characters, to recognise it")
    key_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, user, name: str = "") -> tuple[ApiToken, str]:
        key = "pp_" + secrets.token_urlsafe(30)
        token = cls.objects.create(user=user, name=name, prefix=key[:8], key_hash=cls.hash(key))
        return token, key


class RunControl(models.Model):
    """A control the run's owner sent (pause, resume, speed, step, fault, cancel).

    Stored rather than sent over the channel layer: the runner may be in another
    process, the layer is at-most-once, and a Redis restart must not lose a
    cancel. The runner reads new rows every tick and applies them in order.
    """

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="controls")
    action = models.CharField(max_length=10)
    params = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
