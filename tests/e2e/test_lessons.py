"""A lesson in the browser, end to end: the question before the run goes, the steps at the
events the engine's matcher picks (with their highlights), the reveal with the summary's own
figures, the scrubber's markers, a fork's skipped step, and the glossary on hover and focus,
in English and Korean (docs/lessons.md)."""

from __future__ import annotations

import json

from patterns import lessons, scenarios
from patterns.lessons import run_lesson
from tests.e2e.conftest import login, shot

SLUG = "sticky-sessions-and-a-crash"


def _events(app, token: str, run_id: int) -> list[dict]:
    events: list[dict] = []
    while True:
        page = app.api(
            "GET", f"/api/runs/{run_id}/events?after={len(events) - 1}&limit=5000", token
        )
        if not page["events"]:
            return events
        events.extend(page["events"])


def _finished_scenario_run(app, user: str) -> tuple[str, dict, list[dict]]:
    app.user(user)
    token = app.token(user)
    run = app.api("POST", f"/api/scenarios/{SLUG}/runs", token, {"speed": "max"})
    run = app.wait_run(run["id"], token, timeout=90)
    assert run["status"] == "finished"
    return token, run, _events(app, token, run["id"])


def _fmt(value: float, language: str) -> str:
    # What Number.toLocaleString gives with at most 4 decimals, for the numbers used here.
    text = f"{value:,.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
    return text


def test_a_lesson_runs_end_to_end_with_its_question_steps_reveal_and_markers(app, page):
    token, run, events = _finished_scenario_run(app, "lesson-learner")
    lesson = lessons.get(SLUG)
    assert lesson is not None
    document = scenarios.get(SLUG).document
    expected = run_lesson(lesson, document, events)
    assert all(s.seq is not None for s in expected)
    login(page, app, "lesson-learner")
    page.goto(f"{app.url}/runs/{run['id']}/")
    page.wait_for_selector("#lesson:not([hidden])")
    page.wait_for_selector(".lesson-marker")
    # The question comes first, and the replay waits for it.
    assert page.locator("#lesson-question").is_visible()
    assert "fail" in page.locator("#lesson-question-text").inner_text()
    page.wait_for_timeout(600)
    assert page.evaluate("window.playground.now") == 0
    shot(page, "lesson-question")
    page.check("input[name=lesson-choice][value=yes]")
    page.click("#lesson-lock")
    assert page.locator("#lesson-prediction").is_visible()
    page.select_option("#speed", "100")
    page.dispatch_event("#speed", "input")
    # Each pausing step stops the replay at its own event, names its moment and highlights.
    for step, state in zip(lesson["steps"], expected, strict=True):
        if not step["pause"]:
            continue
        page.wait_for_selector(f"#lesson-step[data-step='{step['id']}']", timeout=30000)
        page.wait_for_selector("#lesson-continue:visible")
        assert page.evaluate("window.playground.now") == state.t
        # Paused at the step's instant: its event and that instant's others, none later.
        page.wait_for_timeout(300)
        applied = page.evaluate("window.playground.state.eventsApplied")
        assert applied == sum(1 for e in events if e["t"] <= state.t) > state.seq
        assert page.locator("#lesson-step-t").inner_text() == f"t = {state.t / 1000:.2f} s"
        lit = page.evaluate(
            "[...document.querySelectorAll('#stage .lesson-hl')]"
            ".map(e => e.dataset.instance || e.dataset.node)"
        )
        assert sorted(lit) == sorted(step["highlight"])
        if step["id"] == "crash":
            shot(page, "lesson-step-en")
        page.click("#lesson-continue")
    # Every step reached, at the engine's times.
    page.wait_for_selector("#lesson-reveal:not([hidden])", timeout=60000)
    times = page.locator("#lesson-steps li .lesson-jump").all_inner_texts()
    assert times == [f"{s.t / 1000:.2f} s" for s in expected]
    # The reveal answers with this run's figures, equal to the summary's.
    summary = app.api("GET", f"/api/runs/{run['id']}", token)["summary"]
    right, figures = lessons.answer(lesson, summary)
    assert page.get_attribute("#lesson-answer", "data-answer") == right == "yes"
    assert "right" in page.locator("#lesson-answer").inner_text()
    shown = page.evaluate(
        "[...document.querySelectorAll('.lesson-figure')]"
        ".map(e => [e.dataset.figure, e.dataset.value, e.textContent])"
    )
    assert {name for name, _, _ in shown} == set(figures)
    for name, value, text in shown:
        assert json.loads(value) == figures[name]
        assert text == _fmt(figures[name], "en")
    shot(page, "lesson-reveal-en")
    # The scrubber's markers sit at the steps' moments; one jumps there and shows its text.
    markers = page.evaluate(
        "[...document.querySelectorAll('.lesson-marker')]"
        ".map(m => [m.dataset.step, Number(m.dataset.t)])"
    )
    assert markers == [[s.id, s.t] for s in expected]
    page.click(".lesson-marker[data-step='health-check']")
    health = next(s for s in expected if s.id == "health-check")
    page.wait_for_function(f"() => window.playground.now === {health.t}")
    assert page.get_attribute("#lesson-step", "data-step") == "health-check"
    assert "health check" in page.locator("#lesson-step-text").inner_text()
    assert not page.js_errors


def test_the_glossary_explains_terms_on_hover_and_focus_in_both_languages(app, page):
    _token, run, _events_ = _finished_scenario_run(app, "lesson-reader")
    login(page, app, "lesson-reader")
    page.goto(f"{app.url}/runs/{run['id']}/")
    page.wait_for_selector("#lesson-intro .term[data-term='sticky-session']")
    page.hover("#lesson-intro .term[data-term='sticky-session']")
    tip = page.locator("#glossary-tip")
    assert tip.is_visible()
    assert "same instance" in tip.inner_text()
    page.mouse.move(5, 5)
    page.wait_for_selector("#glossary-tip", state="hidden")
    # The keyboard: a term takes focus, its tooltip says what it is, Escape closes it.
    page.focus("#lesson-choices .term[data-term='load-balancer']")
    assert tip.is_visible() and "instances" in tip.inner_text()
    assert (
        page.get_attribute("#lesson-choices .term[data-term='load-balancer']", "aria-describedby")
        == "glossary-tip"
    )
    page.keyboard.press("Escape")
    assert not tip.is_visible()
    # The same lesson in Korean, its terms with the English beside them.
    page.context.add_cookies([{"name": "django_language", "value": "ko", "url": app.url}])
    page.goto(f"{app.url}/runs/{run['id']}/")
    page.wait_for_selector("#lesson-intro .term[data-term='sticky-session']")
    assert "스티키 세션" in page.locator("#lesson-title").inner_text()
    term = page.locator("#lesson-intro .term[data-term='sticky-session']").first
    assert term.inner_text() == "스티키 세션(sticky session)"
    term.hover()
    assert "스티키 세션 (sticky session)" in tip.inner_text()
    assert "같은 인스턴스" in tip.inner_text()
    shot(page, "lesson-question-ko")
    page.check("input[name=lesson-choice][value=yes]")
    page.click("#lesson-lock")
    page.click(".lesson-marker[data-step='crash']")
    page.wait_for_selector("#lesson-step[data-step='crash']")
    assert "api#1이 죽었습니다" in page.locator("#lesson-step-text").inner_text()
    page.mouse.move(5, 5)
    shot(page, "lesson-step-ko")
    page.click(".lesson-marker[data-step='back']")
    page.select_option("#speed", "100")
    page.dispatch_event("#speed", "input")
    page.click("#btn-play")
    page.wait_for_selector("#lesson-reveal:not([hidden])", timeout=60000)
    assert "요청" in page.locator("#lesson-reveal-text").inner_text()
    shot(page, "lesson-reveal-ko")
    page.context.clear_cookies()
    assert not page.js_errors


def test_a_fork_without_the_crash_skips_its_steps_with_a_notice(app, page):
    """A fork of the scenario (named as forks are) that drops the crash: the run ends, and the
    crash step and those after it are said to be skipped."""
    app.user("lesson-forker")
    token = app.token("lesson-forker")
    fork = app.api("POST", f"/api/scenarios/{SLUG}/fork", token, {})
    document = fork["document"]
    document["faults"] = []
    document["duration_ms"] = 20000
    app.api("PATCH", f"/api/topologies/{fork['id']}", token, {"document": document})
    run = app.api("POST", f"/api/topologies/{fork['id']}/runs", token, {"speed": "max"})
    app.wait_run(run["id"], token, timeout=90)
    login(page, app, "lesson-forker")
    page.goto(f"{app.url}/runs/{run['id']}/")
    page.wait_for_selector("#lesson:not([hidden])")
    page.wait_for_selector(".lesson-notice")
    notices = page.locator(".lesson-notice").all_inner_texts()
    assert (
        notices[0] == "Step 2 skipped: instance.down (instance = api#1) never happened in this run."
    )
    assert len(notices) == 4
    assert page.locator(".lesson-marker").count() == 1
    assert not page.js_errors


def test_a_live_run_shows_the_question_and_pauses_at_a_step_once_answered(app, page):
    """Live, the run is not held for the question; once answered, a pausing step pauses the
    owner's run, and Continue resumes it."""
    app.user("lesson-live")
    token = app.token("lesson-live")
    login(page, app, "lesson-live")
    run = app.api("POST", f"/api/scenarios/{SLUG}/runs", token, {"speed": 5})
    page.goto(f"{app.url}/runs/{run['id']}/")
    page.wait_for_selector("#lesson-question:visible")
    page.check("input[name=lesson-choice][value=no]")
    page.click("#lesson-lock")
    page.wait_for_function("() => window.playground.status === 'running'", timeout=30000)
    page.wait_for_selector("#lesson-step[data-step='crash']", timeout=30000)
    assert page.locator("#lesson-continue").is_visible()
    page.wait_for_function("() => window.playground.status === 'paused'", timeout=20000)
    assert "api#1 has crashed" in page.locator("#lesson-step-text").inner_text()
    # The next pausing step fired while this one was read: it waits its turn, then the run goes on.
    page.click("#lesson-continue")
    page.wait_for_selector("#lesson-step[data-step='first-failure']")
    assert page.locator("#lesson-continue").is_visible()
    page.click("#lesson-continue")
    page.wait_for_function("() => window.playground.status === 'running'", timeout=20000)
    assert not page.js_errors
