"""In the browser: fork a run from a scrubbed moment, and an A/B test's page side by side."""

from __future__ import annotations

import copy

from tests.conftest import SMALL_DOCUMENT
from tests.e2e.conftest import login, shot


def _doc() -> dict:
    doc = copy.deepcopy(SMALL_DOCUMENT)
    doc["name"] = "Four servers, uneven work"
    doc["duration_ms"] = 8000
    doc["nodes"][0]["rate"] = 30
    doc["nodes"][2].update(instances=4, service_time={"dist": "exponential", "mean_ms": 100})
    return doc


def test_fork_from_the_scrubbed_moment_then_compare_from_it(page, app):
    user = app.user("forker")
    token = app.token(user)
    topology = app.api("POST", "/api/topologies", token, {"document": _doc()})
    parent = app.api(
        "POST", f"/api/topologies/{topology['id']}/runs", token, {"speed": "max", "seed": 3}
    )
    app.wait_run(parent["id"], token)

    login(page, app, user)
    page.goto(f"{app.url}/runs/{parent['id']}/")
    page.wait_for_function("() => !document.querySelector('#scrubber').disabled")
    # The user drags the scrubber to 3.5 s.
    page.locator("#scrubber").evaluate(
        "(el) => { el.value = '3500'; el.dispatchEvent(new Event('input', { bubbles: true })); }"
    )
    page.click("#fork-panel summary")
    page.wait_for_function("() => document.querySelector('#fork-at').textContent === '3.50 s'")
    page.select_option("#fork-kind", "scale")
    page.select_option("#fork-node", "api")
    page.fill("#fork-value", "1")
    shot(page, "run-fork-control")
    with page.expect_navigation(url="**/runs/*/"):
        page.click("#fork-submit")
    child = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assert child != parent["id"]
    page.wait_for_selector("#fork-origin:not([hidden])")
    origin = page.inner_text("#fork-origin")
    assert f"run {parent['id']}" in origin and "3.500" in origin and "api" in origin
    assert page.get_attribute("#fork-parent-link", "href") == f"/runs/{parent['id']}/"
    lineage = app.api("GET", f"/api/runs/{child}/lineage", token)
    assert lineage["fork"]["t"] == 3500 and lineage["fork"]["change"] == {
        "kind": "scale",
        "node": "api",
        "instances": 1,
    }
    app.wait_run(child, token)
    page.reload()
    page.wait_for_selector("#fork-origin:not([hidden])")
    shot(page, "run-forked")
    with page.expect_navigation():
        page.click("#fork-compare-link")
    page.wait_for_selector("#since-table")
    assert page.locator("#since-table thead th").count() == 3
    page.wait_for_selector("#since-chart .uplot canvas")
    assert not page.js_errors, page.js_errors
    shot(page, "compare-from-fork")


def test_ab_page_runs_the_variants_and_shows_them_side_by_side(page, app):
    user = app.user("abtester")
    token = app.token(user)
    topology = app.api("POST", "/api/topologies", token, {"document": _doc()})
    login(page, app, user)
    page.goto(f"{app.url}/ab/new/?topology={topology['id']}")
    # The form suggests variant B: one more instance of api (5 instead of 4).
    assert page.locator(".ab-variant").count() == 2
    assert page.input_value(".ab-variant >> nth=1 >> .ab-value") == "5"
    page.select_option(".ab-variant >> nth=1 >> .ab-field", "instances")
    page.fill(".ab-variant >> nth=1 >> .ab-value", "2")
    page.fill("#ab-seeds", "4")
    shot(page, "ab-new")
    with page.expect_navigation(url="**/ab/*/"):
        page.click("#ab-submit")
    page.wait_for_selector("#ab-table:not([hidden])", timeout=60_000)
    header = page.inner_text("#ab-table thead")
    assert "baseline" in header and "paired" in header
    mean = page.locator("#ab-table tbody tr >> nth=0 >> td >> nth=2")
    # Two instances instead of four at this load: slower, and clearly so.
    assert mean.inner_text().startswith("+") and "sig" in mean.get_attribute("class")
    assert page.is_visible("#ab-exports a[href$='results.csv']")
    page.click("#ab-watch")
    page.wait_for_function("() => window.abPage.panels === 2", timeout=60_000)
    page.wait_for_function("() => window.abPage.clock > 1000")
    assert page.locator(".ab-stage h3").all_inner_texts() == ["A", "B"]
    assert not page.js_errors, page.js_errors
    shot(page, "ab-results")
    # The same page in Korean.
    with page.expect_navigation():
        page.click("form.language-switch button[value=ko]")
    page.wait_for_selector("#ab-table:not([hidden])")
    page.wait_for_function("() => window.abPage.panels === 2", timeout=60_000)
    assert "기준" in page.inner_text("#ab-table thead")
    shot(page, "ab-results-ko")
