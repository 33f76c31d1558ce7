"""The VOD saga in the browser: the saga panel fills, a replica killed from the page is resumed."""

from __future__ import annotations

from patterns import scenarios
from tests.e2e.conftest import login, press_inspector_button, shot


def test_it_shows_sagas_and_resumes_a_replica_killed_from_the_run_view(app, page):
    """Crashing orch#0 from the inspector hands its sagas to orch#1; panel and diagram show it."""
    # A user of its own: its runs and its concurrent-run limit are no other test's business.
    app.user("saga-owner")
    token = app.token("saga-owner")
    doc = scenarios.get("vod-subscription-saga").document
    doc["faults"] = []  # the crash comes from the page instead
    doc["duration_ms"] = 30000
    login(page, app, "saga-owner")
    topology = app.api("POST", "/api/topologies", token, {"name": "VOD", "document": doc})
    run = app.api("POST", f"/api/topologies/{topology['id']}/runs", token, {"speed": 2})
    page.goto(f"{app.url}/runs/{run['id']}/")
    page.wait_for_selector("#sagas:not([hidden])")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-saga-panel] tr[data-req]').length > 8",
        timeout=20000,
    )
    page.click('.inst[data-instance="orch#0"]')
    press_inspector_button(page, "Crash orch#0")
    page.wait_for_function(
        "() => window.playground.events.some(e => e.type === 'saga' && e.state === 'resumed')",
        timeout=20000,
    )
    page.wait_for_selector("[data-saga-panel] td:has-text('(resumed)')", timeout=10000)
    hops = page.locator("[data-sequence] .seq-hop").count()
    assert hops >= 10  # client, store writes, five steps and their replies
    resumed = page.evaluate(
        "window.playground.events.find(e => e.type === 'saga' && e.state === 'resumed').req"
    )
    page.fill("[name=trace-req]", str(resumed))
    page.dispatch_event("[name=trace-req]", "change")
    page.wait_for_timeout(1200)
    page.locator("[data-sequence]").scroll_into_view_if_needed()
    shot(page, "run-saga-resumed")
    lanes = page.locator("[data-sequence] .seq-lane").all_text_contents()
    assert "orch" in lanes and "saga-store" in lanes
    assert not page.js_errors
