"""Every built-in scenario's run view at 1280x720: readable titles, no box on top of another."""

from __future__ import annotations

from pathlib import Path

import pytest

from patterns.scenarios import __file__ as SCENARIOS_INIT
from tests.e2e.conftest import shot

SLUGS = sorted(p.stem for p in Path(SCENARIOS_INIT).parent.glob("*.json"))

GEOMETRY = """() => {
  const rects = (sel) => [...document.querySelectorAll(sel)].map((e) => {
    const r = e.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
  });
  return { boxes: rects('#stage .node-box'), titles: rects('#stage .node-label'),
           scale: window.playground.stage.scale };
}"""


def _overlap(a, b) -> bool:
    return a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1


@pytest.mark.parametrize("slug", SLUGS)
def test_it_draws_each_scenario_readable_and_without_overlaps(app, page, slug):
    """Node titles stay at least 11 px tall on screen and no two node boxes cover each other."""
    page.goto(app.url + "/")
    page.locator(f'[data-scenario="{slug}"] .js-watch').click()
    page.wait_for_url("**/runs/*/", timeout=15000)
    page.wait_for_selector("#stage .node-box")
    page.wait_for_timeout(1200)
    geo = page.evaluate(GEOMETRY)
    heights = [t[3] - t[1] for t in geo["titles"]]
    assert min(heights) >= 11, (slug, geo["scale"], min(heights))
    boxes = geo["boxes"]
    clashes = [
        (i, j)
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if _overlap(boxes[i], boxes[j])
    ]
    assert not clashes, (slug, clashes)
    shot(page, f"layout-{slug}")
    assert not page.js_errors, page.js_errors
