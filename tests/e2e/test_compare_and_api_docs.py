"""In the browser: comparing two runs from the runs list, and the OpenAPI page working offline."""

from __future__ import annotations

import copy
import json
import urllib.request
from urllib.parse import urlparse

from tests.conftest import SMALL_DOCUMENT
from tests.e2e.conftest import login, shot


def _doc(algorithm: str) -> dict:
    doc = copy.deepcopy(SMALL_DOCUMENT)
    doc["name"] = "Four servers, uneven work"
    doc["duration_ms"] = 5000
    doc["nodes"][0]["rate"] = 30
    doc["nodes"][1]["algorithm"] = algorithm
    doc["nodes"][2].update(instances=4, service_time={"dist": "exponential", "mean_ms": 100})
    return doc


def test_it_compares_two_ticked_runs(page, app):
    """Tick round robin and least connections, press Compare: rows differ, the chart is drawn."""
    user = app.user("comparer")
    token = app.token(user)
    topology = app.api("POST", "/api/topologies", token, {"document": _doc("round_robin")})
    first = app.api(
        "POST", f"/api/topologies/{topology['id']}/runs", token, {"speed": "max", "seed": 1}
    )
    app.wait_run(first["id"], token)
    app.api(
        "PATCH", f"/api/topologies/{topology['id']}", token, {"document": _doc("least_connections")}
    )
    second = app.api(
        "POST", f"/api/topologies/{topology['id']}/runs", token, {"speed": "max", "seed": 1}
    )
    app.wait_run(second["id"], token)

    login(page, app, user)
    page.goto(f"{app.url}/topologies/{topology['id']}/runs/")
    page.check(f"input[name=run][value='{first['id']}']")
    page.check(f"input[name=run][value='{second['id']}']")
    shot(page, "runs-list-compare")
    with page.expect_navigation():
        page.click("#compare-button")
    assert "/compare/" in page.url
    algorithm = page.locator("tr[data-label='Document: lb.algorithm']")
    assert "differs" in algorithm.get_attribute("class")
    # The algorithm in words (issue 15); the JSON answer keeps the code.
    assert "Least connections" in algorithm.inner_text()
    assert page.locator("tr.differs").count() > 3
    page.wait_for_selector("#latency-chart .uplot canvas")
    assert page.locator("#latency-chart .u-legend").inner_text().count("Run ") == 2
    assert not page.js_errors, page.js_errors
    shot(page, "compare-runs")


def test_it_serves_the_api_reference_offline_with_every_endpoint_described(page, app):
    """/api/docs loads nothing from outside this server; every operation has a written summary."""
    outside: list[str] = []
    host = urlparse(app.url).netloc

    def note(request):
        if urlparse(request.url).netloc not in (host, "") and not request.url.startswith("data:"):
            outside.append(request.url)

    page.on("request", note)
    page.goto(f"{app.url}/api/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15000)
    assert page.locator(".swagger-ui .opblock").count() >= 15
    assert outside == [], outside
    page.locator(".opblock-summary-path", has_text="/api/compare").first.click()
    page.wait_for_selector(".opblock-description-wrapper")
    shot(page, "api-docs")

    with urllib.request.urlopen(f"{app.url}/api/openapi.json", timeout=10) as response:
        schema = json.load(response)
    undescribed = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        # ninja makes "Get Run" from a function's name when none is given: that is not one.
        if not operation.get("summary") or operation["summary"].istitle()
    ]
    assert undescribed == []
    for path in ("/api/runs/{pk}/events.jsonl", "/api/runs/{pk}/summary.csv", "/api/compare"):
        assert path in schema["paths"], sorted(schema["paths"])
