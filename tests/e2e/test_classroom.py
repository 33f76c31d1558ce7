"""A classroom in two browsers: the presenter's moment on the follower's screen; the
embeddable player at a moment (issue 16, "Classroom")."""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import login, shot

pytestmark = pytest.mark.e2e

USER = "teacher"
LOADED = (
    "() => window.playground && window.playground.mode === 'replay'"
    " && !document.querySelector('#scrubber').disabled"
)


@pytest.fixture(scope="module")
def finished_run(app) -> dict:
    app.user(USER)
    token = app.token(USER)
    run = app.api("POST", "/api/scenarios/round-robin-vs-least-connections/runs", token, {})
    run = app.wait_run(run["id"], token, timeout=120)
    assert run["status"] == "finished", run
    return run


def _now(page) -> float:
    return float(page.evaluate("() => window.playground.now"))


def test_students_see_the_moment_the_teacher_shows_and_may_leave(app, browser, page, finished_run):
    login(page, app, USER)
    page.goto(f"{app.url}/runs/{finished_run['id']}/")
    page.wait_for_function(LOADED, timeout=120000)
    page.click("#btn-teach")
    link = page.locator("#teach-link")
    link.wait_for()
    follow_url = link.input_value()
    assert "follow=" in follow_url and "key=" in follow_url
    shot(page, "classroom-teacher-dialog")
    page.click("#teach-dialog button[type=submit]")  # close the dialog

    # The student: another browser context, not logged in.
    student_context = browser.new_context(viewport={"width": 1280, "height": 800})
    student = student_context.new_page()
    errors: list[str] = []
    student.on("pageerror", lambda e: errors.append(str(e)))
    try:
        student.goto(follow_url)
        student.wait_for_function(LOADED, timeout=120000)
        assert student.locator("#classroom-bar").is_visible()
        # The teacher counts the student.
        page.wait_for_function(
            "() => /1/.test(document.querySelector('#teach-count').textContent)", timeout=10000
        )

        # The teacher pauses and jumps: within a second the student is at the same moment.
        page.evaluate(
            "() => { if (window.playground.playing) document.querySelector('#btn-play').click(); }"
        )
        end = float(page.evaluate("() => Number(document.querySelector('#scrubber').max)"))
        target = round(end * 0.6)
        page.evaluate(
            "(t) => { const s = document.querySelector('#scrubber'); s.value = String(t);"
            " s.dispatchEvent(new Event('input')); }",
            target,
        )
        # Rebuilding the state at a moment folds every event before it: on a loaded machine
        # that alone can take a second, so the wait is longer than the sync it checks.
        student.wait_for_function(
            f"() => Math.abs(window.playground.now - {target}) < 1 && !window.playground.playing",
            timeout=8000,
        )
        shot(student, "classroom-student-following")

        # The teacher plays: the student plays along, on the same moment within a second.
        page.click("#btn-play")
        student.wait_for_function("() => window.playground.playing", timeout=5000)
        time.sleep(1.5)
        page.click("#btn-play")  # pause again, so both clocks stop where they are
        student.wait_for_function("() => !window.playground.playing", timeout=5000)
        # Paused, the student ends within the follow tolerance (0.3 s of wall time at the
        # presenter's speed) of the teacher's moment: the same moment within a second.
        speed = float(page.evaluate("() => window.playground.speed"))
        student.wait_for_function(
            f"() => Math.abs(window.playground.now - {_now(page)}) <= {300 * speed}", timeout=8000
        )

        # The student leaves follow mode and explores: the teacher's jumps no longer move them.
        student.click("#btn-classroom-leave")
        student.evaluate(
            "() => { const s = document.querySelector('#scrubber'); s.value = '0';"
            " s.dispatchEvent(new Event('input')); }"
        )
        page.evaluate(
            "(t) => { const s = document.querySelector('#scrubber'); s.value = String(t);"
            " s.dispatchEvent(new Event('input')); }",
            round(end * 0.9),
        )
        time.sleep(1.5)
        assert _now(student) == 0
        # Back to the class: the student is taken to the teacher's moment again.
        student.click("#btn-classroom-leave")
        student.wait_for_function(
            f"() => Math.abs(window.playground.now - {round(end * 0.9)}) < 1", timeout=8000
        )
        assert not errors and not page.js_errors
    finally:
        student_context.close()


def test_the_embeddable_player_opens_at_the_moment_read_only(app, browser, page, finished_run):
    login(page, app, USER)
    page.goto(f"{app.url}/runs/{finished_run['id']}/")
    page.wait_for_function(LOADED, timeout=120000)
    made = page.evaluate(
        "async (id) => { const { request } = await import('/static/js/api.js');"
        " return request('POST', `/api/runs/${id}/pass`, {}); }",
        finished_run["id"],
    )
    embed = made["embed_url"].replace("t=0", "t=2.5")
    # The player opened by someone else (another browser, no session), as a framing site's
    # visitor would get it; that any site may frame this page (and no other) is checked on its
    # headers in tests/playground/test_classroom.py.
    other = browser.new_context(viewport={"width": 900, "height": 600})
    try:
        host = other.new_page()
        host.goto(embed)
        inner = host
        inner.wait_for_function(LOADED, timeout=120000)
        assert float(inner.evaluate("() => window.playground.now")) == 2500
        assert not inner.evaluate("() => window.playground.playing")
        # Read-only: no owner controls, no topbar.
        assert inner.locator("#btn-teach").count() == 0
        assert not inner.locator(".topbar").is_visible()
        shot(host, "classroom-embedded-player")
    finally:
        other.close()


def test_a_balancer_s_reason_reads_in_korean_on_a_korean_page(app, browser, finished_run):
    """The engine writes why it picked in English (the stream keeps that); a Korean page says
    it in Korean (static/js/reasons.js), in the inspector and in the event log."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ko-KR")
    try:
        page = context.new_page()
        login(page, app, USER)
        page.goto(f"{app.url}/runs/{finished_run['id']}/")
        assert page.get_attribute("html", "lang") == "ko"
        page.wait_for_function(LOADED, timeout=120000)
        end = float(page.evaluate("() => Number(document.querySelector('#scrubber').max)"))
        page.evaluate(
            "(t) => { const s = document.querySelector('#scrubber'); s.value = String(t);"
            " s.dispatchEvent(new Event('input')); }",
            round(end / 2),
        )
        reason = page.locator("#pick-reason .reason")
        reason.wait_for(timeout=10000)
        text = reason.inner_text()
        assert "최소 연결" in text or "라운드 로빈" in text, text
        assert "in flight" not in text and "next in turn" not in text, text
        shot(page, "reason-ko")
    finally:
        context.close()


# On the student's page: every time the step box changes, when (Date.now(), the same clock as
# the teacher's page: one browser) and to what, so the delays are measured in the browser.
WATCH_STEP = """() => {
  window.stepLog = [];
  const box = document.querySelector('#lesson-step');
  const note = () =>
    window.stepLog.push({ at: Date.now(), step: box.hidden ? null : box.dataset.step });
  new MutationObserver(note)
    .observe(box, { attributes: true, attributeFilter: ['hidden', 'data-step'] });
}"""
# When the student's page first showed `step` after `since`, or null.
SHOWN_AT = """([step, since]) => {
  const hit = window.stepLog.find((e) => e.at >= since && e.step === step);
  return hit ? hit.at : null;
}"""


def _seek(page, t: int) -> float:
    """Moves the teacher's scrubber to t; the wall time of the move (Date.now())."""
    return float(
        page.evaluate(
            "(t) => { const s = document.querySelector('#scrubber'); s.value = String(t);"
            " const at = Date.now(); s.dispatchEvent(new Event('input')); return at; }",
            t,
        )
    )


def _shown_within(student, step: str, since: float, limit_ms: float) -> float:
    student.wait_for_function(
        f"() => document.querySelector('#lesson-step').dataset.step === {step!r}"
        " && !document.querySelector('#lesson-step').hidden",
        timeout=8000,
    )
    shown = student.evaluate(SHOWN_AT, [step, since])
    assert shown is not None, step
    delay = float(shown) - since
    print(f"follower showed step {step!r} {delay:.0f} ms after the teacher")
    assert delay <= limit_ms, (step, delay)
    return delay


def test_students_follow_the_teacher_s_place_in_the_lesson(app, browser, page, finished_run):
    login(page, app, USER)
    page.goto(f"{app.url}/runs/{finished_run['id']}/")
    page.wait_for_function(LOADED, timeout=120000)
    page.wait_for_selector(".lesson-marker")
    slug = page.get_attribute("#lesson", "data-lesson")
    assert slug == "round-robin-vs-least-connections"
    page.click("#btn-teach")
    link = page.locator("#teach-link")
    link.wait_for()
    follow_url = link.input_value()
    assert f"lesson={slug}" in follow_url  # the student's page opens the same lesson
    page.click("#teach-dialog button[type=submit]")

    student_context = browser.new_context(viewport={"width": 1280, "height": 800})
    student = student_context.new_page()
    errors: list[str] = []
    student.on("pageerror", lambda e: errors.append(str(e)))
    try:
        student.goto(follow_url)
        student.wait_for_function(LOADED, timeout=120000)
        student.wait_for_selector(".lesson-marker")
        assert student.get_attribute("#lesson", "data-lesson") == slug
        page.wait_for_function(
            "() => /1/.test(document.querySelector('#teach-count').textContent)", timeout=10000
        )
        # The teacher's question is up: so is the student's, who may answer for themselves.
        assert student.locator("#lesson-question").is_visible()
        student.evaluate(WATCH_STEP)
        steps = page.evaluate(
            "() => [...document.querySelectorAll('.lesson-marker')].map((m) => m.dataset.step)"
        )
        assert len(steps) >= 3, steps

        # The teacher moves past the question: the student's goes too (no guess of theirs).
        page.click("#lesson-no-guess")
        student.wait_for_function(
            "() => document.querySelector('#lesson-question').hidden", timeout=5000
        )
        page.evaluate(
            "() => { if (window.playground.playing) document.querySelector('#btn-play').click(); }"
        )

        delays: list[float] = []
        # The teacher steps the lesson: a marker, the third step.
        target = steps[2]
        since = float(
            page.evaluate(
                "(id) => { const at = Date.now(); const sel = `.lesson-marker[data-step='${id}']`;"
                " document.querySelector(sel).click(); return at; }",
                target,
            )
        )
        assert page.get_attribute("#lesson-step", "data-step") == target
        delays.append(_shown_within(student, target, since, 1000))
        # The student is at the step's moment, with its highlights.
        teacher_t = float(page.evaluate("() => window.playground.now"))
        student.wait_for_function(
            f"() => Math.abs(window.playground.now - {teacher_t}) < 1", timeout=5000
        )
        shot(student, "classroom-student-lesson-step")

        # The teacher seeks back between the second and third steps' moments: the step shown
        # there is the last one fired by then, the second (the first two may share a moment).
        times = page.evaluate(
            "() => [...document.querySelectorAll('.lesson-marker')].map((m) => Number(m.dataset.t))"
        )
        back = steps[1]
        since = _seek(page, round(times[1] + (times[2] - times[1]) / 2))
        page.wait_for_function(
            f"() => document.querySelector('#lesson-step').dataset.step === {back!r}"
        )
        delays.append(_shown_within(student, back, since, 1000))

        # The teacher jumps to the end: the answer shows on both pages.
        end = int(page.evaluate("() => Number(document.querySelector('#scrubber').max)"))
        _seek(page, end)
        page.wait_for_selector("#lesson-reveal:not([hidden])", timeout=5000)
        student.wait_for_selector("#lesson-reveal:not([hidden])", timeout=5000)
        print(f"follower delays (ms): {[round(d) for d in delays]}")

        # The student leaves follow mode: the teacher's steps no longer move their panel.
        student.click("#btn-classroom-leave")
        mine = student.get_attribute("#lesson-step", "data-step")
        page.click(f".lesson-marker[data-step='{steps[0]}']")
        time.sleep(1.5)
        assert student.get_attribute("#lesson-step", "data-step") == mine
        assert not errors and not page.js_errors
    finally:
        student_context.close()
