"""Lanes side by side and "What to watch" with this run's figures (issue 14, "Per-lane results"
and "What to watch"): what the page draws is the summary's at the end, and the events' fold at
a scrubbed moment; the CSV and summary links come without a reload."""

from __future__ import annotations

import math
from typing import Any

import pytest

from patterns import scenarios
from tests.e2e.conftest import login, shot
from tests.e2e.test_choreography import _events
from tests.e2e.test_run_figures import _replay, _scrub

pytestmark = pytest.mark.e2e

USER = "lanes"
SLUG = "round-robin-vs-least-connections"


@pytest.fixture(scope="module")
def finished(app) -> tuple[dict, list[dict]]:
    """RR against LC, run to its end once for the module: (run, its stored events)."""
    app.user(USER)
    token = app.token(USER)
    run = app.api("POST", f"/api/scenarios/{SLUG}/runs", token, {})
    run = app.wait_run(run["id"], token, timeout=180)
    assert run["status"] == "finished", run
    return run, _events(app, token, run["id"])


@pytest.fixture
def page(page):
    page.set_viewport_size({"width": 1280, "height": 800})
    return page


def _open(page, app, run: dict, end: bool = True) -> None:
    """The run's replay, scrubbed to its end (where the summary's figures replace the fold)."""
    page.goto(app.url + "/")
    login(page, app, USER)
    _replay(page, app, run)
    if end:
        _scrub(page, int(page.evaluate("() => Number(document.querySelector('#scrubber').max)")))


def _drawn(page) -> dict[str, dict[str, str]]:
    """The lanes table: lane -> figure -> data-value (raw) and text."""
    return page.evaluate(
        """() => { const out = {};
          for (const td of document.querySelectorAll('#lanes td[data-lane]')) {
            (out[td.dataset.lane] ||= {})[td.dataset.fig] = [td.dataset.value, td.textContent];
          }
          return out; }"""
    )


def _number(text: str) -> float:
    return float(text.split()[0].replace(",", "").replace("$", "").replace("%", ""))


def _rank(values: list[float], q: float) -> float | None:
    """laneview.js's percentile: the smallest value with at least q of them at or below."""
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))]


def test_lane_figures_drawn_are_the_summarys_at_the_end(app, page, finished):
    """Each lane's requests, failures, p50/p95/p99 and utilisation as the summary has them,
    and the difference in words with the same p95s, least connections first."""
    run, _ = finished
    lanes: dict[str, Any] = run["summary"]["lanes"]
    assert set(lanes) == {"users-rr", "users-lc"}
    _open(page, app, run)
    page.wait_for_function("() => document.querySelector('#lanes-source')?.dataset.exact === '1'")
    drawn = _drawn(page)
    assert set(drawn) == set(lanes)
    for lane, s in lanes.items():
        fig = drawn[lane]
        r = s["requests"]
        assert float(fig["started"][0]) == r["started"]
        assert float(fig["failures"][0]) == r["failed"] + r["rejected"] + r["timed_out"]
        for q in ("p50", "p95", "p99"):
            assert float(fig[q][0]) == s["latency_ms"][q], (lane, q)
            assert _number(fig[q][1]) == pytest.approx(s["latency_ms"][q], abs=0.5)
        assert float(fig["utilization"][0]) == s["utilization"]
        assert _number(fig["utilization"][1]) == pytest.approx(s["utilization"] * 100, abs=0.05)
    said = page.locator("#watch-figures").text_content() or ""
    lc, rr = lanes["users-lc"]["latency_ms"]["p95"], lanes["users-rr"]["latency_ms"]["p95"]
    assert lc < rr  # the scenario's point
    assert f"least connections: p95 {round(lc):,} ms" in said, said
    assert f"round robin: {round(rr):,} ms" in said, said
    assert said.index("least connections") < said.index("round robin")
    shot(page, "lanes-rr-lc-end")
    assert not page.js_errors, page.js_errors


def test_lane_figures_at_a_scrubbed_moment_are_the_events(app, page, finished):
    """Scrubbed to 20 s, each lane's figures are those folded from the stored events up to then."""
    run, events = finished
    t = 20000
    doc = scenarios.get(SLUG).document
    emitters = {n["id"] for n in doc["nodes"] if n["kind"] == "client"}
    started: dict[str, set] = {c: set() for c in emitters}
    done: dict[str, list] = {c: [] for c in emitters}
    failures = dict.fromkeys(emitters, 0)
    for e in events:
        if e["t"] > t:
            break
        if e["type"] == "msg.send" and e["from"] in emitters:
            started[e["from"]].add(e["req"])
        elif e["type"] == "request.done":
            if e["outcome"] == "ok":
                done[e["origin"]].append(e["latency_ms"])
            else:
                failures[e["origin"]] += 1
    _open(page, app, run, end=False)
    _scrub(page, t)
    page.wait_for_function("() => document.querySelector('#lanes-source')?.dataset.exact === '0'")
    drawn = _drawn(page)
    for lane in emitters:
        fig = drawn[lane]
        assert float(fig["started"][0]) == len(started[lane]), lane
        assert float(fig["failures"][0]) == failures[lane], lane
        for q, share in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
            assert float(fig[q][0]) == _rank(done[lane], share), (lane, q)
    assert not page.js_errors, page.js_errors


def _at(summary: dict, key: str) -> Any:
    if key == "requests.failures":
        r = summary["requests"]
        return r["failed"] + r["rejected"] + r["timed_out"]
    value: Any = summary
    for part in key.split("."):
        value = value[part]
    return value


@pytest.mark.parametrize("slug", ["vod-subscription-saga", "media-processing-pipeline"])
def test_what_to_watch_ends_with_this_runs_figures_from_the_summary(app, page, slug):
    """The explanation in whole sentences (Read all gives the rest), then "This run: …" whose
    every figure is the summary's."""
    app.user(USER)
    token = app.token(USER)
    run = app.api("POST", f"/api/scenarios/{slug}/runs", token, {})
    run = app.wait_run(run["id"], token, timeout=180)
    _open(page, app, run)
    page.wait_for_function("() => document.querySelector('#watch-figures')?.dataset.exact === '1'")
    figures = page.evaluate(
        """() => [...document.querySelectorAll('#watch-figures [data-key]')]
            .filter((s) => s.dataset.value !== '')
            .map((s) => [s.dataset.key, s.dataset.value, s.textContent])"""
    )
    keys = {k for k, _, _ in figures}
    assert {"latency_ms.p95", "requests.completed", "requests.failures"} <= keys
    for key, value, text in figures:
        want = _at(run["summary"], key)
        assert float(value) == want, (key, value, want)
        if key.startswith(("requests.", "sagas.")):
            assert f"{want:,}" in text, (key, text)
    shown = (page.locator("#watch-text").text_content() or "").strip()
    assert shown[-1] in ".!?", shown  # whole sentences, never cut in the middle of one
    more = page.locator("#btn-read-all")
    if more.is_visible():
        more.click()
        full = (page.locator("#watch-text").text_content() or "").strip()
        assert full.startswith(shown) and len(full) > len(shown)
    assert not page.js_errors, page.js_errors


def test_export_links_appear_when_a_live_run_ends_without_a_reload(app, page):
    """Watched live to its end: the CSV and summary links show up on the same page."""
    app.user(USER)
    token = app.token(USER)
    doc = scenarios.get("sticky-sessions-and-a-crash").document
    doc["duration_ms"] = 20000  # long enough to open the page while it runs, on a busy machine
    topology = app.api("POST", "/api/topologies", token, {"name": "exports", "document": doc})
    page.goto(app.url + "/")
    login(page, app, USER)
    run = app.api("POST", f"/api/topologies/{topology['id']}/runs", token, {"speed": 1})
    page.goto(f"{app.url}/runs/{run['id']}/")
    page.wait_for_function("() => window.playground && window.playground.events.length > 0")
    assert page.evaluate("() => window.playground.mode") == "live"
    assert page.locator("#summary-exports").is_hidden()
    page.wait_for_function(
        "() => ['finished', 'failed', 'cancelled'].includes(window.playground.status)",
        timeout=90000,
    )
    page.wait_for_selector("#summary-exports a[href$='summary.csv']", state="visible")
    assert page.locator("#summary-exports a[href$='summary.json']").is_visible()
    assert not page.js_errors, page.js_errors
