"""What the web app stores: topologies, runs, their events, scenarios, limits, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from patterns.budget import Budget
from playground.fields import OrderedJSONField

if TYPE_CHECKING:
    from django.contrib.auth.models import User


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
    # A run's budget in the engine (patterns/budget.py): a run over any of these stops, failed.
    max_in_flight = models.PositiveIntegerField(
        default=50_000,
        validators=[MinValueValidator(1)],
        help_text="messages in flight at once in one run (queued, in service or in transit)",
    )
    max_events_per_second = models.PositiveIntegerField(
        default=2_000_000,
        validators=[MinValueValidator(1)],
        help_text="engine events within one simulated second of a run",
    )
    max_events = models.PositiveBigIntegerField(
        default=100_000_000,
        validators=[MinValueValidator(1)],
        help_text="engine events in a whole run",
    )
    max_hops = models.PositiveIntegerField(
        default=100,
        validators=[MinValueValidator(1)],
        help_text="asynchronous hops one message may take (only a cycle makes many)",
    )
    max_sweep_runs = models.PositiveIntegerField(
        default=400,
        validators=[MinValueValidator(1)],
        help_text="runs in one parameter sweep (values × seeds)",
    )
    max_concurrent_sweeps = models.PositiveIntegerField(
        default=1, help_text="parameter sweeps queued or running per user"
    )
    max_stored_events = models.PositiveBigIntegerField(
        default=500_000,
        validators=[MinValueValidator(1)],
        help_text="events stored per run; the run goes on past it, counted in its summary",
    )

    class Meta:
        verbose_name_plural = "limits"

    def __str__(self) -> str:
        return "Limits"

    @classmethod
    def current(cls) -> Limits:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj

    def budget(self) -> Budget:
        """The engine's budget for one run under these limits."""
        return Budget(
            in_flight=self.max_in_flight,
            events_per_second=self.max_events_per_second,
            events=self.max_events,
            hops=self.max_hops,
        )


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
    # Claimed by a worker, which alone may write its progress (conditions below).
    LIVE = (RUNNING, PAUSED)
    TERMINAL = (FINISHED, FAILED, CANCELLED)
    # A speed is simulated seconds per wall second within these, or None: as fast as possible.
    MIN_SPEED, MAX_SPEED = 0.1, 100.0

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
    # The secret of the run's read-only link (/runs/<id>/?key=...): whoever holds it may watch
    # the run, whoever may see its topology or not. Looked up with the id, so not unique.
    share_key = models.CharField(max_length=32, default=new_share_key)
    document = models.JSONField(help_text="a snapshot of the document as it ran")
    seed = models.BigIntegerField()
    speed = models.FloatField(
        null=True,
        blank=True,
        help_text="simulated seconds per wall second; empty means as fast as possible",
    )
    status = models.CharField(max_length=10, choices=STATUS, default=QUEUED, db_index=True)
    reason = models.TextField(blank=True)
    # What a viewer should know about a run that is not a failure: events not stored past the limit.
    notice = models.TextField(blank=True)
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

    # A run's row is written by several parties that may race: the web process (a cancel, a
    # start that failed), the worker driving it, and the sweepers of every worker. Each change
    # below is one conditional UPDATE, true when it applied: whoever's condition no longer
    # holds lost the race, and the winner's status stands.

    @classmethod
    def claim(cls, pk: int, worker: str) -> bool:
        """`queued` -> `running` for this worker, only if still queued: a run starts once."""
        now = timezone.now()
        return bool(
            cls.objects.filter(pk=pk, status=cls.QUEUED).update(
                status=cls.RUNNING, worker=worker, started=now, heartbeat=now
            )
        )

    @classmethod
    def cancel_queued(cls, pk: int, reason: str) -> bool:
        """Cancel a run nobody has claimed yet; a later claim then finds nothing."""
        return bool(
            cls.objects.filter(pk=pk, status=cls.QUEUED).update(
                status=cls.CANCELLED, reason=reason, finished=timezone.now()
            )
        )

    @classmethod
    def fail_if(cls, pk: int, reason: str, **still: Any) -> bool:
        """Fail the run if its row still matches `still` (a status, the heartbeat seen...)."""
        return bool(
            cls.objects.filter(pk=pk, **still).update(
                status=cls.FAILED, reason=reason, finished=timezone.now()
            )
        )

    @classmethod
    def _driven_by(cls, pk: int, worker: str) -> models.QuerySet[Run]:
        """The run while this worker still drives it (a reaper or a cancel may have ended it)."""
        return cls.objects.filter(pk=pk, worker=worker, status__in=cls.LIVE)

    @classmethod
    def record_progress(cls, pk: int, worker: str, event_count: int, sim_time_ms: float) -> bool:
        """The driving worker's heartbeat, with how far the run has got."""
        return bool(
            cls._driven_by(pk, worker).update(
                event_count=event_count, sim_time_ms=sim_time_ms, heartbeat=timezone.now()
            )
        )

    @classmethod
    def record_status(cls, pk: int, worker: str, status: str, reason: str, notice: str) -> bool:
        """`running` or `paused` as the driving worker says, with a heartbeat."""
        return bool(
            cls._driven_by(pk, worker).update(
                status=status, reason=reason, notice=notice, heartbeat=timezone.now()
            )
        )

    @classmethod
    def record_end(cls, pk: int, worker: str, status: str, **fields: Any) -> bool:
        """The driving worker ends the run: `status`, and `fields` (reason, summary, counts)."""
        return bool(
            cls._driven_by(pk, worker).update(status=status, finished=timezone.now(), **fields)
        )

    def status_message(self) -> dict[str, Any]:
        """The run's `status` message to its viewers (docs/api.md, the WebSocket)."""
        return {
            "type": "status",
            "status": self.status,
            "reason": self.reason,
            "notice": self.notice,
            "last_seq": self.event_count - 1,
            "sim_time_ms": self.sim_time_ms,
            "speed": self.speed,
        }


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

    @staticmethod
    def bearer_key(header: str) -> str | None:
        """The token of an `Authorization: Bearer TOKEN` header; None when it says anything else."""
        scheme, _, key = header.strip().partition(" ")
        key = key.strip()
        return key if scheme.lower() == "bearer" and key else None

    @classmethod
    def active(cls, key: str) -> ApiToken | None:
        """The token with this key, if it exists and its user may still sign in."""
        token = cls.objects.select_related("user").filter(key_hash=cls.hash(key)).first()
        return token if token is not None and token.user.is_active else None

    @classmethod
    def issue(cls, user: User, name: str = "") -> tuple[ApiToken, str]:
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


class Sweep(models.Model):
    """A deadline sweep of a run (playground/experiments/sweeps.py): asked for by a page,
    run in the background.

    The page polls it by id. `key` identifies what is swept (node, field, values), so the
    same question about the same run is answered once and then read back.
    """

    QUEUED, RUNNING, FINISHED, FAILED = "queued", "running", "finished", "failed"
    STATUS = [(s, s) for s in (QUEUED, RUNNING, FINISHED, FAILED)]
    ACTIVE = (QUEUED, RUNNING)

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="sweeps")
    # Who asked: a user, or an anonymous visitor's session (empty when they had none).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    session_key = models.CharField(max_length=40, blank=True)
    node = models.CharField(max_length=100)
    field = models.CharField(max_length=40)
    values = models.JSONField()
    key = models.CharField(max_length=64, help_text="hash of node, field and values")
    status = models.CharField(max_length=10, choices=STATUS, default=QUEUED, db_index=True)
    rows = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True)
    error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["run", "key"])]

    def __str__(self) -> str:
        return f"Sweep {self.pk} of run {self.run_id} ({self.status})"


# Experiments (fork from a moment, A/B) live in their own module; imported here so Django sees them.
from playground.experiments.experiment_models import ABTest as ABTest  # noqa: E402
from playground.experiments.experiment_models import RunFork as RunFork  # noqa: E402

# Parameter sweeps live in their own module; imported here so Django registers them.
from playground.experiments.sweep_models import ParamSweep as ParamSweep  # noqa: E402
from playground.experiments.sweep_models import SweepPoint as SweepPoint  # noqa: E402
