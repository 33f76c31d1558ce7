"""Every figure the run view draws is the event stream's or the summary's (issue 14,
"Wrong on screen today").

Each test runs a built-in scenario, reads its stored events over the API, works out in
Python what is true at a moment (or takes the engine's own `metrics` snapshot), scrubs
the replay there in Chromium and compares what the page shows.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import pytest

from patterns import scenarios
from tests.e2e.conftest import login, shot
from tests.e2e.test_choreography import _events

pytestmark = pytest.mark.e2e

USER = "figures"


@pytest.fixture(scope="module")
def runs(app) -> dict[str, Any]:
    """Finished runs of built-in scenarios, made once per module: slug -> (run, events)."""
    app.user(USER)
    token = app.token(USER)
    cache: dict[str, Any] = {"token": token}

    def get(slug: str) -> tuple[dict, list[dict]]:
        if slug not in cache:
            run = app.api("POST", f"/api/scenarios/{slug}/runs", token, {})
            run = app.wait_run(run["id"], token, timeout=120)
            assert run["status"] == "finished", run
            cache[slug] = (run, _events(app, token, run["id"]))
        return cache[slug]  # type: ignore[no-any-return]

    cache["get"] = get
    return cache


@pytest.fixture
def page(page):
    """conftest's page at 1280x800, the size the issue's screenshots are taken at."""
    page.set_viewport_size({"width": 1280, "height": 800})
    return page


def _replay(page, app, run: dict, user: str = USER) -> None:
    """Open a finished run's page (signed in as `user`) and wait until its replay is ready."""
    if "/login/" in page.url or page.url == "about:blank":
        login(page, app, user)
    page.goto(f"{app.url}/runs/{run['id']}/")
    page.wait_for_function(
        # enterReplay has run: every event is in, the scrubber is on.
        f"() => window.playground && window.playground.events.length === {run['events']}"
        " && !document.querySelector('#scrubber').disabled",
        timeout=120000,
    )


def _scrub(page, t: int) -> None:
    """Move the scrubber to `t` as a user does (it pauses the replay), then let frames draw."""
    page.evaluate(
        "(t) => { const s = document.querySelector('#scrubber'); s.value = String(t);"
        " s.dispatchEvent(new Event('input')); }",
        t,
    )
    page.wait_for_timeout(400)


def _name(e: dict) -> str:
    inst = e.get("instance")
    return f"{e['node']}#{inst}" if isinstance(inst, int) else str(inst or e["node"])


def _busy(events: list[dict], t: float) -> dict[str, int]:
    """Attempts each instance works on at `t`: started there and neither finished nor failed.

    Counted per attempt, not per request: a retry can start on the worker still busy with
    the same request's first attempt, which its caller gave up on after a timeout.
    """
    busy: dict[str, int] = defaultdict(int)
    for e in events:
        if e["t"] > t:
            break
        if e["type"] == "node.start":
            busy[_name(e)] += 1
        elif e["type"] in ("node.finish", "node.fail"):
            busy[_name(e)] -= 1
        elif e["type"] == "instance.down":
            busy[e["instance"]] = 0
    return dict(busy)


def _metrics(events: list[dict], t: float) -> dict[str, dict]:
    return next(e["nodes"] for e in events if e["type"] == "metrics" and e["t"] == t)


def _cells(page) -> dict[str, dict]:
    """The instance cells drawn now: name -> {busy text, queue text, down}."""
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#stage .inst')]
            .filter((g) => getComputedStyle(g).display !== 'none')
            .map((g) => [g.dataset.instance, {busy: g.querySelector('.inst-busy').textContent,
                                              queue: g.querySelector('.inst-queue').textContent,
                                              down: g.classList.contains('down')}]))"""
    )


def _subtitle(page, node: str) -> str:
    return page.locator(f'#stage .node[data-node="{node}"] .node-sub').text_content() or ""


def _counters(page) -> dict[str, int]:
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('[data-counter]')]
            .map((n) => [n.dataset.counter, Number(n.dataset.value ?? n.textContent)]))"""
    )


def test_busy_counts_equal_the_stored_events_in_a_run_with_failures(app, page, runs):
    """VOD saga at 30 s: the charge card has failed ~150 calls and timed-out calls are being
    retried on workers still busy with them; each cell shows the events' count of attempts."""
    run, events = runs["get"]("vod-subscription-saga")
    t = 30000
    expected = _busy(events, t)
    # The fold agrees with the engine's own snapshot at every second: busy = in flight - queued.
    for m in (e for e in events if e["type"] == "metrics"):
        fold = _busy(events, m["t"])
        for node in (
            "orch",
            "user-service",
            "payment",
            "refund",
            "email",
            "location",
            "recommendation",
        ):
            assert sum(v for k, v in fold.items() if k.startswith(f"{node}#")) == (
                m["nodes"][node]["in_flight"] - m["nodes"][node]["queued"]
            ), (m["t"], node)
    assert (
        sum(
            1 for e in events if e["type"] == "node.fail" and e["node"] == "payment" and e["t"] <= t
        )
        > 100
    )
    # The moment has what makes a set of requests wrong: two attempts of one request at once.
    attempts: dict[tuple, int] = defaultdict(int)
    doubled = 0
    for e in events:
        if e["t"] > t:
            break
        key = (e.get("req"), _name(e)) if e.get("node") == "payment" else None
        if key and e["type"] == "node.start":
            attempts[key] += 1
            doubled += attempts[key] > 1
        elif key and e["type"] in ("node.finish", "node.fail"):
            attempts[key] -= 1
    assert doubled > 0
    _replay(page, app, run)
    _scrub(page, t)
    cells = _cells(page)
    doc = scenarios.get("vod-subscription-saga").document
    limit = {n["id"]: n.get("concurrency", 1) for n in doc["nodes"] if n["kind"] != "orchestrator"}
    shown = {name: c["busy"] for name, c in cells.items() if not c["down"]}
    want = {
        name: f"{expected.get(name, 0)}/{limit[node]}"
        if node in limit
        else str(expected.get(name, 0))
        for name in shown
        for node in [name.split("#")[0]]
    }
    assert shown == want
    assert {"payment#0", "payment#1"} <= shown.keys()
    shot(page, "figures-vod-saga-30s")
    assert not page.js_errors


def test_autoscaled_tiers_draw_only_the_instances_that_are_up(app, page, runs):
    """Busy tier: web stays at 2, api goes 2 -> 4 -> 5 -> 4; the ceiling is stated apart."""
    run, events = runs["get"]("busy-tier-autoscales")
    _replay(page, app, run)
    seen = set()
    for t in (1000, 5000, 9000, 31000, 45000):
        _scrub(page, t)
        m = _metrics(events, t)
        cells = _cells(page)
        for node, ceiling in (("web", 6), ("api", 8)):
            drawn = sorted(n for n in cells if n.startswith(f"{node}#"))
            assert len(drawn) == m[node]["instances_up"], (t, node, drawn)
            assert not any(cells[n]["down"] for n in drawn)
            assert f"{m[node]['instances_up']} up of max {ceiling}" in _subtitle(page, node), t
        seen.add(m["api"]["instances_up"])
        if t == 5000:
            shot(page, "figures-busy-tier-5s")
    assert seen >= {2, 4}  # the test saw the api tier scale
    assert not page.js_errors


def test_idle_function_slots_are_not_drawn_as_crashed(app, page, runs):
    """Choreography at 6 s: two email-verification instances stopped when idle; none says 'down'."""
    run, events = runs["get"]("job-seeker-choreography")
    t = 6000
    stopped = [e for e in events if e["type"] == "instance.down" and e["t"] <= t]
    assert stopped and all(e["reason"].startswith("idle") for e in stopped)
    _replay(page, app, run)
    _scrub(page, t)
    cells = _cells(page)
    drawn = [n for n in cells if n.startswith("verify-email#")]
    assert len(drawn) == _metrics(events, t)["verify-email"]["instances_up"]
    assert not any(c["down"] or "down" in c["busy"] or "✖" in c["queue"] for c in cells.values())
    assert "of max 5" in _subtitle(page, "verify-email")
    assert not page.js_errors


def _apart(a: dict, b: dict) -> bool:
    """Two boxes {x, y, w, h} that do not overlap."""
    return (
        a["x"] + a["w"] <= b["x"]
        or b["x"] + b["w"] <= a["x"]
        or a["y"] + a["h"] <= b["y"]
        or b["y"] + b["h"] <= a["y"]
    )


# (slug, moment, fit the stage first, a label that must be drawn or None)
LABEL_MOMENTS = [
    ("busy-tier-autoscales", 8100, False, None),  # autoscale: drained
    ("vod-subscription-saga", 20100, False, None),  # crash of orch#0
    ("balancer-per-zone", 20100, False, None),  # zone a down
    ("message-broker-absorbs-a-burst", 1500, False, None),  # rejected
    # The choreography is wider than the stage at its readable size: fitted (as the Fit button
    # does), at the skill parser's first failure, a label drawn where no request.done points.
    ("job-seeker-choreography", 10300, True, "✕ failed"),
]


@pytest.mark.parametrize(("slug", "t", "fit", "must"), LABEL_MOMENTS)
def test_event_labels_never_cover_a_node_title(app, page, runs, slug, t, fit, must):
    run, _ = runs["get"](slug)
    _replay(page, app, run)
    if fit:
        page.locator('#stage [data-zoom="fit"]').click()
    _scrub(page, t)
    labels = page.evaluate("() => window.playground.stage.labelBoxes")
    titles = page.evaluate(
        """() => { const c = document.querySelector('#stage canvas').getBoundingClientRect();
            return [...document.querySelectorAll('#stage .node-label, #stage .stage-figures')]
              .filter((n) => n.textContent).map((n) => {
              const r = n.getBoundingClientRect();
              return {text: n.textContent, x: r.x - c.x, y: r.y - c.y,
                      w: r.width, h: r.height}; }); }"""
    )
    assert labels, f"no event label drawn at {t} ms in {slug}"
    if must:
        assert any(label["text"] == must for label in labels), labels
    for label in labels:
        for title in titles:
            assert _apart(label, title), (label, title)
        for other in labels:
            assert other is label or _apart(label, other), (label, other)
    shot(page, f"figures-labels-{slug}")
    assert not page.js_errors


@pytest.mark.parametrize(
    "slug", ["job-seeker-choreography", "report-built-asynchronously", "vod-subscription-saga"]
)
def test_counters_equal_the_summary_at_the_end(app, page, runs, slug):
    run, events = runs["get"](slug)
    _replay(page, app, run)
    _scrub(page, int(events[-1]["t"]) + 1)
    counters = _counters(page)
    requests = run["summary"]["requests"]
    for counter, key in (
        ("started", "started"),
        ("ok", "completed"),
        ("failed", "failed"),
        ("rejected", "rejected"),
        ("timed_out", "timed_out"),
        ("inflight", "in_flight"),
    ):
        assert counters[counter] == requests[key], (counter, counters, requests)
    nodes = run["summary"]["nodes"].values()
    assert counters["node_failed"] == sum(n["failed"] for n in nodes)
    assert counters["events"] == run["events"]
    # The summary table says the same under the same words.
    summary = page.locator("#summary").inner_text()
    assert "requests failed" in summary and "failed at nodes" in summary
    if slug == "vod-subscription-saga":
        page.locator("#sagas").scroll_into_view_if_needed()
        assert page.locator("[data-saga-panel] td:has-text('resumed (resumed)')").count() == 0
        resumed = page.locator("[data-saga-panel] td:has-text('(resumed)')").all_text_contents()
        assert all(
            re.fullmatch(r"(completed|failed|compensated|running) \(resumed\)", r) for r in resumed
        )
    if slug == "job-seeker-choreography":
        page.locator("#summary").scroll_into_view_if_needed()
        shot(page, "figures-choreography-summary")
    assert not page.js_errors


def test_in_flight_is_the_simulations_figure_in_a_fast_replay(app, page, runs):
    """At 100x the dots of 45 simulated seconds stay drawn; the figures stay the simulation's."""
    run, events = runs["get"]("round-robin-vs-least-connections")
    doc = scenarios.get("round-robin-vs-least-connections").document
    origins = {n["id"] for n in doc["nodes"] if n["kind"] in ("client", "source")}
    t = 30000
    opened = {
        e["req"] for e in events if e["type"] == "msg.send" and e["from"] in origins and e["t"] <= t
    }
    done = sum(1 for e in events if e["type"] == "request.done" and e["t"] <= t)
    in_transit = sum(1 for e in events if e["type"] == "msg.send" and e["t"] <= t < e["arrive_t"])
    _replay(page, app, run)
    page.select_option("#speed", "100")
    page.dispatch_event("#speed", "input")
    _scrub(page, t)
    page.wait_for_timeout(1300)  # the stage re-chooses its sample once a second
    assert _counters(page)["inflight"] == len(opened) - done
    notice = page.locator("#sample-notice")
    assert notice.is_visible()
    text = notice.text_content() or ""
    figure = re.search(r"([\d,]+) messages? in transit", text)
    assert figure, text
    assert int(figure.group(1).replace(",", "")) == in_transit
    assert f"{len(opened) - done} request" in text
    assert not page.js_errors


def test_the_export_links_appear_when_a_live_run_finishes(app, page):
    app.user(USER)
    token = app.token(USER)
    doc = scenarios.get("job-seeker-choreography").document
    doc["duration_ms"] = 12000  # 12 s at 1x: the page opens while it runs
    topology = app.api("POST", "/api/topologies", token, {"name": "export links", "document": doc})
    login(page, app, USER)
    run = app.api("POST", f"/api/topologies/{topology['id']}/runs", token, {"speed": 1})
    page.goto(f"{app.url}/runs/{run['id']}/")
    assert page.evaluate("window.playground.mode") == "live"
    assert not page.locator(".run-exports a:has-text('CSV')").is_visible()
    page.wait_for_function("() => window.playground.status === 'finished'", timeout=60000)
    page.wait_for_selector(".run-exports a:has-text('CSV')", state="visible", timeout=10000)
    page.wait_for_selector(".run-exports a:has-text('summary')", state="visible")
    href = page.locator(".run-exports a:has-text('CSV')").get_attribute("href")
    assert href == f"/api/runs/{run['id']}/summary.csv"
    assert not page.js_errors


FOLD = """async () => {
  const { RunState } = await import('/static/js/runstate.js');
  const doc = {nodes: [
    {id: 'users', kind: 'client', rate: 1},
    {id: 'api', kind: 'service', instances: 2, concurrency: 4,
     autoscale: {min: 2, max: 4, target_utilization: 0.6, interval_ms: 1000}},
    {id: 'fn', kind: 'function', instances: 0, max_instances: 2},
  ], duration_ms: 1000};
  const s = new RunState(doc);
  const events = [
    {type: 'msg.send', req: 1, from: 'users', to: 'api#0', arrive_t: 5},
    {type: 'node.start', req: 1, node: 'api', instance: 'api#0'},
    {type: 'msg.send', req: 2, from: 'users', to: 'api#0', arrive_t: 30},
    {type: 'node.fail', req: 1, node: 'api', instance: 'api#0', reason: 'failure rate'},
    {type: 'msg.send', req: 2, from: 'users', to: 'db', arrive_t: 60},
    {type: 'instance.up', instance: 'fn#0', reason: 'cold start of 250 ms done'},
    {type: 'instance.up', instance: 'api#2', reason: 'autoscale: started'},
    {type: 'instance.down', instance: 'api#2', reason: 'autoscale: drained'},
    {type: 'instance.down', instance: 'api#1', reason: 'crash'},
  ];
  events.forEach((e, i) => s.apply({seq: i, t: i * 10, ...e}));
  const inst = (n) => { const i = s.instances.get(n); return [i.busy.size, i.up, i.stopped]; };
  return {api0: inst('api#0'), api1: inst('api#1'), api2: inst('api#2'), api3: inst('api#3'),
          fn0: inst('fn#0'), fn1: inst('fn#1'), started: s.counts.started,
          nodeFailed: s.counts.node_failed, inTransit: s.inTransit(45)};
}"""


def test_the_fold_frees_failed_work_and_tells_stopped_from_crashed(app, page):
    """RunState itself, in Chromium: the rules the figures above rest on, on a few events."""
    page.goto(f"{app.url}/login/")
    got = page.evaluate(FOLD)
    assert got["api0"] == [0, True, False]  # the failed attempt no longer holds a worker
    assert got["api1"] == [0, False, False]  # crashed: down, drawn as such
    assert got["api2"] == [0, False, True]  # drained by the autoscaler: stopped, not drawn
    assert got["api3"] == [0, False, True]  # past the first size, never started
    assert got["fn0"] == [0, True, False] and got["fn1"] == [0, False, True]
    assert got["started"] == 2  # request 2's second message opens nothing new
    assert got["nodeFailed"] == 1
    assert got["inTransit"] == 1  # only request 2's message to db is on its way at 45 ms
