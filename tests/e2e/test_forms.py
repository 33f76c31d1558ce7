"""The editor's side panel in people's words: a distribution and autoscaling set through their
widgets by keyboard, saved and reloaded as the exact JSON of docs/topology.md; a document opened
and saved unedited comes back the same; a bad value is named, on a node or an edge; algorithms
are words; a run's
read-only link opens for another visitor and for no one without it."""

from __future__ import annotations

import copy
import json

from tests.e2e.conftest import login, shot

DOC = {
    "version": 1,
    "name": "Forms",
    "pattern": "load-balancing",
    "seed": 3,
    "duration_ms": 4000,
    "nodes": [
        {"id": "users", "kind": "client", "rate": 30, "x": 100, "y": 150},
        {"id": "lb", "kind": "load_balancer", "algorithm": "least_connections", "x": 320, "y": 150},
        {"id": "api", "kind": "service", "instances": 2, "service_time": 40, "x": 540, "y": 150},
    ],
    "edges": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "api"}],
}

# Every structured field filled, in forms the widgets show, and a few they leave as JSON.
RICH = {
    "version": 1,
    "name": "Rich",
    "pattern": "load-balancing",
    "seed": 5,
    "duration_ms": 3000,
    "description": "Everything filled in.",
    "nodes": [
        {"id": "users", "kind": "client", "rate": 12.5, "arrival": "constant", "x": 100, "y": 100},
        {
            "id": "lb",
            "kind": "load_balancer",
            "algorithm": "weighted_round_robin",
            "weights": {"api": 3, "slow": 1},
            "health_check": {"unhealthy_after": 3, "interval_ms": 250},
            "zone_aware": True,
            "zone": "a",
            "x": 300,
            "y": 100,
        },
        {
            "id": "api",
            "kind": "service",
            "instances": 2,
            "service_time": {"dist": "lognormal", "median_ms": 30, "sigma": 0.6},
            "autoscale": {"max": 6, "min": 2, "target_utilization": 0.55, "startup_ms": 800},
            "zones": ["a", "b"],
            "failure_rate": 0.01,
            "x": 520,
            "y": 60,
        },
        {
            "id": "slow",
            "kind": "service",
            "service_time": {"dist": "uniform", "min_ms": 10, "max_ms": 90},
            "cost_per_hour": 0.25,
            "x": 520,
            "y": 200,
        },
    ],
    "edges": [
        {"from": "users", "to": "lb", "latency_ms": 2.5},
        {"from": "lb", "to": "api"},
        {"from": "lb", "to": "slow", "latency_ms": 4},
    ],
}


def _topology(app, user: str, doc: dict) -> tuple[str, dict]:
    token = app.token(user)
    return token, app.api("POST", "/api/topologies", token, {"name": doc["name"], "document": doc})


def _select(page, where: str, index: int) -> None:
    _panel_answers(
        page,
        lambda: page.evaluate(
            f"() => window.playgroundEditor.select({{ where: '{where}', index: {index} }})"
        ),
    )
    page.wait_for_selector(f"form.panel-form[data-where='{where}'][data-index='{index}']")


COUNT_SWAPS = """() => {
  if (window.panelSwaps === undefined) {
    window.panelSwaps = 0;
    document.body.addEventListener("htmx:afterSettle", () => { window.panelSwaps += 1; });
  }
  return window.panelSwaps;
}"""


def _panel_answers(page, act) -> None:
    """Do `act`, then wait until the panel has been redrawn with the server's answer."""
    before = page.evaluate(COUNT_SWAPS)
    act()
    page.wait_for_function(f"() => window.panelSwaps > {before}")


def _type(page, selector: str, text: str) -> None:
    """Type into an input and leave it with Tab (its change posts the panel)."""

    def act() -> None:
        page.fill(selector, text)
        page.press(selector, "Tab")

    _panel_answers(page, act)


def _saved(page) -> None:
    page.click("#btn-save")
    page.wait_for_function(
        "() => document.querySelector('#save-state').classList.contains('saved')"
    )


def test_a_distribution_and_autoscaling_set_by_keyboard_are_saved_as_the_json(app, page):
    app.user("fern")
    token, topology = _topology(app, "fern", DOC)
    login(page, app, "fern")
    page.goto(f"{app.url}/topologies/{topology['id']}/")
    _select(page, "nodes", 2)
    kind = page.locator("#f-service_time")
    assert kind.evaluate("e => e.tagName") == "SELECT"
    assert kind.input_value() == "constant"  # a bare 40 is "always the same"
    assert page.input_value("#f-service_time-ms") == "40"
    assert page.locator("label[for=f-service_time]").inner_text() == "Work per request"
    # Keyboard only: the kind by arrow, Tab to its mean, type, Tab on.
    kind.focus()
    _panel_answers(page, lambda: page.keyboard.press("ArrowDown"))  # exponential, the same mean
    assert page.input_value("#f-service_time-mean_ms") == "40"
    assert page.evaluate("() => document.activeElement.id") == "f-service_time"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "f-service_time-mean_ms"
    page.keyboard.press("Control+A")
    page.keyboard.type("75")
    _panel_answers(page, lambda: page.keyboard.press("Tab"))
    # Autoscaling: its switch by Space, then its parts, Tab from one to the next.
    page.focus("#f-autoscale")
    _panel_answers(page, lambda: page.keyboard.press("Space"))
    assert page.evaluate("() => document.activeElement.id") == "f-autoscale"
    page.keyboard.press("Tab")
    for part, text in (("min", "2"), ("max", "6"), ("target_utilization", "60")):
        assert page.evaluate("() => document.activeElement.id") == f"f-autoscale-{part}"
        page.keyboard.type(text)
        _panel_answers(page, lambda: page.keyboard.press("Tab"))
    shot(page, "forms-widgets-en")
    _saved(page)
    page.reload()
    _select(page, "nodes", 2)
    assert page.input_value("#f-service_time") == "exponential"
    assert page.input_value("#f-service_time-mean_ms") == "75"
    assert page.input_value("#f-autoscale-target_utilization") == "60"
    stored = app.api("GET", f"/api/topologies/{topology['id']}", token)["document"]
    expected = copy.deepcopy(DOC["nodes"][2])
    expected["service_time"] = {"dist": "exponential", "mean_ms": 75}
    expected["autoscale"] = {"min": 2, "max": 6, "target_utilization": 0.6}
    assert stored["nodes"][2] == expected
    assert stored["nodes"][:2] == DOC["nodes"][:2] and stored["edges"] == DOC["edges"]
    assert not page.js_errors


def test_a_document_opened_and_saved_unedited_comes_back_the_same(app, page):
    app.user("fern")
    token, topology = _topology(app, "fern", RICH)
    login(page, app, "fern")
    page.goto(f"{app.url}/topologies/{topology['id']}/")
    for where, items in (("nodes", RICH["nodes"]), ("edges", RICH["edges"])):
        for index in range(len(items)):
            _select(page, where, index)
    # The widgets show these values rather than their JSON.
    _select(page, "nodes", 2)
    assert page.input_value("#f-service_time") == "lognormal"
    assert page.input_value("#f-service_time-sigma") == "0.6"
    assert page.is_checked("#f-autoscale")
    assert page.input_value("#f-autoscale-target_utilization") == "55"
    assert page.input_value("#f-autoscale-interval_ms") == ""  # the default, as a placeholder
    assert page.input_value("#f-zones") == "a, b"
    _select(page, "nodes", 1)
    assert page.input_value("#f-health_check") == "250"
    # Edited and edited back: the panel posts, the document is still the same.
    _type(page, "#f-health_check", "300")
    assert (
        page.evaluate("() => window.playgroundEditor.doc.nodes[1].health_check.interval_ms") == 300
    )
    _type(page, "#f-health_check", "250")
    _saved(page)
    stored = app.api("GET", f"/api/topologies/{topology['id']}", token)["document"]
    assert json.dumps(stored, sort_keys=True) == json.dumps(RICH, sort_keys=True)
    assert not page.js_errors


def test_a_bad_value_is_named_by_its_field_and_part(app, page):
    app.user("fern")
    _token, topology = _topology(app, "fern", DOC)
    login(page, app, "fern")
    page.goto(f"{app.url}/topologies/{topology['id']}/")
    _select(page, "nodes", 2)
    _panel_answers(page, lambda: page.select_option("#f-service_time", "uniform"))
    _type(page, "#f-service_time-min_ms", "90")
    _type(page, "#f-service_time-max_ms", "10")
    error = page.locator('.field.has-error[data-field="service_time"] .errorlist')
    assert "Work per request" in error.inner_text() and "above" in error.inner_text()
    assert page.locator(".editor-node.invalid[data-node=api]").count() == 1
    _type(page, "#f-service_time-max_ms", "-5")
    text = error.inner_text()
    assert "Work per request — Longest (ms)" in text, text
    assert page.get_attribute("#f-service_time-max_ms", "aria-invalid") == "true"
    page.locator('[data-field="service_time"]').scroll_into_view_if_needed()
    shot(page, "forms-error-en")
    # Not a number at all: said in the browser, nothing posted.
    _panel_answers(page, lambda: page.select_option("#f-service_time", "exponential"))
    page.fill("#f-service_time-mean_ms", "")
    page.press("#f-service_time-mean_ms", "Tab")
    assert "Work per request — Mean (ms): enter a number" in error.inner_text()
    doc = page.evaluate("() => window.playgroundEditor.doc")
    assert doc["nodes"][2]["service_time"]["dist"] == "exponential"
    assert not page.js_errors


def test_an_edge_field_error_is_under_its_field_and_a_refused_save_outlines_the_edge(app, page):
    """An edge's path names its ends (`edges[1] (lb -> api).latency_ms`); the panel and the
    save's refusal read the location's parts (docs/api.md#errors), so neither loses the field."""
    app.user("fern")
    _token, topology = _topology(app, "fern", DOC)
    login(page, app, "fern")
    page.goto(f"{app.url}/topologies/{topology['id']}/")
    _select(page, "edges", 1)
    _type(page, "#f-latency_ms", "-5")
    error = page.locator('.field.has-error[data-field="latency_ms"] .errorlist')
    assert "Network delay (ms)" in error.inner_text() and "-5" in error.inner_text()
    assert page.locator("form.panel-form .errorlist.general").count() == 0
    page.click("#btn-save")
    page.wait_for_function(
        "() => document.querySelector('#save-state').classList.contains('field-error')"
    )
    goto = page.get_attribute("#problems li[data-goto]", "data-goto")
    assert json.loads(goto) == {"where": "edges", "index": 1}
    assert page.locator(".editor-edge.invalid").count() == 1
    assert not page.js_errors


def test_algorithms_are_words_in_the_editor_the_run_and_the_comparison(app, page):
    app.user("fern")
    token, topology = _topology(app, "fern", DOC)
    login(page, app, "fern")
    page.goto(f"{app.url}/topologies/{topology['id']}/")
    assert "Least connections" in page.locator("[data-node=lb] .node-sub").text_content()
    _select(page, "nodes", 1)
    options = page.locator("#f-algorithm option").all_inner_texts()
    assert "Least connections" in options and "Round robin" in options
    assert not any("_" in o for o in options), options
    assert page.locator("#f-algorithm option:checked").inner_text() == "Least connections"
    other = copy.deepcopy(DOC)
    other["nodes"][1]["algorithm"] = "round_robin"
    token2, topology2 = _topology(app, "fern", other)
    runs = [
        app.api("POST", f"/api/topologies/{t['id']}/runs", token, {"speed": "max"})
        for t in (topology, topology2)
    ]
    for run in runs:
        app.wait_run(run["id"], token)
    page.goto(f"{app.url}/runs/{runs[0]['id']}/")
    page.wait_for_selector("#stage svg [data-node=lb]")
    assert "Least connections" in page.locator("#stage svg [data-node=lb]").first.text_content()
    page.goto(f"{app.url}/compare/?runs={runs[0]['id']},{runs[1]['id']}")
    row = page.locator("tr[data-label='Document: lb.algorithm']")
    assert row.locator("td").all_inner_texts() == ["Least connections", "Round robin"]
    assert not page.js_errors


def test_a_run_link_opens_read_only_for_another_visitor_and_not_without_it(app, page, browser):
    page.goto(app.url + "/")
    page.locator("[data-scenario] .js-watch").first.click()
    page.wait_for_url("**/runs/*/", timeout=15000)
    link = page.input_value("#run-share-url")
    run_path = page.url.removeprefix(app.url)
    assert link.startswith(app.url + run_path + "?key=") and len(link.split("key=")[1]) == 32
    shot(page, "run-link-starter-en")
    visitor = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    # Another visitor, reading Korean (the language switch's cookie).
    visitor.context.add_cookies([{"name": "django_language", "value": "ko", "url": app.url}])
    try:
        assert visitor.goto(app.url + run_path).status == 404
        assert "run-boot" not in visitor.content()
        assert visitor.goto(link).status == 200
        visitor.wait_for_function(
            "() => window.playground && window.playground.state.eventsApplied > 0", timeout=20000
        )
        assert visitor.locator("#run-share").count() == 0
        node = visitor.locator("#stage svg [data-node]").first
        node.click()
        visitor.wait_for_selector("#inspector h3")
        assert visitor.locator("#inspector button.owner-live").count() == 0  # no fault buttons
        assert visitor.locator("#inspector .danger").count() == 0
        boot = json.loads(visitor.locator("#run-boot").text_content())
        assert boot["owner"] is False
        assert visitor.get_attribute("html", "lang") == "ko"
        shot(visitor, "run-link-visitor-ko")
    finally:
        visitor.context.close()


def test_the_panel_speaks_korean(app, page):
    app.user("hana")
    _token, topology = _topology(app, "hana", RICH)
    login(page, app, "hana")
    page.goto(f"{app.url}/")
    with page.expect_navigation():
        page.click("form.language-switch button[value=ko]")
    page.goto(f"{app.url}/topologies/{topology['id']}/")
    _select(page, "nodes", 1)
    assert page.locator("label[for=f-algorithm]").inner_text() == "알고리즘"
    assert page.locator("#f-algorithm option:checked").inner_text() == "가중 라운드 로빈"
    assert "최소 연결" in page.locator("#f-algorithm option").all_inner_texts()
    _select(page, "nodes", 2)
    assert page.locator("label[for=f-service_time]").inner_text() == "요청당 처리 시간"
    assert page.locator("#f-service_time option:checked").inner_text() == "로그 정규 분포: 긴 꼬리"
    assert page.locator("#panel .kind-name").inner_text() == "⚙ 서비스"
    page.locator('[data-field="service_time"]').scroll_into_view_if_needed()
    shot(page, "forms-widgets-ko")
    page.locator('[data-field="autoscale"]').scroll_into_view_if_needed()
    assert page.locator("label[for=f-autoscale-min]").inner_text() == "최소 인스턴스"
    shot(page, "forms-autoscale-ko")
    assert not page.js_errors
