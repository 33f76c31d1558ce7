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
