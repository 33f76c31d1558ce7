"""In the browser: a topology's capacity page at internet scale, its exports and its cross-check."""

from __future__ import annotations

import json

from patterns import scenarios
from tests.e2e.conftest import SHOTS, login, shot


def test_it_estimates_capacity_and_cross_checks_it(page, app):
    """From the editor's Capacity link: the table per node, the bottleneck flagged, the
    approximations in words, a JSON export, and a cross-check run that reports its difference."""
    user = app.user("planner")
    token = app.token(user)
    doc = scenarios.get("busy-tier-autoscales").document
    topology = app.api("POST", "/api/topologies", token, {"document": doc})

    login(page, app, user)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{app.url}/topologies/{topology['id']}/")
    with page.expect_navigation():
        page.click("a:text('Capacity')")
    page.wait_for_selector("#capacity-table tbody tr")
    rows = page.locator("#capacity-table tbody tr")
    assert rows.count() == len(doc["nodes"])
    flagged = page.locator("#capacity-table tr.bottleneck")
    assert flagged.count() == 1 and "bottleneck" in flagged.inner_text()
    assert "3,000,000,000 a day" in page.locator("#capacity-headline").inner_text()
    assert page.locator("#capacity-reasons li").count() >= 3
    shot(page, "capacity")

    # A bad load is refused in words naming the field; the table stays.
    page.fill("input[name=load]", "1e13")
    page.select_option("select[name=unit]", "s")
    page.click("#capacity-form [type=submit]")
    page.wait_for_selector("#capacity-problems:not([hidden])")
    assert "load:" in page.locator("#capacity-problems").inner_text()
    page.fill("input[name=load]", "3000000000")
    page.select_option("select[name=unit]", "day")
    page.click("#capacity-form [type=submit]")
    page.wait_for_selector("#capacity-problems", state="hidden")

    with page.expect_download() as download:
        page.click("#export-json")
    exported = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert set(exported["nodes"]) == {n["id"] for n in doc["nodes"]}
    with page.expect_download() as download:
        page.click("#export-csv")
    header = open(download.value.path(), encoding="utf-8").readline()
    assert header.startswith("node,kind,rate_per_s,utilisation")

    page.click("#cross-check")
    page.wait_for_selector("#check-result:not([hidden])", timeout=120_000)
    assert "simulated against" in page.locator("#check-summary").inner_text()
    # A row per pool: both lanes' (the tiers' web, api and db; the one unit's app and db).
    pools = [n for n in doc["nodes"] if n["kind"] in ("service", "database")]
    assert page.locator("#check-table tbody tr").count() == len(pools) == 5
    assert not page.js_errors, page.js_errors
    shot(page, "capacity-cross-check")
    page.screenshot(path=str(SHOTS / "capacity-full.png"), full_page=True)
