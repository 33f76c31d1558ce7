"""Every built-in scenario's run view at 1280x720: readable titles, no box on top of another."""

from __future__ import annotations

from pathlib import Path

import pytest

from patterns import scenarios
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


def _widest() -> str:
    """The built-in scenario the run view draws widest: job-seeker-choreography, laid out in
    one row 3,414 units wide (measured in the browser: next come the media pipeline at 2,165
    and two at 1,492)."""
    slug = "job-seeker-choreography"
    assert slug in SLUGS
    return slug


RECTS = """() => Object.fromEntries(['#stage', '.counters', '#inspector', '#inspector .faults']
  .map((sel) => { const r = document.querySelector(sel)?.getBoundingClientRect();
                  return [sel, r ? [r.left, r.top, r.right, r.bottom] : null]; }))"""


def _inside(rect, width: int, height: int) -> bool:
    return rect[0] >= 0 and rect[1] >= 0 and rect[2] <= width + 0.5 and rect[3] <= height + 0.5


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
def test_stage_counters_and_inspector_share_one_screen_for_the_widest_scenario(app, page, size):
    """Issue 15: at 1280x800 (and on a 1920x1080 projector) the stage, the counters and the
    inspector with its fault buttons are all in the viewport at once: press Crash, see it."""
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    slug = _widest()
    doc = scenarios.get(slug).document
    service = next(n["id"] for n in doc["nodes"] if n["kind"] == "service")
    page.goto(app.url + "/")
    page.locator(f'[data-scenario="{slug}"] .js-watch').click()
    page.wait_for_url("**/runs/*/", timeout=15000)
    page.wait_for_selector("#stage .node-box")
    page.locator(f'#stage .node[data-node="{service}"]').dispatch_event("click")
    page.wait_for_selector("#inspector .faults button")
    page.wait_for_timeout(600)
    rects = page.evaluate(RECTS)
    for sel, rect in rects.items():
        assert rect is not None, sel
        assert _inside(rect, width, height), (slug, size, sel, rect)
    assert page.evaluate("() => window.scrollY") == 0
    shot(page, f"layout-one-screen-{slug}-{width}x{height}")
    assert not page.js_errors, page.js_errors


def test_presentation_mode_shows_the_whole_stage_without_the_long_text(app, page):
    """Presentation mode at 1280x800: the stage in the viewport, every node inside it (the
    widest scenario fitted whole), the explanation hidden and this run's figures kept."""
    page.set_viewport_size({"width": 1280, "height": 800})
    slug = _widest()
    page.goto(app.url + "/")
    page.locator(f'[data-scenario="{slug}"] .js-watch').click()
    page.wait_for_url("**/runs/*/", timeout=15000)
    page.wait_for_selector("#stage .node-box")
    page.keyboard.press("p")
    page.wait_for_function("() => document.body.classList.contains('presenting')")
    page.wait_for_timeout(800)
    geo = page.evaluate(
        """() => { const r = (e) => { const b = e.getBoundingClientRect();
                                      return [b.left, b.top, b.right, b.bottom]; };
          return { stage: r(document.querySelector('#stage')),
                   boxes: [...document.querySelectorAll('#stage .node-box')].map(r),
                   text: document.querySelector('#watch-text').getClientRects().length,
                   figures: !!document.querySelector('#watch-figures')?.offsetParent }; }"""
    )
    stage = geo["stage"]
    assert _inside(stage, 1280, 800), stage
    for box in geo["boxes"]:
        assert (
            box[0] >= stage[0] and box[1] >= stage[1] and box[2] <= stage[2] and box[3] <= stage[3]
        ), (box, stage)
    assert geo["text"] == 0  # the long explanation is hidden
    assert geo["figures"]  # this run's figures stay
    shot(page, f"layout-presenting-{slug}")
    assert not page.js_errors, page.js_errors
