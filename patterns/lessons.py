"""Lessons: a built-in scenario narrated, step by step, as its run goes (docs/lessons.md).

A lesson is data beside its scenario (`patterns/scenarios/lessons/<slug>.json`, the
scenario's slug), with its text in English and Korean side by side. `load_lesson`
validates one like `topology.load` validates a document: every problem named by its
path. `Matcher` fires the steps on a run's events; `answer` decides the prediction
question from the run's summary. static/js/lesson.js applies the same rules in the
browser; keep the two in step (tests/e2e/test_lessons.py compares them on a run).

Pure Python: no Django.
"""

from __future__ import annotations

import builtins
import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from patterns.events import FIELDS
from patterns.topology import Problem, TopologyError

LANGUAGES = ("en", "ko")
# A lesson narrates a few moments; the bound also lets a classroom's presenter's step index be
# checked without the lesson at hand (playground/runs/classroom.py).
MAX_STEPS = 40
# Event fields that hold a node id or an instance name (`api#1`): a step whose
# trigger names one the run's document lacks can never fire, so it is skipped
# at once with a notice instead of waited for (a fork that removed the node).
NAME_FIELDS = frozenset(
    {"node", "instance", "lb", "chosen", "target", "from", "to", "origin", "replica", "call"}
)
# A `fault` event spreads the fault's own fields (docs/events.md).
FAULT_FIELDS = ("kind", "at_ms", "for_ms", "node", "instance", "factor", "zone")
ANSWER_RULES = ("largest", "smallest", "positive")
_ID = re.compile(r"^[a-z0-9_-]{1,40}$")
_PLACEHOLDER = re.compile(r"\{([a-z0-9_-]+)\}")


class LessonError(TopologyError):
    """A lesson file refused; `problems` names each field at fault."""


def _text(value: Any, path: str, problems: list[Problem]) -> None:
    if not isinstance(value, dict):
        problems.append(Problem(path, 'must be an object {"en": "...", "ko": "..."}'))
        return
    for language in LANGUAGES:
        if not isinstance(value.get(language), str) or not value[language].strip():
            problems.append(Problem(f"{path}.{language}", "is required: a non-empty string"))
    for key in value:
        if key not in LANGUAGES:
            problems.append(
                Problem(f"{path}.{key}", f"unknown language (it has: {', '.join(LANGUAGES)})")
            )


def _unknown(
    obj: dict[str, Any], allowed: tuple[str, ...], path: str, problems: list[Problem]
) -> None:
    for key in obj:
        if key not in allowed:
            problems.append(
                Problem(
                    f"{path}.{key}" if path else key,
                    f"unknown field (it has: {', '.join(allowed)})",
                )
            )


def _fields_of(event_type: str) -> tuple[str, ...]:
    return ("seq", "t") + (FAULT_FIELDS if event_type == "fault" else FIELDS[event_type])


def _check_when(when: Any, path: str, problems: list[Problem]) -> None:
    if not isinstance(when, dict):
        problems.append(
            Problem(path, 'must be an object: {"event": TYPE, "where": {...}} or {"at_ms": N}')
        )
        return
    if "at_ms" in when:
        _unknown(when, ("at_ms",), path, problems)
        if (
            not isinstance(when["at_ms"], (int, float))
            or isinstance(when["at_ms"], bool)
            or when["at_ms"] < 0
        ):
            problems.append(Problem(f"{path}.at_ms", "must be a number of ms, 0 or more"))
        return
    _unknown(when, ("event", "where", "nth"), path, problems)
    event_type = when.get("event")
    if event_type not in FIELDS:
        problems.append(
            Problem(f"{path}.event", f"must be an event type ({', '.join(FIELDS)}) or use at_ms")
        )
        return
    where = when.get("where", {})
    if not isinstance(where, dict):
        problems.append(Problem(f"{path}.where", "must be an object of field: value"))
    else:
        fields = _fields_of(event_type)
        for key, value in where.items():
            if key.split(".")[0] not in fields:
                problems.append(
                    Problem(
                        f"{path}.where.{key}",
                        f"{event_type} has no field {key.split('.')[0]!r}"
                        f" (it has: {', '.join(fields)})",
                    )
                )
            if isinstance(value, (dict, list)):
                problems.append(
                    Problem(
                        f"{path}.where.{key}",
                        "must be a plain value (a string, a number, true, false or null)",
                    )
                )
    nth = when.get("nth", 1)
    if not isinstance(nth, int) or isinstance(nth, bool) or nth < 1:
        problems.append(Problem(f"{path}.nth", "must be a whole number, 1 or more"))


def load_lesson(raw: Any, document: dict[str, Any] | None = None) -> dict[str, Any]:
    """Validate a lesson; return it with defaults filled in, or raise LessonError.

    With the scenario's `document`, the names a lesson highlights must be its nodes or
    instances, and the names its triggers match must be too.
    """
    problems: list[Problem] = []
    if not isinstance(raw, dict):
        raise LessonError([Problem("", "a lesson is a JSON object")])
    _unknown(raw, ("title", "intro", "question", "steps", "reveal"), "", problems)
    for key in ("title", "intro", "reveal"):
        _text(raw.get(key), key, problems)
    question = raw.get("question")
    figures: dict[str, Any] = {}
    if not isinstance(question, dict):
        problems.append(
            Problem("question", "is required: an object with text, choices, figures, answer")
        )
    else:
        _unknown(question, ("text", "choices", "figures", "answer"), "question", problems)
        _text(question.get("text"), "question.text", problems)
        choices = question.get("choices")
        ids: list[str] = []
        if not isinstance(choices, list) or len(choices) < 2:
            problems.append(Problem("question.choices", "needs two or more choices"))
        else:
            for i, choice in enumerate(choices):
                where = f"question.choices[{i}]"
                if not isinstance(choice, dict):
                    problems.append(Problem(where, 'must be an object {"id", "text"}'))
                    continue
                _unknown(choice, ("id", "text"), where, problems)
                if not isinstance(choice.get("id"), str) or not _ID.match(choice["id"]):
                    problems.append(Problem(f"{where}.id", "must match [a-z0-9_-]{1,40}"))
                elif choice["id"] in ids:
                    problems.append(Problem(f"{where}.id", f"{choice['id']!r} is used twice"))
                else:
                    ids.append(choice["id"])
                _text(choice.get("text"), f"{where}.text", problems)
        raw_figures = question.get("figures")
        figures = raw_figures if isinstance(raw_figures, dict) else {}
        if not figures:
            problems.append(
                Problem("question.figures", 'is required: {"name": "summary.path", ...}')
            )
        for name, summary_path in figures.items():
            if not _ID.match(name) or not isinstance(summary_path, str) or not summary_path:
                problems.append(
                    Problem(
                        f"question.figures.{name}",
                        "a name [a-z0-9_-] for a dotted path into the summary",
                    )
                )
        _check_answer(question.get("answer"), ids, figures, problems)
    if isinstance(raw.get("reveal"), dict):
        for language in LANGUAGES:
            for name in _PLACEHOLDER.findall(str(raw["reveal"].get(language, ""))):
                if name not in figures:
                    problems.append(
                        Problem(f"reveal.{language}", f"{{{name}}} is not one of question.figures")
                    )
    steps = raw.get("steps")
    if not isinstance(steps, list) or not steps:
        problems.append(Problem("steps", "needs one step or more"))
        steps = []
    elif len(steps) > MAX_STEPS:
        problems.append(Problem("steps", f"has {len(steps)} steps; at most {MAX_STEPS}"))
    step_ids: list[str] = []
    for i, step in enumerate(steps):
        where = f"steps[{i}]"
        if not isinstance(step, dict):
            problems.append(Problem(where, "must be an object"))
            continue
        _unknown(step, ("id", "when", "pause", "highlight", "text"), where, problems)
        if not isinstance(step.get("id"), str) or not _ID.match(step["id"]):
            problems.append(Problem(f"{where}.id", "must match [a-z0-9_-]{1,40}"))
        elif step["id"] in step_ids:
            problems.append(Problem(f"{where}.id", f"{step['id']!r} is used twice"))
        else:
            step_ids.append(step["id"])
        _check_when(step.get("when"), f"{where}.when", problems)
        _text(step.get("text"), f"{where}.text", problems)
        if not isinstance(step.get("pause", False), bool):
            problems.append(Problem(f"{where}.pause", "must be true or false"))
        highlight = step.get("highlight", [])
        if not isinstance(highlight, list) or not builtins.all(
            isinstance(h, str) for h in highlight
        ):
            problems.append(
                Problem(f"{where}.highlight", "must be a list of node ids or instance names")
            )
        elif document is not None:
            for name in highlight:
                if not _has_name(document, name):
                    problems.append(
                        Problem(
                            f"{where}.highlight",
                            f"{name!r} is not a node or an instance of the scenario",
                        )
                    )
        if document is not None and isinstance(step.get("when"), dict):
            missing = missing_names(step["when"], document)
            if missing:
                problems.append(
                    Problem(
                        f"{where}.when.where",
                        f"{missing!r} is not a node or an instance of the scenario",
                    )
                )
    if problems:
        raise LessonError(problems)
    lesson: dict[str, Any] = json.loads(json.dumps(raw))
    for step in lesson["steps"]:
        step.setdefault("pause", False)
        step.setdefault("highlight", [])
        if "event" in step["when"]:
            step["when"].setdefault("where", {})
            step["when"].setdefault("nth", 1)
    return lesson


def _check_answer(
    answer: Any, ids: list[str], figures: dict[str, Any], problems: list[Problem]
) -> None:
    path = "question.answer"
    if not isinstance(answer, dict) or len([k for k in answer if k in ANSWER_RULES]) != 1:
        problems.append(Problem(path, f"must have one rule of {', '.join(ANSWER_RULES)}"))
        return
    if "positive" in answer:
        _unknown(answer, ("positive", "yes", "no"), path, problems)
        if answer["positive"] not in figures:
            problems.append(Problem(f"{path}.positive", "must name one of question.figures"))
        for key in ("yes", "no"):
            if answer.get(key) not in ids:
                problems.append(Problem(f"{path}.{key}", "must be the id of a choice"))
        return
    rule = "largest" if "largest" in answer else "smallest"
    _unknown(answer, (rule,), path, problems)
    by_choice = answer[rule]
    if not isinstance(by_choice, dict) or len(by_choice) < 2:
        problems.append(
            Problem(f"{path}.{rule}", '{"choice id": "figure name", ...} for two choices or more')
        )
        return
    for choice, name in by_choice.items():
        if choice not in ids:
            problems.append(Problem(f"{path}.{rule}.{choice}", "is not the id of a choice"))
        if name not in figures:
            problems.append(
                Problem(f"{path}.{rule}.{choice}", f"{name!r} is not one of question.figures")
            )


def _has_name(document: dict[str, Any], name: str) -> bool:
    # Only the node is checked: an instance's index may be past a pool's first size (an
    # autoscaler, a function, a resize), so `api#7` names a node the run has if `api` is one.
    node_id, hash_, index = name.partition("#")
    if hash_ and not index.isdigit():
        return False
    return any(isinstance(n, dict) and n.get("id") == node_id for n in document.get("nodes", []))


def missing_names(when: dict[str, Any], document: dict[str, Any]) -> str | None:
    """The first node or instance a trigger names that the document lacks, else None."""
    for key, value in (when.get("where") or {}).items():
        if key in NAME_FIELDS and isinstance(value, str) and not _has_name(document, value):
            return value
    return None


def _value(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return _MISSING
        obj = obj[part]
    return obj


_MISSING = object()


def matches(when: dict[str, Any], event: dict[str, Any]) -> bool:
    """Whether one event is of the trigger's type with every `where` value equal."""
    if "at_ms" in when:
        return bool(event["t"] >= when["at_ms"])
    if event["type"] != when["event"]:
        return False
    return builtins.all(_value(event, key) == value for key, value in when.get("where", {}).items())


@dataclass
class StepState:
    """What became of one step: fired at an event (`seq`, `t`), or skipped and why."""

    id: str
    seq: int | None = None
    t: float | None = None
    skipped: str | None = None  # "missing-name", "never", "after-skipped"
    name: str | None = None  # the name a "missing-name" step's trigger lacks


@dataclass
class Matcher:
    """Fires a lesson's steps on a run's events, in order (docs/lessons.md, "Matching").

    Steps wait their turn: step k is matched only against events after the one that
    fired step k-1, and its `nth` counts from there. A step whose trigger names a node
    the document lacks is skipped at once (a fork that removed it); at the end of the
    run every step still waiting is skipped, so a lesson never holds a run up.
    """

    lesson: dict[str, Any]
    document: dict[str, Any]
    states: list[StepState] = field(init=False)
    _next: int = field(init=False, default=0)
    _count: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        # Set here, not left to the field defaults: the compiled build (mypyc) does not fill
        # the default of an init=False field, and reading it raised AttributeError.
        self._next = 0
        self._count = 0
        self.states = [StepState(step["id"]) for step in self.lesson["steps"]]
        for step, state in zip(self.lesson["steps"], self.states, strict=True):
            missing = missing_names(step["when"], self.document)
            if missing:
                state.skipped, state.name = "missing-name", missing
        self._advance()

    def _advance(self) -> None:
        while self._next < len(self.states) and self.states[self._next].skipped:
            self._next += 1

    def feed(self, event: dict[str, Any]) -> StepState | None:
        """The step this event fires, if any (at most one an event)."""
        if self._next >= len(self.states):
            return None
        when = self.lesson["steps"][self._next]["when"]
        if not matches(when, event):
            return None
        self._count += 1
        if self._count < when.get("nth", 1):
            return None
        state = self.states[self._next]
        state.seq, state.t = event["seq"], event["t"]
        self._next += 1
        self._count = 0
        self._advance()
        return state

    def finish(self) -> list[StepState]:
        """The run is over: skip every step still waiting; return them."""
        skipped: list[StepState] = []
        for i in range(self._next, len(self.states)):
            state = self.states[i]
            if state.seq is None and not state.skipped:
                state.skipped = "never" if not skipped else "after-skipped"
                skipped.append(state)
        self._next = len(self.states)
        return skipped


def run_lesson(
    lesson: dict[str, Any], document: dict[str, Any], events: list[dict[str, Any]]
) -> list[StepState]:
    """Every step's fate over a finished run's whole stream."""
    matcher = Matcher(lesson, document)
    for event in events:
        matcher.feed(event)
    matcher.finish()
    return matcher.states


def figure(summary: dict[str, Any], path: str) -> Any:
    """The summary's value at a dotted path (`lanes.users-rr.latency_ms.p95`), or None."""
    value = _value(summary, path)
    return None if value is _MISSING else value


def answer(lesson: dict[str, Any], summary: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """The right choice for this run, decided by its figures, and the figures by name."""
    question = lesson["question"]
    figures = {name: figure(summary, path) for name, path in question["figures"].items()}
    rule = question["answer"]
    if "positive" in rule:
        value = figures[rule["positive"]]
        if not isinstance(value, (int, float)):
            return None, figures
        return (rule["yes"] if value > 0 else rule["no"]), figures
    key = "largest" if "largest" in rule else "smallest"
    scored = [
        (figures[name], choice)
        for choice, name in rule[key].items()
        if isinstance(figures[name], (int, float))
    ]
    if len(scored) < len(rule[key]):
        return None, figures
    best = max(scored) if key == "largest" else min(scored)
    if sum(1 for value, _ in scored if value == best[0]) > 1:
        return None, figures  # a tie answers nothing
    return best[1], figures


def all() -> dict[str, dict[str, Any]]:  # shadows the builtin, like scenarios.all
    """Every lesson by its scenario's slug, validated against its scenario."""
    return {slug: json.loads(json.dumps(lesson)) for slug, lesson in _lessons()}


def get(slug: str) -> dict[str, Any] | None:
    """The lesson of this scenario, or None."""
    return dict(_lessons()).get(slug)


@cache
def _lessons() -> tuple[tuple[str, dict[str, Any]], ...]:
    from patterns import scenarios  # scenarios imports topology only; no cycle at import time

    folder = resources.files("patterns.scenarios") / "lessons"
    found = []
    for f in sorted(folder.iterdir(), key=lambda f: f.name):
        if not f.name.endswith(".json"):
            continue
        slug = f.name[: -len(".json")]
        try:
            document = scenarios.get(slug).document
        except KeyError:
            raise LessonError([Problem(f.name, f"no scenario {slug!r} for this lesson")]) from None
        try:
            lesson = load_lesson(json.loads(f.read_text(encoding="utf-8")), document)
        except LessonError as error:
            # A broken built-in lesson is a bug: fail loudly, naming the file and the fields.
            raise LessonError(
                [Problem(f"{f.name}: {p.path}", p.message) for p in error.problems]
            ) from None
        found.append((slug, lesson))
    return tuple(found)


def glossary() -> list[dict[str, Any]]:
    """The pattern terms in both languages (patterns/glossary.json), validated.

    Each entry: `id`, and per language `terms` (the words that show it, longest matched
    first, e.g. "sticky session", "스티키 세션") and `text` (what it means).
    """
    return json.loads(json.dumps(_glossary()))  # type: ignore[no-any-return]


@cache
def _glossary() -> list[dict[str, Any]]:
    entries = json.loads((resources.files("patterns") / "glossary.json").read_text("utf-8"))
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        where = f"glossary[{i}]"
        if not isinstance(entry, dict) or not _ID.match(str(entry.get("id", ""))):
            problems.append(Problem(f"{where}.id", "must match [a-z0-9_-]{1,40}"))
            continue
        if entry["id"] in seen:
            problems.append(Problem(f"{where}.id", f"{entry['id']!r} is used twice"))
        seen.add(entry["id"])
        for language in LANGUAGES:
            text = entry.get(language)
            terms = text.get("terms") if isinstance(text, dict) else None
            if (
                not isinstance(terms, list)
                or not terms
                or not builtins.all(isinstance(t, str) and t.strip() for t in terms)
            ):
                problems.append(
                    Problem(f"{where}.{language}.terms", "a list of words, one or more")
                )
            if not isinstance(text, dict) or not str(text.get("text", "")).strip():
                problems.append(
                    Problem(f"{where}.{language}.text", "is required: a non-empty string")
                )
    if problems:
        raise LessonError(problems)
    return list(entries)
