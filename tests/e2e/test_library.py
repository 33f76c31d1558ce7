"""The library as a visitor sees it: a drawing per scenario, a filter by pattern, and a second
"Watch it run" that says why not, next to the button, with a Cancel that starts the new run."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import login, shot

pytestmark = pytest.mark.e2e


def _scenarios(app) -> list[dict]:
    out = app.shell(
        "import json\nfrom playground.models import Scenario\n"
        "print(json.dumps([{'slug': s.slug, 'pattern': s.pattern,"
        " 'nodes': len(s.document['nodes'])} for s in Scenario.objects.all()]))"
    )
    return json.loads(out.strip().splitlines()[-1])


def test_each_scenario_has_a_drawing_and_the_filter_hides_the_others(app, page):
    scenarios = _scenarios(app)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(app.url + "/")
    page.wait_for_function("() => document.querySelectorAll('svg.thumb .thumb-node').length > 0")
    for s in scenarios:
        card = page.locator(f'[data-scenario="{s["slug"]}"]')
        assert card.locator("svg.thumb").count() == 1
        assert card.locator("svg.thumb .thumb-node").count() == s["nodes"], s["slug"]
        assert card.locator(".one-line").inner_text().strip()
    shot(page, "library-drawings")
    pattern = "pipes-and-filters"
    page.click(f'.pattern-filter [data-filter="{pattern}"]')
    visible = page.locator("[data-scenario]:visible")
    wanted = {s["slug"] for s in scenarios if s["pattern"] == pattern}
    assert {visible.nth(i).get_attribute("data-scenario") for i in range(visible.count())} == wanted
    shot(page, "library-filtered")
    page.click('.pattern-filter [data-filter=""]')
    assert page.locator("[data-scenario]:visible").count() == len(scenarios)
    # On a phone: one column, nothing wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    shot(page, "library-phone")
    assert not page.js_errors


def test_a_second_run_says_why_in_view_and_cancel_starts_the_new_one(app, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    first, second = [s["slug"] for s in _scenarios(app)][:2]
    page.goto(app.url + "/")
    page.locator(f'[data-scenario="{first}"] .js-watch').click()
    page.wait_for_url("**/runs/*/", timeout=15000)
    first_run = int(page.url.rstrip("/").split("/")[-1])

    page.goto(app.url + "/")
    button = page.locator(f'[data-scenario="{second}"] .js-watch')
    button.scroll_into_view_if_needed()
    button.click()
    refusal = page.locator(f'[data-scenario="{second}"] .refusal')
    refusal.wait_for(timeout=10000)
    assert "one at a time" in refusal.inner_text()
    box = refusal.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 800, box
    assert refusal.locator("a[data-open-run]").get_attribute("href") == f"/runs/{first_run}/"
    shot(page, "library-refusal")

    refusal.locator("[data-cancel-run]").click()
    page.wait_for_url(
        lambda url: "/runs/" in url and f"/runs/{first_run}/" not in url, timeout=20000
    )
    second_run = int(page.url.rstrip("/").split("/")[-1])
    assert second_run != first_run
    status = page.evaluate(
        f"() => fetch('/api/runs/{first_run}').then(r => r.json()).then(r => r.status)"
    )
    assert status == "cancelled"
    new = page.evaluate(f"() => fetch('/api/runs/{second_run}').then(r => r.json())")
    assert new["scenario"] == second and new["status"] in ("queued", "running")
    # Leave nothing running for the other tests.
    page.evaluate(
        f"() => fetch('/api/runs/{second_run}/control', {{method: 'POST', headers: "
        "{'Content-Type': 'application/json', 'X-CSRFToken': "
        "(document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || ''}, "
        "body: JSON.stringify({action: 'cancel'})})"
    )
    assert not errors
    context.close()


def test_save_and_run_past_the_limit_says_why_under_the_toolbar(app, page):
    """A user with three runs going (the limit) presses Save & run: the refusal lists them
    under the editor's toolbar, in view; Cancel on one starts the new run."""
    app.user("lee")
    token = app.token("lee")
    doc = app.api("GET", "/api/scenarios/sticky-sessions-and-a-crash", token)["document"]
    topology = app.api("POST", "/api/topologies", token, {"name": "Three going", "document": doc})
    running = [
        app.api("POST", f"/api/topologies/{topology['id']}/runs", token, {"speed": 0.1})["id"]
        for _ in range(3)
    ]
    login(page, app, "lee")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{app.url}/topologies/{topology['id']}/")
    page.click("#btn-run")
    refusal = page.locator(".editor-head + .refusal")
    refusal.wait_for(timeout=10000)
    assert refusal.locator("[data-cancel-run]").count() == 3
    box = refusal.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 800, box
    shot(page, "editor-refusal")
    refusal.locator(f'[data-cancel-run="{running[0]}"]').click()
    page.wait_for_url("**/runs/*/", timeout=20000)
    new = int(page.url.rstrip("/").split("/")[-1])
    assert new not in running
    assert app.api("GET", f"/api/runs/{running[0]}", token)["status"] == "cancelled"
    for run in [*running[1:], new]:
        app.api("POST", f"/api/runs/{run}/control", token, {"action": "cancel"})
    assert not page.js_errors
