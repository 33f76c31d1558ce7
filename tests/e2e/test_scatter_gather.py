"""Scatter-gather in the browser: the gather panel, a request's bars, the sweep, the fetch by id."""

from __future__ import annotations

from typing import Any

from patterns import scenarios
from tests.e2e.conftest import login, shot

CHOSEN_CAPTION = "[data-timeline-caption]"


def open_finished_run(app, page, slug: str, **changes: Any) -> int:
    """Run scenario `slug` as alice at full speed, open its run view, and jump to the end."""
    app.user("alice")
    token = app.token("alice")
    doc = {**scenarios.get(slug).document, **changes}
    topology = app.api("POST", "/api/topologies", token, {"name": slug, "document": doc})
    run = app.api("POST", f"/api/topologies/{topology['id']}/runs", token, {"speed": "max"})
    finished = app.wait_run(run["id"], token)
    assert finished["status"] == "finished"
    login(page, app, "alice")
    page.goto(f"{app.url}/runs/{run['id']}/")
    page.wait_for_selector("#gathers:not([hidden])")
    page.wait_for_function(
        f"() => window.playground.events.length === {finished['events']}", timeout=20000
    )
    # Once loaded, the page starts its replay from 0; seek only after that, or it undoes the seek.
    page.wait_for_selector("#loading", state="hidden")
    page.evaluate("window.playground.seek(1e12)")
    # The panel redraws every half second: wait until it shows the last 30 gathers.
    page.wait_for_function(
        "() => document.querySelectorAll('[data-gathers] tr[data-req]').length === Math.min(30,"
        " window.playground.events.filter(e => e.type === 'aggregate.done').length)"
    )
    return int(run["id"])


def click_request(page, req: int) -> None:
    page.click(f'[data-gathers] tr[data-req="{req}"]')
    page.wait_for_function(
        f"() => document.querySelector('{CHOSEN_CAPTION}').textContent.startsWith('request {req} ')"
    )


def first_request(page, condition: str) -> int:
    """The id of the first aggregate.done (in the page's events) that satisfies `condition` (JS)."""
    shown = "[...document.querySelectorAll('[data-gathers] tr[data-req]')].map(r => +r.dataset.req)"
    req = page.evaluate(
        f"(() => {{ const shown = new Set({shown}); const late = window.playground.events"
        ".filter(e => e.type === 'aggregate.late');"
        " const e = window.playground.events.find(e => e.type === 'aggregate.done'"
        f" && shown.has(e.req) && ({condition})); return e ? e.req : null; }})()"
    )
    assert req is not None, f"no request shown with {condition}"
    return int(req)


def test_it_answers_a_flight_search_without_the_slow_provider(app, page):
    """Flight search: a partial answer at the 10 s deadline, budget-air missing and greyed late."""
    open_finished_run(app, page, "flight-search-ten-second-deadline", duration_ms=30000)
    req = first_request(
        page,
        "e.partial && e.missing.includes('budget-air')"
        " && late.some(l => l.req === e.req && l.from === 'budget-air')",
    )
    row = page.locator(f'[data-gathers] tr[data-req="{req}"]')
    assert "gather-partial" in row.get_attribute("class")
    assert "deadline passed" in row.inner_text() and "budget-air" in row.inner_text()
    click_request(page, req)
    caption = page.inner_text(CHOSEN_CAPTION)
    assert "4/5 replies, deadline passed" in caption and "missing budget-air" in caption
    timeline = page.locator("[data-timeline]")
    assert timeline.locator(".gt-deadline").count() == 1
    assert timeline.locator(".gt-bar").count() == 4
    assert timeline.locator('.gt-late[data-worker="budget-air"]').count() == 1
    assert "deadline 10000 ms" in timeline.text_content()
    # Closed at its deadline: one line and one label, not two lines on top of each other.
    assert timeline.locator(".gt-close").count() == 0
    assert "answered at deadline 10000 ms" in timeline.text_content()
    page.locator("#gathers h3").first.scroll_into_view_if_needed()
    shot(page, "run-flight-search-partial")
    # Clicking the aggregator in the animation shows its latest request in the panel.
    latest = page.evaluate(
        "window.playground.events.filter(e => e.type === 'aggregate.done').at(-1).req"
    )
    page.locator('#stage [data-node="cheapest"] .node-box').click()
    page.wait_for_selector(f'[data-gathers] tr.chosen[data-req="{latest}"]')
    assert not page.js_errors, page.js_errors


def test_it_shows_the_slow_shard_late_and_sweeps_the_deadline(app, page):
    """Sharded search: bars per shard with shard-4 late; the sweep charts both sides."""
    open_finished_run(app, page, "sharded-document-search", duration_ms=20000)
    req = first_request(
        page, "e.partial && late.some(l => l.req === e.req && l.from === 'shard-4')"
    )
    click_request(page, req)
    timeline = page.locator("[data-timeline]")
    assert timeline.locator(".gt-bar").count() == 3
    assert timeline.locator('.gt-late[data-worker="shard-4"]').count() == 1
    assert "late by" in timeline.text_content()
    page.click("[data-sweep-run]")
    page.wait_for_selector("[data-sweep-latency] polyline.sw-p95", timeout=40000)
    completeness = page.locator("[data-sweep-completeness] polyline")
    latency = page.locator("[data-sweep-latency] polyline")
    assert completeness.count() == 1 and latency.count() == 2
    # Seven deadlines, each a dot on every line.
    assert page.locator("[data-sweep-completeness] circle").count() == 7
    box_c = page.locator("[data-sweep-completeness]").bounding_box()
    box_l = page.locator("[data-sweep-latency]").bounding_box()
    assert abs(box_c["y"] - box_l["y"]) < 1 and box_l["x"] > box_c["x"]  # side by side
    page.locator("#gathers h3").first.scroll_into_view_if_needed()
    shot(page, "run-sharded-search-sweep")
    assert not page.js_errors, page.js_errors


def test_it_shows_the_asynchronous_report_stored_and_fetched_by_id(app, page):
    """Async report: the write to the store, the client's reads by id, the stored result."""
    open_finished_run(app, page, "report-built-asynchronously", duration_ms=30000)
    req = first_request(
        page,
        "window.playground.events.filter(r => r.type === 'store.read' && r.req === e.req)"
        ".map(r => r.found).join() === 'false,true'",
    )
    click_request(page, req)
    caption = page.inner_text(CHOSEN_CAPTION)
    assert f"stored in reports under id {req}" in caption
    assert "fetched by analysts on attempt 2" in caption
    timeline = page.locator("[data-timeline]")
    assert timeline.locator(".gt-write").count() == 1
    assert timeline.locator(".gt-miss").count() == 1 and timeline.locator(".gt-found").count() == 1
    stored = page.inner_text("[data-stored]")
    assert stored.startswith(f"reports[{req}] = [")
    for section in ("sales-section", "costs-section", "risk-section"):
        assert section in stored
    page.locator("#gathers h3").first.scroll_into_view_if_needed()
    shot(page, "run-report-fetched-by-id")
    assert not page.js_errors, page.js_errors
