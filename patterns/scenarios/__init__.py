"""The built-in scenarios: topology files that each show one pattern at work.

Each scenario is one JSON topology in this package, with a top-level
`description` (see docs/topology.md, "The document") telling a
learner what to watch. Adding a scenario is adding a file; `ORDER` only
decides where the known ones appear in the library.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from patterns.topology import load

# Library order: the patterns as the library presents them, and simple to
# subtle within each (the library groups by `pattern`; this orders inside the
# groups). Files not listed come after these, by name.
ORDER = (
    # Load balancing: an algorithm, then state, then zones, then scaling.
    "round-robin-vs-least-connections",
    "sticky-sessions-and-a-crash",
    "balancer-per-zone",
    "busy-tier-autoscales",
    "message-broker-absorbs-a-burst",
    # Pipes and filters.
    "media-processing-pipeline",
    # Scatter-gather: all replies, then a deadline, then the asynchronous variant.
    "sharded-document-search",
    "flight-search-ten-second-deadline",
    "report-built-asynchronously",
    # Orchestrator: the saga, then what adding a service costs, then the
    # choreographed flow done by a coordinator, to compare with the next group.
    "vod-subscription-saga",
    "vod-subscription-with-profile",
    "job-seeker-orchestrated",
    # Choreography.
    "job-seeker-choreography",
)


@dataclass(frozen=True)
class Scenario:
    """A built-in topology: its slug (the file name), title, pattern, explanation and document."""

    slug: str
    name: str
    pattern: str
    description: str
    document: dict[str, Any]


def all() -> list[Scenario]:  # shadows the builtin: the agreed API name (patterns/CONTRACT.md)
    """Every built-in scenario, in library order; each call returns fresh documents."""
    return [_copy(s) for s in _scenarios()]


def get(slug: str) -> Scenario:
    """The scenario with this slug; KeyError if there is none."""
    for scenario in _scenarios():
        if scenario.slug == slug:
            return _copy(scenario)
    raise KeyError(slug)


def _copy(scenario: Scenario) -> Scenario:
    # Documents are plain dicts: callers may edit theirs without touching ours.
    return Scenario(
        scenario.slug,
        scenario.name,
        scenario.pattern,
        scenario.description,
        copy.deepcopy(scenario.document),
    )


@cache
def _scenarios() -> tuple[Scenario, ...]:
    files = [f for f in resources.files(__package__).iterdir() if f.name.endswith(".json")]
    rank = {slug: i for i, slug in enumerate(ORDER)}
    files.sort(key=lambda f: (rank.get(f.name[: -len(".json")], len(ORDER)), f.name))
    found = []
    for f in files:
        document = json.loads(f.read_text(encoding="utf-8"))
        # A broken built-in scenario is a bug: fail loudly, naming the problems.
        normalised = load(document)
        found.append(
            Scenario(
                slug=f.name[: -len(".json")],
                name=normalised["name"],
                pattern=normalised["pattern"],
                description=normalised["description"],
                document=document,
            )
        )
    return tuple(found)


def text(language: str) -> dict[str, dict[str, str]]:
    """Each scenario's `name` and `description` in another language, by slug ({} if none).

    The scenario files are written in English; `text/<language>.json` (e.g. text/ko.json)
    holds the same two fields in that language, as data beside them
    (docs/topology.md). A scenario missing there is shown in English.
    """
    return dict(_text(language))


@cache
def _text(language: str) -> tuple[tuple[str, dict[str, str]], ...]:
    if not language.isalpha():
        return ()
    f = resources.files(__package__) / "text" / f"{language}.json"
    if not f.is_file():
        return ()
    found = json.loads(f.read_text(encoding="utf-8"))
    return tuple(
        (slug, {"name": t["name"], "description": t["description"]}) for slug, t in found.items()
    )
