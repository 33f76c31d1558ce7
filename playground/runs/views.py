"""The run view: a run live or replayed, with its controls for whoever started it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override

from playground.accounts import access
from playground.i18n import scenario_text
from playground.models import Run
from playground.runs.lessons import lesson_boot
from playground.runs.reaper import reap_if_stale


def _explanation(run: Run) -> str:
    """What the run view's "What to watch" box says: the scenario's text, or the topology's own."""
    if run.scenario and run.scenario.description:
        return scenario_text(run.scenario)[1]
    if run.topology and run.topology.description:
        return run.topology.description
    return str(run.document.get("description") or "")


def _run_title(run: Run) -> str:
    """The document's name; a built-in scenario's, unchanged, in the page's language."""
    name = str(run.document.get("name") or "")
    if run.scenario and name in ("", run.scenario.name):
        return scenario_text(run.scenario)[0]
    return name or gettext("Run %(id)s") % {"id": run.pk}


def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _run_page(request, pk, embedded=False)


# Another site may show a run in an iframe (its own CSP frame-ancestors and no X-Frame-Options
# on this page only); the page is read-only whoever opens it, and `?t=` opens it at a moment.
@xframe_options_exempt
@csp_override({**settings.SECURE_CSP, "frame-ancestors": ["*"]})
def run_embed(request: HttpRequest, pk: int) -> HttpResponse:
    return _run_page(request, pk, embedded=True)


def _run_page(request: HttpRequest, pk: int, embedded: bool) -> HttpResponse:
    run = reap_if_stale(access.run_for_page(request, pk))
    is_owner = not embedded and access.can_control_run(
        request.user, request.session.session_key, run
    )
    return render(
        request,
        "playground/run.html",
        {
            "run": run,
            "is_owner": is_owner,
            # Its starter may hand the run on: read-only, to anyone holding the link.
            "share_url": request.build_absolute_uri(access.run_share_path(run)) if is_owner else "",
            # A run's link opens the run, not its topology: no links that would 404.
            "topology_visible": run.topology is not None
            and access.can_view_topology(request.user, run.topology, request.GET.get("key")),
            "embedded": embedded,
            "explanation": _explanation(run),
            "title": _run_title(run),
            "boot": {
                "id": run.pk,
                "status": run.status,
                "speed": run.speed,
                "document": run.document,
                "owner": is_owner,
                "summary": run.summary,
                "key": request.GET.get("key", ""),
                # An embedded player shows the run, not a quiz. A class's follower has the
                # lesson (the follow link names it): its panel follows the presenter's step,
                # question and reveal (static/js/classroom.js).
                "lesson": None if embedded else lesson_boot(run, request),
                "embedded": embedded,
            },
        },
    )
