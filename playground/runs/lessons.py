"""Which lesson a run view shows, and what its page needs of it (docs/lessons.md).

A scenario's run shows its scenario's lesson. A run of a saved topology shows the lesson
named by `?lesson=<slug>`, or else the lesson of the scenario it was forked from: a fork
starts with the scenario's name ("Sticky sessions and a crash (fork)"), in either language,
and the topology keeps no other trace of where it came from (the API's fork keeps the
scenario's name as it is). The steps' triggers are
checked against the run's own document in the browser (static/js/lesson.js), so a fork
that removed a node skips the steps naming it, with a notice.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import translation

from patterns import lessons, scenarios
from playground.models import Run


def lesson_slug(run: Run, request: HttpRequest) -> str | None:
    """The slug of the lesson for this run, or None."""
    asked = request.GET.get("lesson", "")
    if asked and lessons.get(asked) is not None:
        return asked
    if run.scenario is not None:
        return run.scenario.slug if lessons.get(run.scenario.slug) is not None else None
    # The topology's own name, not its document's: a topology made from a scenario's document
    # under another name ("VOD", a test's) is a design of its own, not a fork of the lesson.
    name = run.topology.name if run.topology is not None else ""
    names: list[tuple[str, str]] = []
    for scenario in scenarios.all():
        names.append((scenario.name, scenario.slug))
        korean = scenarios.text("ko").get(scenario.slug)
        if korean:
            names.append((korean["name"], scenario.slug))
    # The longest name first: one scenario's name may start another's.
    for prefix, slug in sorted(names, key=lambda n: -len(n[0])):
        if prefix and name.startswith(prefix) and lessons.get(slug) is not None:
            return slug
    return None


def lesson_boot(run: Run, request: HttpRequest) -> dict[str, Any] | None:
    """What static/js/lesson.js needs: the lesson (both languages), the glossary, the language."""
    slug = lesson_slug(run, request)
    language = (translation.get_language() or "en").split("-")[0]
    return {
        "slug": slug,
        "lesson": lessons.get(slug) if slug else None,
        "glossary": lessons.glossary(),
        "language": language if language in lessons.LANGUAGES else "en",
    }
