"""The job seeker in the browser, choreographed and orchestrated: the flow table stitched from
traces, a compensation followed hop by hop through its compensation topic, and the star of an
orchestrated saga beside it. Also the library's groups, one per pattern."""

from __future__ import annotations

from patterns import scenarios
from patterns.tracing import trace
from tests.e2e.conftest import login, shot

HOPS_SHOWN = "document.querySelectorAll('[data-hops] li').length"


def _events(app, token: str, run_id: int) -> list[dict]:
    events: list[dict] = []
    while True:
        page = app.api(
            "GET", f"/api/runs/{run_id}/events?after={len(events) - 1}&limit=5000", token
        )
        if not page["events"]:
            return events
        events.extend(page["events"])


def _start(app, page, slug: str, duration_ms: int, speed: float) -> tuple[str, dict]:
    app.user("carol")
    token = app.token("carol")
    doc = scenarios.get(slug).document
    doc["duration_ms"] = duration_ms
    topology = app.api("POST", "/api/topologies", token, {"name": slug, "document": doc})
    login(page, app, "carol")
    run = app.api("POST", f"/api/topologies/{topology['id']}/runs", token, {"speed": speed})
    page.goto(f"{app.url}/runs/{run['id']}/")
    page.wait_for_selector("#sagas:not([hidden])")
    return token, run


def _page_hops(page) -> list[tuple[str, str]]:
    return page.evaluate(
        "[...document.querySelectorAll('[data-hops] li')]"
        ".map(li => [...li.querySelectorAll('b')].map(b => b.textContent))"
    )


def _row(page, selector: str) -> int:
    """The request of the newest row of the panel that matches, as a learner would pick it."""
    return int(page.locator(f"[data-saga-panel] {selector}").first.get_attribute("data-req"))


def _show(page, req: int, expected: int) -> None:
    page.click(f"[data-saga-panel] tr[data-req='{req}']")
    page.wait_for_function(
        "() => document.querySelector('[data-sequence-caption]').textContent"
        f".startsWith('Request {req}:')"
        f" && {HOPS_SHOWN} === {expected}",
        timeout=10000,
    )


def test_it_follows_a_failed_parse_through_the_compensation_topic(app, page):
    """A request whose skill parsing failed shows every hop in order, through parse-failed."""
    token, run = _start(app, page, "job-seeker-choreography", 20000, 5)
    assert page.locator("[data-saga-title]").inner_text() == "Requests, stitched from their traces"
    assert "no service knows" in page.locator("[data-saga-explain]").inner_text().lower()
    page.wait_for_selector("[data-saga-panel] tr.flow-compensated", timeout=30000)
    app.wait_run(run["id"], token)
    events = _events(app, token, run["id"])
    page.wait_for_function(f"() => window.playground.now >= {events[-1]['t']}", timeout=20000)
    failed = _row(page, "tr.flow-compensated")
    assert any(
        e["type"] == "node.fail" and e["node"] == "skill-parser" and e["req"] == failed
        for e in events
    )
    ok = _row(page, "tr.flow-completed")

    expected = trace(events, failed)
    _show(page, failed, len(expected))
    assert _page_hops(page) == [[h["from"], h["to"]] for h in expected]
    lanes = [h["to_node"] for h in expected]
    assert (
        lanes.index("skill-parser") < lanes.index("parse-failed") < lanes.index("candidate-cleanup")
    )
    assert "skills-parsed" not in lanes
    error = page.locator("[data-hops] li.hop-error")
    assert error.count() == 1 and "parse-failed" in error.inner_text()
    assert page.locator("[data-sequence] .seq-error").count() == 1
    assert (
        page.locator(f"[data-saga-panel] tr[data-req='{failed}'] td:last-child").inner_text()
        == "compensated"
    )
    assert "A chain through" in page.locator("[data-sequence-caption]").inner_text()
    page.locator("#sagas").scroll_into_view_if_needed()
    shot(page, "choreography-requests")
    page.locator("[name=trace-req]").evaluate("el => el.scrollIntoView({block: 'start'})")
    shot(page, "choreography-trace-compensated")

    expected = trace(events, ok)
    _show(page, ok, len(expected))
    assert _page_hops(page) == [[h["from"], h["to"]] for h in expected]
    chain = [h["to_node"] for h in expected if h["kind"] == "call"]
    assert chain == [
        "resume-uploaded",
        "candidate",
        "resumes",
        "resume-stored",
        "verify-email",
        "email-verified",
        "skill-parser",
        "skills-parsed",
        "job-search",
        "jobs-found",
        "mailer",
    ]
    page.locator("[name=trace-req]").evaluate("el => el.scrollIntoView({block: 'start'})")
    shot(page, "choreography-trace-completed")
    assert not page.js_errors


def test_it_shows_the_orchestrated_flow_as_one_row_and_a_star(app, page):
    """The same flow orchestrated: one saga row per request, each step an arrow from orch."""
    token, run = _start(app, page, "job-seeker-orchestrated", 20000, 5)
    assert page.locator("[data-saga-title]").inner_text() == "Sagas"
    page.wait_for_selector("[data-saga-panel] tr.saga-compensated", timeout=30000)
    app.wait_run(run["id"], token)
    events = _events(app, token, run["id"])
    page.wait_for_function(f"() => window.playground.now >= {events[-1]['t']}", timeout=20000)
    comp = _row(page, "tr.saga-compensated")
    expected = trace(events, comp)
    _show(page, comp, len(expected))
    assert _page_hops(page) == [[h["from"], h["to"]] for h in expected]
    # Every step is a call from the orchestrator and its reply; the rest is a service's own store.
    assert all(
        "orch" in (h["from_node"], h["to_node"]) or "resumes" in (h["from_node"], h["to_node"])
        for h in expected
    )
    assert [
        h["to_node"]
        for h in expected
        if h["from_node"] == "orch" and h["kind"] == "call" and h["to_node"] != "saga-store"
    ] == ["candidate", "verify-email", "skill-parser", "candidate-cleanup"]
    assert "a star around the coordinator" in page.locator("[data-sequence-caption]").inner_text()
    page.locator("#sagas").scroll_into_view_if_needed()
    shot(page, "orchestration-sagas")
    page.locator("[data-sequence]").scroll_into_view_if_needed()
    shot(page, "orchestration-trace-compensated")
    assert not page.js_errors


def test_it_groups_the_library_by_pattern_with_an_introduction_each(app, page):
    """The library has one section per pattern, in teaching order, each with a title and intro."""
    page.goto(app.url + "/")
    sections = page.locator("section.pattern[id^=pattern-]")
    titles = sections.locator("h2").all_text_contents()
    assert titles == [
        "Load balancing",
        "Pipes and filters",
        "Scatter-gather",
        "Orchestrator",
        "Choreography",
    ]
    for k in range(sections.count()):
        assert sections.nth(k).locator("p.explain").inner_text().strip()
    slugs = page.locator("[data-scenario]").evaluate_all(
        "cards => cards.map(c => c.dataset.scenario)"
    )
    assert slugs == list(scenarios.ORDER)
    page.locator("#pattern-orchestrator").evaluate("el => el.scrollIntoView({block: 'start'})")
    shot(page, "library-sagas")
