"""The media pipeline in the browser: the bottleneck is named, scaled from the page, and drains."""

from __future__ import annotations

from tests.e2e.conftest import shot

ROW = 'tr[data-stage="transcode"]'
BACKLOG = f"Number(document.querySelector('{ROW} [data-cell=backlog]').dataset.backlog)"
FLAG = '[data-node="transcode"].stage-bottleneck .stage-flag'
SCALED = "e => e.type === 'scale' && e.node === 'transcode' && e.to === 8"


def test_it_marks_the_bottleneck_and_drains_it_when_scaled_from_the_run_view(app, page):
    """Watching the media scenario: transcode is flagged, + scales it, and its backlog falls."""
    page.goto(app.url + "/")
    page.locator('[data-scenario="media-processing-pipeline"] .js-watch').click()
    page.wait_for_url("**/runs/*/", timeout=15000)
    page.wait_for_selector("#stages:not([hidden])")
    page.select_option("#speed", "5")  # the owner speeds the run up: a minute in twelve seconds
    # The live flag follows the engine's one-second metrics, so all three marks are read at once.
    page.wait_for_function(
        f"""() => {{
          const row = document.querySelector('{ROW}.is-bottleneck');
          const flag = document.querySelector('{FLAG}');
          return row && row.querySelector('[data-cell=flag]').textContent.includes('bottleneck')
            && flag && flag.textContent === '⚠ bottleneck';
        }}""",
        # Simulated time is deterministic, wall time is not: a loaded CI machine runs slower.
        timeout=60000,
    )
    shot(page, "run-pipeline-canvas")
    page.wait_for_function(f"() => {BACKLOG} >= 20", timeout=60000)
    page.locator("#stages").scroll_into_view_if_needed()
    shot(page, "run-pipeline-bottleneck")
    before = page.evaluate(BACKLOG)
    plus = page.locator('tr[data-stage="transcode"] [data-scale-step="1"]')
    for _ in range(5):
        plus.click()
    page.wait_for_function(
        f"() => window.playground.events.some({SCALED})",
        timeout=30000,
    )
    scaled_at = page.evaluate(f"window.playground.events.find({SCALED}).t")
    # The backlog first peaks (work already on its way), then falls well below where it was,
    # while uploads still arrive (they stop at 60 s): the drain is the scaling's doing.
    page.wait_for_function(f"() => {BACKLOG} <= {before} / 2", timeout=60000)
    drained_at = page.evaluate("window.playground.state.t")
    assert drained_at < 60000, (scaled_at, drained_at)
    assert page.locator(f"{ROW} [data-scale-input]").input_value() == "8"
    page.locator("#stages").scroll_into_view_if_needed()
    shot(page, "run-pipeline-scaled")
    page.wait_for_selector(f"{ROW}:not(.is-bottleneck)", timeout=10000)
    print(
        f"transcode backlog {before} at the click; scaled at {scaled_at / 1000:.1f} s, "
        f"halved by {drained_at / 1000:.1f} s of simulated time"
    )
    assert not page.js_errors
