"""The editor at scale: every built-in scenario laid out and in view, zoom and pan, the keyboard."""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.conftest import login, shot

pytestmark = pytest.mark.e2e


def _slugs(app) -> list[str]:
    out = app.shell(
        "import json\nfrom playground.models import Scenario\n"
        "print(json.dumps(list(Scenario.objects.values_list('slug', flat=True))))"
    )
    return json.loads(out.strip().splitlines()[-1])


def _boxes(page) -> dict[str, dict]:
    page.wait_for_function("() => document.querySelectorAll('.editor-node').length > 0")
    return {
        g.get_attribute("data-node"): g.locator(".node-box").bounding_box()
        for g in page.locator(".editor-node").all()
    }


def _overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def _transform(page) -> tuple[float, float, float]:
    t = page.locator("#viewport").get_attribute("transform") or ""
    m = re.fullmatch(r"translate\(([-\d.e]+) ([-\d.e]+)\) scale\(([-\d.e]+)\)", t)
    assert m, t
    return float(m[1]), float(m[2]), float(m[3])


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_every_scenario_is_in_view_without_overlaps(app, browser, size):
    """Forked into the editor, each scenario's nodes sit inside the canvas, no two touching."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    slugs = _slugs(app)
    assert len(slugs) >= 10
    for slug in slugs:
        page.goto(f"{app.url}/scenarios/{slug}/fork/")
        boxes = _boxes(page)
        canvas = page.locator("#canvas").bounding_box()
        for node, box in boxes.items():
            assert box["x"] >= canvas["x"] and box["y"] >= canvas["y"], (slug, node)
            assert box["x"] + box["width"] <= canvas["x"] + canvas["width"], (slug, node)
            assert box["y"] + box["height"] <= canvas["y"] + canvas["height"], (slug, node)
        names = sorted(boxes)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                assert not _overlap(boxes[a], boxes[b]), (slug, a, b)
        if slug in ("media-processing-pipeline", "vod-subscription-saga"):
            shot(page, f"editor-fit-{slug}-{size[0]}")
    # Nothing wider than the screen on a phone: no horizontal cut-off.
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= size[0], width
    assert not errors
    context.close()


def test_zoom_and_pan_change_the_view(app, page):
    page.goto(f"{app.url}/scenarios/media-processing-pipeline/fork/")
    _boxes(page)
    x0, y0, k0 = _transform(page)
    canvas = page.locator("#canvas").bounding_box()
    # Drag on empty canvas (its bottom-left corner, inside the fit's margin) pans.
    sx, sy = canvas["x"] + 8, canvas["y"] + canvas["height"] - 8
    page.mouse.move(sx, sy)
    page.mouse.down()
    page.mouse.move(sx + 120, sy - 60, steps=5)
    page.mouse.up()
    x1, y1, k1 = _transform(page)
    assert (round(x1 - x0), round(y1 - y0), k1) == (120, -60, k0)
    # The wheel zooms in about the pointer.
    page.mouse.move(canvas["x"] + canvas["width"] / 2, canvas["y"] + canvas["height"] / 2)
    page.mouse.wheel(0, -300)
    page.wait_for_function(f"() => window.playgroundEditor.view.k > {k1}")
    k2 = _transform(page)[2]
    shot(page, "editor-zoomed")
    page.click("#btn-zoom-out")
    assert _transform(page)[2] < k2
    page.click("#btn-fit")
    assert _transform(page) == pytest.approx((x0, y0, k0))
    assert not page.js_errors


def test_keyboard_moves_and_connects_a_node(app, page):
    """Arrows move the selected node; `c`, Tab and Enter connect it; the saved document has it."""
    app.user("kim")
    login(page, app, "kim")
    page.goto(f"{app.url}/topologies/new/")
    page.fill("#topology-name", "Built with the keyboard")
    for kind in ("client", "service", "database"):
        page.click(f'.palette-item[data-kind="{kind}"]')
    page.wait_for_function("() => window.playgroundEditor.doc.nodes.length === 3")
    page.wait_for_timeout(300)
    page.locator('[data-node="client"]').focus()
    page.wait_for_function(
        "() => window.playgroundEditor.doc && document.activeElement.dataset.node === 'client'"
    )
    x = page.evaluate("() => window.playgroundEditor.doc.nodes[0].x")
    for _ in range(3):
        page.keyboard.press("ArrowLeft")
    page.keyboard.press("Shift+ArrowUp")
    node = page.evaluate("() => window.playgroundEditor.doc.nodes[0]")
    assert node["x"] == x - 30
    page.keyboard.press("c")
    assert "Connect client →" in page.locator("#connect-state").inner_text()
    # Tab through the candidates until the service is the target.
    for _ in range(3):
        if "→ api?" in page.locator("#connect-state").inner_text():
            break
        page.keyboard.press("Tab")
    assert page.locator(".editor-node.connect-target").get_attribute("data-node") == "api"
    shot(page, "editor-keyboard-connect")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => window.playgroundEditor.doc.edges.some(e => e.from === 'client' && e.to === 'api')"
    )
    page.click("#btn-save")
    page.wait_for_function(
        "() => /Saved|Not saved/.test(document.querySelector('#save-state').textContent)"
    )
    problems = page.locator("#problems").inner_text()
    assert "Saved" in page.locator("#save-state").inner_text(), problems
    topology = int(page.url.rstrip("/").split("/")[-1])
    saved = app.api("GET", f"/api/topologies/{topology}", app.token("kim"))
    edges = saved["document"]["edges"]
    assert {"from": "client", "to": "api"} in [{k: e[k] for k in ("from", "to")} for e in edges]
    client = next(n for n in saved["document"]["nodes"] if n["id"] == "client")
    assert client["x"] == x - 30
    # Delete removes the selected node and its edges.
    page.locator('[data-node="db"]').focus()
    page.keyboard.press("Delete")
    page.wait_for_function("() => window.playgroundEditor.doc.nodes.length === 2")
    assert not page.js_errors


def _touch(cdp, kind: str, points: list[tuple[float, float]]) -> None:
    cdp.send(
        "Input.dispatchTouchEvent",
        {
            "type": kind,
            "touchPoints": [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)],
        },
    )


def test_a_tablet_drags_a_node_and_pinches_to_zoom(app, browser):
    """Touch: one finger on a node moves it, two fingers on the empty canvas zoom."""
    context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True)
    page = context.new_page()
    page.goto(f"{app.url}/scenarios/sticky-sessions-and-a-crash/fork/")
    boxes = _boxes(page)
    cdp = context.new_cdp_session(page)
    node = next(iter(boxes))
    box = boxes[node]
    x, y = box["x"] + 20, box["y"] + box["height"] / 2
    before = page.evaluate(
        f"() => window.playgroundEditor.doc.nodes.find(n => n.id === '{node}').y"
    )
    _touch(cdp, "touchStart", [(x, y)])
    for step in range(1, 6):
        _touch(cdp, "touchMove", [(x, y + 20 * step)])
    _touch(cdp, "touchEnd", [])
    after = page.evaluate(f"() => window.playgroundEditor.doc.nodes.find(n => n.id === '{node}').y")
    k = _transform(page)[2]
    assert after - before == pytest.approx(100 / k, abs=2)
    canvas = page.locator("#canvas").bounding_box()
    cx, cy = canvas["x"] + 60, canvas["y"] + canvas["height"] - 60
    _touch(cdp, "touchStart", [(cx - 20, cy), (cx + 20, cy)])
    for step in range(1, 6):
        _touch(cdp, "touchMove", [(cx - 20 - 10 * step, cy), (cx + 20 + 10 * step, cy)])
    _touch(cdp, "touchEnd", [])
    assert _transform(page)[2] == pytest.approx(k * 140 / 40, rel=0.05)
    shot(page, "editor-tablet-pinched")
    context.close()


def test_a_resized_window_keeps_the_whole_in_view(app, page):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{app.url}/scenarios/job-seeker-choreography/fork/")
    _boxes(page)
    page.set_viewport_size({"width": 900, "height": 700})
    page.wait_for_timeout(300)
    canvas = page.locator("#canvas").bounding_box()
    for node, box in _boxes(page).items():
        assert box["x"] >= canvas["x"], node
        assert box["x"] + box["width"] <= canvas["x"] + canvas["width"], node
        assert box["y"] + box["height"] <= canvas["y"] + canvas["height"], node
