"""Checking a topology document before anything is saved or started.

The engine's rules first, then the site's limits.

Used by the API and by the editor's pages alike, so both refuse the same
documents with the same words.
"""

from __future__ import annotations

from typing import Any

import patterns
from patterns import Problem
from playground.limits import document_problems
from playground.models import Limits


class Refused(Exception):
    """A document, or a request about one, that cannot go ahead; `problems` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in self.problems))


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
