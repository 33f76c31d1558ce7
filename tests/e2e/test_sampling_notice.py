"""The run view says so when it draws only a sample of the messages in flight."""

from __future__ import annotations

import re

from tests.e2e.conftest import login, shot

BUSY = {
    "version": 1,
    "name": "A flood of messages",
    "pattern": "load-balancing",
    "seed": 3,
    "duration_ms": 20000,
    "nodes": [
        {"id": "users", "kind": "client", "rate": 4000, "x": 0, "y": 0},
        {"id": "api", "kind": "service", "instances": 4, "concurrency": 2000, "service_time": 50,
         "queue_limit": 100000, "x": 300, "y": 0},
    ],
    "edges": [{"from": "users", "to": "api", "latency_ms": 400}],
    "faults": [],
}  # fmt: skip


def test_it_says_it_samples_when_thousands_of_messages_are_in_flight(app, page):
    """Above 1,500 dots the canvas draws 1 in N and the notice says so; counters stay exact."""
    app.user("sampler")
    token = app.token("sampler")
    topology = app.api("POST", "/api/topologies", token, {"document": BUSY})
    login(page, app, "sampler")
    run = app.api("POST", f"/api/topologies/{topology['id']}/runs", token, {"speed": 1})
    page.goto(f"{app.url}/runs/{run['id']}/")
    page.wait_for_selector("#sample-notice:not([hidden])", timeout=20000)
    text = page.inner_text("#sample-notice")
    assert text.startswith("Showing 1 in ") and "counters are exact" in text
    # Read in one go: the sample is chosen again each second as the flood grows.
    n, drawn, in_flight = page.evaluate(
        "(() => { const p = window.playground;"
        " return [p.stage.sampleN, p.stage.drawnCount, p.state.inflight.length]; })()"
    )
    assert n > 1 and 0 < drawn < in_flight, (n, drawn, in_flight)
    # The figures are the simulation's (messages sent and not yet arrived, requests open),
    # not the dots kept on screen (docs/run-view.md).
    assert re.match(
        r"Showing 1 in \d+ dots: [\d,]+ messages? in transit, [\d,]+ requests? in flight",
        page.inner_text("#sample-notice"),
    )
    shot(page, "run-sampled")
    assert not page.js_errors
