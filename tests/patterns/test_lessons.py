"""Lessons: the files validate, every trigger fires at its event in order on its scenario
(engine, seeded), forks skip what cannot happen with a reason, and the answer comes from
the summary (docs/lessons.md)."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from typing import Any

import pytest

from patterns import Simulation, lessons, scenarios
from patterns.lessons import LessonError, Matcher, load_lesson, matches, run_lesson

SLUGS = [s.slug for s in scenarios.all()]


@cache
def _run(slug: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    return _simulate(scenarios.get(slug).document)


def _simulate(document: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    sim = Simulation(document)
    events: list[dict[str, Any]] = []
    while not sim.done:
        events += sim.advance(sim.now + 10**9)
    return events, sim.summary()


def test_every_built_in_scenario_has_a_lesson_that_validates() -> None:
    """One lesson a scenario, each valid against its scenario's nodes."""
    assert sorted(lessons.all()) == sorted(SLUGS)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_step_fires_at_its_event_in_order(slug: str) -> None:
    """Each step fires at the first matching event after the step before it (its nth)."""
    lesson = lessons.get(slug)
    assert lesson is not None
    events, _summary = _run(slug)
    states = run_lesson(lesson, scenarios.get(slug).document, events)
    assert [s.skipped for s in states] == [None] * len(states)
    previous = -1
    for step, state in zip(lesson["steps"], states, strict=True):
        assert state.seq is not None and state.seq > previous
        event = events[state.seq]
        assert matches(step["when"], event)
        assert state.t == event["t"]
        between = [e for e in events[previous + 1 : state.seq] if matches(step["when"], e)]
        assert len(between) == step["when"].get("nth", 1) - 1
        previous = state.seq


@pytest.mark.parametrize("slug", SLUGS)
def test_the_answer_and_the_reveal_figures_come_from_the_summary(slug: str) -> None:
    """Every figure the reveal quotes is a number of the run's summary; the answer is decided."""
    lesson = lessons.get(slug)
    assert lesson is not None
    _events, summary = _run(slug)
    choice, figures = lessons.answer(lesson, summary)
    assert choice in {c["id"] for c in lesson["question"]["choices"]}
    for name, path in lesson["question"]["figures"].items():
        value: Any = summary
        for part in path.split("."):
            value = value[part]
        assert isinstance(value, (int, float)) and figures[name] == value


def test_the_key_moments_are_the_ones_the_issue_names() -> None:
    """The crash of orch#0; the first gather closed by its deadline."""
    events, _ = _run("vod-subscription-saga")
    lesson = lessons.get("vod-subscription-saga")
    assert lesson is not None
    states = {
        s.id: s for s in run_lesson(lesson, scenarios.get("vod-subscription-saga").document, events)
    }
    crash = events[states["crash"].seq or 0]
    assert (crash["type"], crash["instance"], crash["t"]) == ("instance.down", "orch#0", 20000.0)
    events, _ = _run("flight-search-ten-second-deadline")
    lesson = lessons.get("flight-search-ten-second-deadline")
    assert lesson is not None
    document = scenarios.get("flight-search-ten-second-deadline").document
    states = {s.id: s for s in run_lesson(lesson, document, events)}
    first = next(
        e for e in events if e["type"] == "aggregate.done" and e["reason"] == "deadline passed"
    )
    assert states["deadline"].seq == first["seq"]


def test_a_fork_without_the_triggering_node_skips_that_step_at_once_with_a_notice() -> None:
    """The profile lesson on the saga without `profile`: its step is skipped, the rest fire."""
    lesson = lessons.get("vod-subscription-with-profile")
    assert lesson is not None
    document = scenarios.get("vod-subscription-saga").document  # the same saga, no profile node
    matcher = Matcher(lesson, document)
    first = matcher.states[0]
    assert (first.id, first.skipped, first.name) == ("profile", "missing-name", "profile")
    events, _ = _run("vod-subscription-saga")
    for event in events:
        matcher.feed(event)
    assert matcher.finish() == []
    assert [s.seq is not None for s in matcher.states] == [False, True, True, True, True]


def test_a_fork_whose_event_never_comes_skips_the_step_at_the_end_and_never_holds_the_run() -> None:
    """Sticky sessions without the crash: the crash step and those after it are skipped."""
    lesson = lessons.get("sticky-sessions-and-a-crash")
    assert lesson is not None
    document = copy.deepcopy(scenarios.get("sticky-sessions-and-a-crash").document)
    document["faults"] = []
    events, _ = _simulate(document)
    states = run_lesson(lesson, document, events)
    assert [(s.id, s.skipped) for s in states] == [
        ("first-pick", None),
        ("crash", "never"),
        ("first-failure", "after-skipped"),
        ("health-check", "after-skipped"),
        ("back", "after-skipped"),
    ]


def test_a_fork_that_removes_the_crashing_node_skips_its_steps() -> None:
    """Removing api#1's node altogether (api renamed): every step naming it is skipped at once."""
    lesson = lessons.get("sticky-sessions-and-a-crash")
    assert lesson is not None
    document = json.loads(
        json.dumps(scenarios.get("sticky-sessions-and-a-crash").document).replace('"api"', '"web"')
    )
    states = Matcher(lesson, document).states
    assert {s.id: s.skipped for s in states} == {
        "first-pick": None,
        "crash": "missing-name",
        "first-failure": "missing-name",
        "health-check": "missing-name",
        "back": "missing-name",
    }


def _valid() -> dict[str, Any]:
    lesson = lessons.get("sticky-sessions-and-a-crash")
    assert lesson is not None
    return copy.deepcopy(lesson)


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (lambda x: x["intro"].pop("ko"), "intro.ko", "required"),
        (
            lambda x: x["steps"][1]["when"]["where"].update(colour="red"),
            "steps[1].when.where.colour",
            "instance.down has no field 'colour'",
        ),
        (
            lambda x: x["steps"][0]["when"].update(event="lb.pik"),
            "steps[0].when.event",
            "must be an event type",
        ),
        (
            lambda x: x["steps"][0].update(highlight=["nope"]),
            "steps[0].highlight",
            "'nope' is not a node",
        ),
        (lambda x: x["steps"][0].update(pause="yes"), "steps[0].pause", "true or false"),
        (lambda x: x["steps"][0]["when"].update(nth=0), "steps[0].when.nth", "1 or more"),
        (
            lambda x: x["question"]["answer"].update(yes="maybe"),
            "question.answer.yes",
            "id of a choice",
        ),
        (
            lambda x: x["reveal"].update(en="{nothing}"),
            "reveal.en",
            "{nothing} is not one of question.figures",
        ),
        (lambda x: x.update(colour=1), "colour", "unknown field"),
        (lambda x: x["steps"].append(copy.deepcopy(x["steps"][0])), "steps[5].id", "used twice"),
        (
            lambda x: x["steps"].extend(
                [x["steps"][0] | {"id": f"more-{i}"} for i in range(lessons.MAX_STEPS)]
            ),
            "steps",
            f"at most {lessons.MAX_STEPS}",
        ),
    ],
)
def test_a_broken_lesson_is_refused_naming_the_field(change: Any, path: str, words: str) -> None:
    raw = _valid()
    change(raw)
    with pytest.raises(LessonError) as caught:
        load_lesson(raw, scenarios.get("sticky-sessions-and-a-crash").document)
    found = [p for p in caught.value.problems if p.path == path]
    assert found and words in found[0].message, caught.value.problems


def test_a_time_trigger_fires_at_the_first_event_at_or_after_its_time() -> None:
    assert matches({"at_ms": 100}, {"seq": 0, "t": 100.0, "type": "metrics"})
    assert not matches({"at_ms": 100}, {"seq": 0, "t": 99.9, "type": "metrics"})


def test_the_glossary_has_the_issue_s_terms_in_both_languages() -> None:
    """Sticky session, least connections, bottleneck, deadline, compensation, saga, topic,
    consumer group... each with its Korean term as Korean engineers write it."""
    entries = {e["id"]: e for e in lessons.glossary()}
    expected = {
        "sticky-session": "스티키 세션",
        "least-connections": "최소 연결",
        "round-robin": "라운드 로빈",
        "load-balancer": "로드 밸런서",
        "bottleneck": "병목",
        "deadline": "마감 시간",
        "compensation": "보상 트랜잭션",
        "saga": "사가",
        "topic": "토픽",
        "consumer-group": "컨슈머 그룹",
        "pipes-and-filters": "파이프와 필터",
        "scatter-gather": "스캐터-개더",
        "orchestrator": "오케스트레이터",
        "choreography": "코레오그래피",
    }
    for entry_id, korean in expected.items():
        assert korean in entries[entry_id]["ko"]["terms"]


def _korean_terms() -> list[tuple[str, str, str]]:
    found = [
        (term, entry["en"]["terms"][0], entry["id"])
        for entry in lessons.glossary()
        for term in entry["ko"]["terms"]
        if re.search("[\uac00-\ud7a3]", term)
    ]
    return sorted(found, key=lambda t: -len(t[0]))


@pytest.mark.parametrize("slug", SLUGS)
def test_a_korean_lesson_puts_the_english_term_beside_each_term_on_first_use(slug: str) -> None:
    """The first time a glossary term appears (intro, question, choices, steps, reveal),
    the English follows it in parentheses: 스티키 세션(sticky session)."""
    lesson = lessons.get(slug)
    assert lesson is not None
    slots = [lesson["intro"], lesson["question"]["text"]]
    slots += [c["text"] for c in lesson["question"]["choices"]]
    slots += [s["text"] for s in lesson["steps"]] + [lesson["reveal"]]
    seen: set[str] = set()
    for slot in slots:
        text = slot["ko"]
        taken = [False] * len(text)
        found = []
        for term, english, entry_id in _korean_terms():
            for m in re.finditer("(?<![\uac00-\ud7a3])" + re.escape(term), text):
                if not any(taken[m.start() : m.end()]):
                    taken[m.start() : m.end()] = [True] * (m.end() - m.start())
                    found.append((m.start(), m.end(), english, entry_id))
        for _start, end, english, entry_id in sorted(found):
            if entry_id not in seen:
                seen.add(entry_id)
                assert text[end:].startswith(f"({english})"), (entry_id, text[end - 12 : end + 20])
