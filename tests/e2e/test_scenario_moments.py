"""Every built-in scenario at its key moment, in the browser (issue 14: "Screenshots of every
scenario at its key moment").

The key moment is the lesson step that carries the scenario's point (the zone's outage seen by
the front balancer, the saga resumed on the other replica, the deadline that cuts a search
short...). Each test runs the scenario, opens its replay, jumps there with the step's marker on
the scrubber as a learner would, fits the whole topology into the stage, and checks that the
page shows that step at the engine's instant with its nodes lit. The screenshots it leaves
(test-artifacts/screenshots/moment-*.png) are the README's gallery.
"""

from __future__ import annotations

import pytest

from patterns import lessons, scenarios
from patterns.lessons import run_lesson
from tests.e2e.conftest import shot
from tests.e2e.test_lessons import _events
from tests.e2e.test_run_figures import _replay

pytestmark = pytest.mark.e2e

USER = "moments"

KEY_STEP = {
    "round-robin-vs-least-connections": "slow-rr-bottleneck",
    "sticky-sessions-and-a-crash": "first-failure",
    "balancer-per-zone": "front-notices",
    "busy-tier-autoscales": "scale-out",
    "message-broker-absorbs-a-burst": "async-bottleneck",
    "media-processing-pipeline": "bottleneck",
    "sharded-document-search": "deadline",
    "flight-search-ten-second-deadline": "deadline",
    "report-built-asynchronously": "miss",
    "vod-subscription-saga": "resumed",
    "vod-subscription-with-profile": "profile",
    "job-seeker-orchestrated": "compensated",
    "job-seeker-choreography": "cleanup",
}


# Shown in Korean too (the README's gallery has one of each pattern family's lessons).
IN_KOREAN = {"balancer-per-zone", "vod-subscription-saga", "job-seeker-choreography"}


def _to_moment(page, step_id: str, t: float) -> None:
    """Jump to a step with its marker on the scrubber, then fit the topology into view."""
    page.click(f".lesson-marker[data-step='{step_id}']")
    page.wait_for_function(f"() => window.playground.now === {t}")
    # The whole topology in view, as a teacher shows it (the Fit button; f on the keyboard).
    if page.evaluate("() => document.querySelector('#stage').classList.contains('pannable')"):
        page.click('#stage [data-zoom="fit"]')
    page.wait_for_timeout(500)


def test_every_scenario_has_a_key_moment():
    assert set(KEY_STEP) == {s.slug for s in scenarios.all()}


@pytest.fixture
def page(page):
    page.set_viewport_size({"width": 1280, "height": 800})
    return page


@pytest.mark.parametrize("slug", sorted(KEY_STEP))
def test_a_scenario_at_its_key_moment(app, page, slug):
    app.user(USER)
    token = app.token(USER)
    run = app.api("POST", f"/api/scenarios/{slug}/runs", token, {"speed": "max"})
    run = app.wait_run(run["id"], token, timeout=120)
    assert run["status"] == "finished", run
    events = _events(app, token, run["id"])
    lesson = lessons.get(slug)
    assert lesson is not None
    states = {s.id: s for s in run_lesson(lesson, scenarios.get(slug).document, events)}
    step_id = KEY_STEP[slug]
    state = states[step_id]
    assert state.t is not None, f"{slug}: the step {step_id} never happened"
    step = next(s for s in lesson["steps"] if s["id"] == step_id)

    _replay(page, app, run, USER)
    page.click("#lesson-no-guess")
    _to_moment(page, step_id, state.t)
    assert page.get_attribute("#lesson-step", "data-step") == step_id
    assert page.locator("#lesson-step-t").inner_text() == f"t = {state.t / 1000:.2f} s"
    lit = page.evaluate(
        "() => [...document.querySelectorAll('#stage .lesson-hl')]"
        ".map(e => e.dataset.instance || e.dataset.node)"
    )
    assert sorted(lit) == sorted(step["highlight"])
    assert not page.evaluate(
        "() => document.querySelector('#stage').classList.contains('pannable')"
    )
    shot(page, f"moment-{slug}")
    assert not page.js_errors
    if slug not in IN_KOREAN:
        return
    english = page.locator("#lesson-step").inner_text()
    page.context.add_cookies([{"name": "django_language", "value": "ko", "url": app.url}])
    _replay(page, app, run, USER)
    page.click("#lesson-no-guess")
    _to_moment(page, step_id, state.t)
    korean = page.locator("#lesson-step").inner_text()
    assert korean != english and any("\uac00" <= ch <= "\ud7a3" for ch in korean), korean
    shot(page, f"moment-{slug}-ko")
    assert not page.js_errors
