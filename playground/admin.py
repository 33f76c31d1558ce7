"""The admin: topologies, runs (read-only), scenarios, limits (one row), API tokens.

Users are Django's own.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from playground.experiments.compare import OUTCOMES, PERCENTILES
from playground.models import ApiToken, Limits, Run, Scenario, Topology


@admin.register(Limits)
class LimitsAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "max_nodes",
        "max_instances",
        "max_client_rate",
        "max_duration_ms",
        "max_concurrent_runs",
    ]
    fieldsets = [
        ("Every document", {"fields": ["max_nodes", "max_instances"]}),
        (
            "Logged-in users",
            {"fields": ["max_client_rate", "max_duration_ms", "max_concurrent_runs"]},
        ),
        (
            "Visitors who are not logged in",
            {
                "fields": [
                    "anon_max_client_rate",
                    "anon_max_duration_ms",
                    "anon_max_concurrent_runs",
                ]
            },
        ),
        (
            "Runs",
            {
                "fields": [
                    "max_run_wall_seconds",
                    "max_stored_events",
                    "max_in_flight",
                    "max_events_per_second",
                    "max_events",
                    "max_hops",
                ],
                "description": "A run over any of the last four is stopped and fails, "
                "with a reason naming the node where it grew.",
            },
        ),
        ("Parameter sweeps", {"fields": ["max_sweep_runs", "max_concurrent_sweeps"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One row: Limits.current() creates it on first use.
        return not Limits.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Limits | None = None) -> bool:
        return False


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "pattern", "position"]
    list_filter = ["pattern"]
    search_fields = ["name", "slug", "description"]


class RunInline(admin.TabularInline):
    model = Run
    fields = ("status", "owner", "seed", "speed", "event_count", "created")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


@admin.register(Topology)
class TopologyAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "pattern", "visibility", "updated"]
    list_filter = ["visibility", "pattern", ("owner", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "description", "pattern", "owner__username"]
    raw_id_fields = ["owner", "forked_from"]
    readonly_fields = ["share_key", "created", "updated"]
    inlines = [RunInline]


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    """Runs are written by the runner; the admin shows and may delete them, never edits them."""

    class Media:
        # The summary's box (summary_readable): a style attribute would be inline style to the CSP.
        css = {"all": ["css/admin.css"]}

    list_display = [
        "id",
        "status",
        "topology",
        "scenario",
        "owner",
        "event_count",
        "created",
        "finished",
        "view_link",
    ]
    list_filter = ["status", "created", "scenario"]
    date_hierarchy = "created"
    search_fields = ["topology__name", "scenario__slug", "owner__username", "reason"]
    list_select_related = ["topology", "scenario", "owner"]
    readonly_fields = [
        "view_link",
        "summary_readable",
        "topology",
        "scenario",
        "owner",
        "session_key",
        "seed",
        "speed",
        "status",
        "reason",
        "event_count",
        "sim_time_ms",
        "worker",
        "heartbeat",
        "created",
        "started",
        "finished",
        "document",
    ]
    exclude = ["summary"]

    @admin.display(description="run view")
    def view_link(self, obj: Run) -> str:
        return format_html(
            '<a href="{}">open run {}</a>', reverse("run_detail", args=[obj.pk]), obj.pk
        )

    @admin.display(description="summary")
    def summary_readable(self, obj: Run) -> str:
        """The summary's headline figures, then the whole object indented (not one long line)."""
        if not obj.summary:
            return "— (not finished)"
        requests = obj.summary.get("requests") or {}
        latency = obj.summary.get("latency_ms") or {}
        # A fixed order: on PostgreSQL (jsonb) the stored object's keys come back sorted.
        headline = ", ".join(
            f"{k.replace('_', ' ')} {requests[k]}" for k in OUTCOMES if k in requests
        )
        percentiles = ", ".join(
            f"{k} {latency[k]:.1f}" if isinstance(latency[k], int | float) else f"{k} {latency[k]}"
            for k in PERCENTILES
            if k in latency
        )
        return format_html(
            "<p><strong>requests</strong>: {}<br><strong>latency ms</strong>: {}</p>"
            '<pre class="run-summary">{}</pre>',
            headline,
            percentiles,
            json.dumps(obj.summary, indent=2),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Run | None = None) -> bool:
        # Viewing the change page is allowed (read-only fields); saving changes nothing.
        return request.method in ("GET", "HEAD")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made on the account page or by `manage.py api_token`; here, seen and revoked."""

    list_display = ["prefix", "name", "user", "created", "last_used"]
    search_fields = ["user__username", "name", "prefix"]
    readonly_fields = ["user", "name", "prefix", "key_hash", "created", "last_used"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
