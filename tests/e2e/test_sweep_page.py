"""In the browser: a topology's sweep page starts a sweep, shows its progress, charts it with the
theory beside it, exports it, and reads in Korean."""

from __future__ import annotations

from tests.e2e.conftest import login, shot
from tests.playground.test_param_sweeps import MM1


def test_it_sweeps_a_rate_and_draws_the_theory_beside_the_simulation(page, app):
    user = app.user("sweeper")
    token = app.token(user)
    topology = app.api("POST", "/api/topologies", token, {"document": MM1})

    login(page, app, user)
    page.goto(f"{app.url}/topologies/{topology['id']}/")
    with page.expect_navigation():
        page.click("a:text('Sweep')")
    page.select_option("#sweep-target", label="users · rate (now 20)")
    page.fill("#sweep-values", "10:40:10")
    page.fill("input[name=seeds]", "2")
    page.fill("input[name=requests]", "400")
    page.click("#sweep-form [type=submit]")
    page.wait_for_function(
        "() => document.getElementById('sweep-state').dataset.status === 'finished'",
        timeout=120_000,
    )
    assert "8 of 8 runs done" in page.locator("#sweep-state").inner_text()
    assert "/sweeps/" in page.url  # the address of the stored sweep, to come back to
    stored = page.url
    assert page.locator("#sweep-table tbody tr").count() == 4
    assert page.locator("#sweep-chart canvas").count() == 1
    assert "exact" in page.locator("#sweep-theory").inner_text()
    legend = page.locator("#sweep-chart .u-legend").inner_text()
    assert "simulation mean" in legend and "theory (exact)" in legend
    theory_cells = page.locator("#sweep-table tbody tr td:nth-child(5)").all_inner_texts()
    assert all(cell != "–" for cell in theory_cells)
    shot(page, "sweep")

    # A figure the theory does not predict: no theory line, no theory column.
    page.select_option("#sweep-figure", "latency_p99")
    theory_cells = page.locator("#sweep-table tbody tr td:nth-child(5)").all_inner_texts()
    assert set(theory_cells) == {"–"}

    with page.expect_download() as download:
        page.click("#export-csv")
    header = open(download.value.path(), encoding="utf-8").readline()
    assert header.startswith("value,seed,status,seconds,latency_mean")

    # The stored sweep reads back on its own page, in Korean.
    with page.expect_navigation():
        page.click("form.language-switch button[value=ko]")
    page.goto(stored)
    page.wait_for_selector("#sweep-table tbody tr")
    assert page.get_attribute("html", "lang") == "ko"
    assert "정확" in page.locator("#sweep-theory").inner_text()
    shot(page, "sweep-ko")
    assert not page.js_errors, page.js_errors
