"""Checking a topology document before anything is saved or started.

The engine's rules first, then the site's limits.

Used by the API and by the editor's pages alike, so both refuse the same
documents with the same words.
"""

from __future__ import annotations

from typing import Any

import patterns
from patterns import Problem
from playground.models import Limits
from playground.refusals import Refused
from playground.topologies.limits import document_problems


def check(raw: Any, *, anonymous: bool = False, limits: Limits | None = None) -> dict[str, Any]:
    """Return the normalised document, or raise Refused with every problem found."""
    if not isinstance(raw, dict):
        raise Refused([Problem("document", "a topology document is a JSON object")])
    try:
        doc = patterns.load(raw)
    except patterns.TopologyError as exc:
        raise Refused(exc.problems) from None
    problems = document_problems(doc, limits or Limits.current(), anonymous=anonymous)
    if problems:
        raise Refused(problems)
    return doc


def warnings(raw: Any) -> list[Problem]:
    """What is valid but will not run well (an asynchronous cycle that never dies out).

    Shown, never refused: the run's budget bounds it. Empty for a refused document,
    whose problems come first.
    """
    try:
        return patterns.warnings_of(patterns.load(raw))
    except patterns.TopologyError:
        return []
