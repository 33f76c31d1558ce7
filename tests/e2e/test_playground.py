"""The playground in a real browser: build, run, watch, break, replay, and who may see what."""

from __future__ import annotations

import urllib.error
import urllib.request

from tests.e2e.conftest import login, press_inspector_button, shot

LB_DOC = {
    "version": 1,
    "name": "Three behind a balancer",
    "pattern": "load-balancing",
    "seed": 7,
    "duration_ms": 20000,
    "nodes": [
        {"id": "client", "kind": "client", "rate": 40, "x": 100, "y": 150},
        {
            "id": "lb",
            "kind": "load_balancer",
            "algorithm": "round_robin",
            "health_check": {"interval_ms": 300, "unhealthy_after": 1},
            "x": 300,
            "y": 150,
        },
        {"id": "api", "kind": "service", "instances": 3, "service_time": 40, "x": 500, "y": 150},
    ],
    "edges": [
        {"from": "client", "to": "lb", "latency_ms": 5},
        {"from": "lb", "to": "api", "latency_ms": 5},
    ],
}


def _counter(page, name: str) -> int:
    return int(page.locator(f'[data-counter="{name}"]').inner_text().replace(",", ""))


def _connect(page, source: str, target: str) -> None:
    page.wait_for_function("() => document.querySelectorAll('.editor-node').length > 0")
    page.wait_for_timeout(300)  # the panel's htmx swap re-renders the canvas
    port = page.locator(f'[data-node="{source}"] circle.port').bounding_box()
    box = page.locator(f'[data-node="{target}"] .node-box').bounding_box()
    page.mouse.move(port["x"] + port["width"] / 2, port["y"] + port["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=6)
    page.mouse.up()
    page.wait_for_function(
        "() => window.playgroundEditor.doc.edges"
        f".some(e => e.from === '{source}' && e.to === '{target}')"
    )


def test_it_builds_saves_runs_and_shows_the_traffic(app, page):
    """Client -> balancer -> 3 instances built from the palette runs: messages, picks, charts."""
    app.user("alice")
    login(page, app, "alice")
    page.goto(f"{app.url}/topologies/new/")
    page.fill("#topology-name", "Built in the browser")
    for kind in ("client", "load_balancer", "service"):
        page.click(f'.palette-item[data-kind="{kind}"]')
    page.wait_for_selector("#f-instances")
    page.fill("#f-instances", "3")
    page.press("#f-instances", "Tab")
    page.wait_for_function("() => window.playgroundEditor.doc.nodes[2].instances === 3")
    _connect(page, "client", "lb")
    _connect(page, "lb", "api")
    page.wait_for_timeout(300)
    shot(page, "editor")
    page.click("#btn-run")
    page.wait_for_url("**/runs/*/", timeout=15000)

    page.wait_for_function("() => window.playground.state.counts.picks > 5", timeout=20000)
    page.wait_for_function("() => window.playground.stage.drawnCount > 0", timeout=10000)
    started = _counter(page, "started")
    page.wait_for_function("() => window.playground.charts.points >= 2", timeout=15000)
    reason = page.locator("#pick-reason").inner_text()
    assert "Picked api#" in reason and "Why:" in reason
    assert page.locator("#inspector .candidates tbody tr").count() == 3
    page.wait_for_timeout(1000)
    shot(page, "run-live")
    assert _counter(page, "started") > started
    assert page.locator(".inst").count() == 3
    assert not page.js_errors


def test_it_takes_a_crashed_instance_out_and_moves_its_traffic(app, page):
    """Crashing api#1 from the page marks it down, and the balancer stops sending to it."""
    app.user("alice")
    token = app.token("alice")
    login(page, app, "alice")
    topology = app.api("POST", "/api/topologies", token, {"name": "Crash me", "document": LB_DOC})
    run = app.api("POST", f"/api/topologies/{topology['id']}/runs", token, {"speed": 1})
    page.goto(f"{app.url}/runs/{run['id']}/")
    page.wait_for_function("() => window.playground.state.counts.picks > 10", timeout=20000)
    page.click('.inst[data-instance="api#1"]')
    press_inspector_button(page, "Crash api#1")
    page.wait_for_selector('.inst.down[data-instance="api#1"]', timeout=10000)
    page.wait_for_timeout(1500)  # health checks notice, then picks avoid it
    counts = "n => window.playground.state.pickCounts.get('lb').get(n) || 0"
    before = {n: page.evaluate(f"({counts})('{n}')") for n in ("api#0", "api#1", "api#2")}
    page.wait_for_timeout(2500)
    after = {n: page.evaluate(f"({counts})('{n}')") for n in ("api#0", "api#1", "api#2")}
    shot(page, "run-crash")
    assert after["api#1"] == before["api#1"], "the crashed instance still receives traffic"
    assert after["api#0"] > before["api#0"] and after["api#2"] > before["api#2"]


def test_it_replays_a_finished_run_to_its_middle_exactly(app, page):
    """Scrubbing a finished run to T shows the counters the stored events give at T."""
    app.user("alice")
    token = app.token("alice")
    doc = {**LB_DOC, "duration_ms": 8000}
    topology = app.api("POST", "/api/topologies", token, {"name": "Replay me", "document": doc})
    run = app.api("POST", f"/api/topologies/{topology['id']}/runs", token, {"speed": "max"})
    app.wait_run(run["id"], token)
    login(page, app, "alice")
    page.goto(f"{app.url}/runs/{run['id']}/")
    page.wait_for_function("() => window.playground.mode === 'replay'", timeout=20000)
    page.wait_for_selector("#loading", state="hidden")
    middle = page.evaluate(
        "() => { const e = window.playground.events; return e[Math.floor(e.length / 2)].t; }"
    )
    page.locator("#scrubber").evaluate(
        "(el, t) => { el.value = String(Math.floor(t)); el.dispatchEvent(new Event('input')); }",
        middle,
    )
    t = float(page.locator("#scrubber").input_value())
    expected = page.evaluate(
        """async ([id, t]) => {
          let after = -1, all = [];
          for (;;) {
            const url = `/api/runs/${id}/events?after=${after}&limit=5000`;
            const r = await fetch(url).then(r => r.json());
            if (!r.events.length) break;
            all.push(...r.events); after = r.events[r.events.length - 1].seq;
          }
          const upTo = all.filter(e => e.t <= t);
          return {
            events: upTo.length,
            ok: upTo.filter(e => e.type === 'request.done' && e.outcome === 'ok').length,
            picks: upTo.filter(e => e.type === 'lb.pick').length,
          };
        }""",
        [run["id"], t],
    )
    shot(page, "run-replay")
    assert 0 < expected["events"] < len(page.evaluate("window.playground.events"))
    assert _counter(page, "events") == expected["events"]
    assert _counter(page, "ok") == expected["ok"]
    assert _counter(page, "picks") == expected["picks"]
    assert f"{t / 1000:.2f}" in page.locator("#clock").inner_text()


def test_it_shows_a_validation_error_on_the_field(app, page):
    """An impossible instance count is marked on that field and the node is outlined."""
    app.user("alice")
    login(page, app, "alice")
    page.goto(f"{app.url}/topologies/new/")
    page.click('.palette-item[data-kind="service"]')
    page.wait_for_selector("#f-instances")
    page.fill("#f-instances", "0")
    page.press("#f-instances", "Tab")
    field = page.locator('.field.has-error[data-field="instances"]')
    field.wait_for(timeout=10000)
    assert ">= 1" in field.locator(".errorlist").inner_text()
    assert page.locator('.editor-node.invalid[data-node="api"]').count() == 1
    assert page.locator('.field.has-error[data-field="service_time"]').count() == 0
    shot(page, "editor-error")


def _status(url: str, cookie: str = "") -> int:
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_it_hides_a_private_topology_from_an_outsider(app, page, browser):
    """Another user (or a visitor) gets 404 for a private topology's editor, runs and run."""
    app.user("alice")
    app.user("bob")
    token = app.token("alice")
    topology = app.api("POST", "/api/topologies", token, {"name": "Secret", "document": LB_DOC})
    run = app.api("POST", f"/api/topologies/{topology['id']}/runs", token, {"speed": "max"})
    pages = [
        f"/topologies/{topology['id']}/",
        f"/topologies/{topology['id']}/runs/",
        f"/runs/{run['id']}/",
    ]
    login(page, app, "bob")
    for path in pages:
        response = page.goto(app.url + path)
        assert response.status == 404, path
        assert "Secret" not in page.content()
        assert _status(app.url + path) == 404
    owner = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    login(owner, app, "alice")
    for path in pages:
        assert owner.goto(app.url + path).status == 200, path
    owner.goto(f"{app.url}/topologies/{topology['id']}/runs/")
    shot(owner, "runs-list")
    owner.context.close()


def test_it_lists_the_scenarios_by_pattern_and_watches_one(app, page):
    """The library shows every built-in scenario; a visitor can watch one run."""
    page.goto(app.url + "/")
    cards = page.locator("[data-scenario]")
    names = app.shell("from playground.models import Scenario\nprint(Scenario.objects.count())")
    assert cards.count() == int(names.strip())
    shot(page, "library")
    if cards.count():
        cards.first.locator(".js-watch").click()
        page.wait_for_url("**/runs/*/", timeout=15000)
        page.wait_for_function("() => window.playground.state.eventsApplied > 0", timeout=20000)
        page.wait_for_timeout(2500)
        shot(page, "run-scenario")
        assert not page.js_errors
