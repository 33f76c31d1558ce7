"""A balancer's weights and an orchestrator's saga set through the side panel's widgets, with no
JSON typed (static/js/fieldwidgets.js): edited by keyboard and pointer, saved as exactly the
JSON of docs/topology.md; a document opened and saved unedited comes back the same, byte for
byte; a step the widget cannot show exactly keeps its JSON box; the widgets speak Korean."""

from __future__ import annotations

import copy
import json
import re

from tests.e2e.conftest import login, shot
from tests.e2e.test_forms import _panel_answers, _saved, _select, _topology, _type
from tests.e2e.test_i18n import ALLOWED, NAMED


def _service(node_id: str, x: int, y: int) -> dict:
    return {"id": node_id, "kind": "service", "service_time": 20, "x": x, "y": y}


DOC = {
    "version": 1,
    "name": "Weights and a saga",
    "pattern": "orchestrator",
    "seed": 4,
    "duration_ms": 3000,
    "nodes": [
        {"id": "users", "kind": "client", "rate": 10, "x": 100, "y": 100},
        {
            "id": "lb",
            "kind": "load_balancer",
            "algorithm": "weighted_round_robin",
            "weights": {"api": 3},
            "x": 300,
            "y": 100,
        },
        {"id": "api", "kind": "service", "instances": 2, "service_time": 20, "x": 520, "y": 40},
        _service("slow", 520, 160),
        {"id": "shop", "kind": "client", "rate": 5, "x": 100, "y": 420},
        {
            "id": "orch",
            "kind": "orchestrator",
            "steps": [
                {"call": "pay", "retries": 1, "compensate": "refund"},
                {"parallel": [{"call": "email"}, {"call": "sms", "timeout_ms": 200}]},
            ],
            "x": 300,
            "y": 420,
        },
        _service("pay", 520, 280),
        _service("refund", 520, 360),
        _service("email", 520, 440),
        _service("sms", 520, 520),
        _service("stock", 520, 600),
    ],
    "edges": [
        {"from": "users", "to": "lb"},
        {"from": "lb", "to": "api"},
        {"from": "lb", "to": "slow"},
        {"from": "shop", "to": "orch"},
        *({"from": "orch", "to": t} for t in ("pay", "refund", "email", "sms", "stock")),
    ],
}
LB, ORCH = 1, 5


SCROLL_TO_TOP = """(field) => {
  window.scrollTo(0, 0);
  const panel = field.closest(".panel");
  panel.scrollTop += field.getBoundingClientRect().top - panel.getBoundingClientRect().top - 8;
}"""


def _shot(page, name: str, field: str) -> None:
    """The page tall enough for the field's widget, the widget in view."""
    page.set_viewport_size({"width": 1280, "height": 1000})
    # The field's top at the panel's top: its label, then the widget.
    page.locator(f'[data-field="{field}"]').evaluate(SCROLL_TO_TOP)
    shot(page, name)
    page.set_viewport_size({"width": 1280, "height": 720})


# The words a field shows: its text, its tooltips, labels and placeholders, its options' text
# but for node ids.
FIELD_WORDS = """(field) => {
  const out = [];
  const walker = document.createTreeWalker(field, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement.closest("[hidden], option, .weight-row label")) continue;
    if (n.textContent.trim()) out.push(n.textContent.trim());
  }
  for (const el of field.querySelectorAll("[title], [aria-label], [placeholder], optgroup")) {
    for (const a of ["title", "aria-label", "placeholder", "label"]) {
      if (el.getAttribute(a)) out.push(el.getAttribute(a));
    }
  }
  return out;
}"""


def _english_in(page, field: str) -> list[str]:
    """English words left in a field of the panel, node ids aside (they are data)."""
    ids = {n["id"] for n in DOC["nodes"]}
    texts = page.locator(f'[data-field="{field}"]').evaluate(FIELD_WORDS)
    return [
        f"{word!r} in {text!r}"
        for text in texts
        for word in re.findall(r"[A-Za-z]{2,}", NAMED.sub("", text))
        if word not in ALLOWED and word not in ids
    ]


def _focused(page) -> str:
    return page.evaluate("() => document.activeElement.id")


def test_weights_and_saga_steps_set_through_the_widgets_are_saved_as_the_json(app, page):
    app.user("wren")
    token, topology = _topology(app, "wren", DOC)
    login(page, app, "wren")
    page.goto(f"{app.url}/topologies/{topology['id']}/")

    # Weights: a row per target of the balancer, by name; no JSON box.
    _select(page, "nodes", LB)
    assert (
        page.locator('[data-field="weights"] input[name="f:weights"]').get_attribute("type")
        == "hidden"
    )
    rows = page.locator(".weights-widget .weight-row label").all_inner_texts()
    assert rows == ["api", "slow"]
    assert page.input_value("#f-weights-0") == "3" and page.input_value("#f-weights-1") == ""
    _type(page, "#f-weights-1", "1")
    _type(page, "#f-weights-0", "5")
    assert page.evaluate("() => window.playgroundEditor.doc.nodes[1].weights") == {
        "api": 5,
        "slow": 1,
    }
    _shot(page, "editor-weights", "weights")

    # Steps: the saga as cards, the called node a choice of the connected ones.
    _select(page, "nodes", ORCH)
    assert (
        page.locator('[data-field="steps"] input[name="f:steps"]').get_attribute("type") == "hidden"
    )
    assert page.locator(".saga-step").count() == 2
    assert page.input_value("#f-steps-0-call") == "pay"
    assert page.input_value("#f-steps-0-compensate") == "refund"
    assert page.input_value("#f-steps-1-1-call") == "sms"
    assert page.input_value("#f-steps-1-1-timeout_ms") == "200"
    options = page.locator("#f-steps-0-call > option").all_inner_texts()
    assert options == ["pay", "refund", "email", "sms", "stock"]
    # The other nodes come after, as needing an edge first.
    assert "users" in page.locator("#f-steps-0-call optgroup option").all_inner_texts()
    # Add a step: it calls the first connected node no step uses yet.
    _panel_answers(page, lambda: page.click("#f-steps-add"))
    assert page.input_value("#f-steps-2-call") == "stock"
    assert _focused(page) == "f-steps-2-call"
    # Its retries, by keyboard; the wait between retries shows once there are retries.
    assert page.locator("#f-steps-2-backoff_ms").count() == 0
    _type(page, "#f-steps-2-retries", "2")
    assert page.locator("#f-steps-2-backoff_ms").count() == 1
    # Moved up by keyboard: the keyboard follows the step.
    page.focus("#f-steps-2-up")
    _panel_answers(page, lambda: page.keyboard.press("Enter"))
    assert page.input_value("#f-steps-1-call") == "stock"
    assert _focused(page) == "f-steps-1-up"
    # One branch of the parallel group removed; a compensating call chosen.
    _panel_answers(page, lambda: page.click("#f-steps-2-1-remove"))
    assert page.locator("#f-steps-2-1-call").count() == 0
    _panel_answers(page, lambda: page.select_option("#f-steps-1-compensate", "refund"))
    _panel_answers(page, lambda: page.select_option("#f-steps-1-compensate", ""))
    assert page.locator('.field.has-error[data-field="steps"]').count() == 0
    _shot(page, "editor-saga-steps", "steps")

    _saved(page)
    stored = app.api("GET", f"/api/topologies/{topology['id']}", token)["document"]
    expected = copy.deepcopy(DOC)
    expected["nodes"][LB]["weights"] = {"api": 5, "slow": 1}
    expected["nodes"][ORCH]["steps"] = [
        {"call": "pay", "retries": 1, "compensate": "refund"},
        {"call": "stock", "retries": 2},
        {"parallel": [{"call": "email"}]},
    ]
    assert json.dumps(stored) == json.dumps(expected)
    # Reloaded, the widgets show what was saved.
    page.reload()
    _select(page, "nodes", ORCH)
    assert page.input_value("#f-steps-1-retries") == "2"
    assert page.locator(".saga-step").count() == 3
    assert not page.js_errors


def test_a_saga_error_names_the_step_and_a_removed_weight_is_absent(app, page):
    app.user("wren")
    token, topology = _topology(app, "wren", DOC)
    login(page, app, "wren")
    page.goto(f"{app.url}/topologies/{topology['id']}/")
    _select(page, "nodes", ORCH)
    # A node the orchestrator has no edge to: the server's error, under the field, names the step.
    _panel_answers(page, lambda: page.select_option("#f-steps-0-call", "api"))
    error = page.locator('.field.has-error[data-field="steps"] .errorlist').inner_text()
    assert "Steps — Step 1: Calls" in error and "needs an edge" in error, error
    assert page.get_attribute("#f-steps-0-call", "aria-invalid") == "true"
    # A bad number is said in the browser, and nothing is posted.
    page.fill("#f-steps-0-retries", "1.5")
    page.press("#f-steps-0-retries", "Tab")
    error = page.locator('.field.has-error[data-field="steps"] .widget-error').inner_text()
    assert "Step 1: Retries: enter a whole number" in error, error
    assert page.evaluate("() => window.playgroundEditor.doc.nodes[5].steps[0].retries") == 1
    _type(page, "#f-steps-0-retries", "3")
    _panel_answers(page, lambda: page.select_option("#f-steps-0-call", "pay"))
    assert page.locator('.field.has-error[data-field="steps"]').count() == 0
    # A weight emptied is a weight removed.
    _select(page, "nodes", LB)
    _type(page, "#f-weights-0", "")
    assert "weights" not in page.evaluate("() => window.playgroundEditor.doc.nodes[1]")
    _saved(page)
    stored = app.api("GET", f"/api/topologies/{topology['id']}", token)["document"]
    assert "weights" not in stored["nodes"][LB]
    assert stored["nodes"][ORCH]["steps"][0] == {
        "call": "pay",
        "retries": 3,
        "compensate": "refund",
    }
    assert not page.js_errors


def test_opened_and_saved_unedited_the_document_comes_back_byte_for_byte(app, page):
    app.user("wren")
    doc = copy.deepcopy(DOC)
    # Keys in an order of their own, a null the engine allows, an instance's weight.
    doc["nodes"][LB]["weights"] = {"slow": 2, "api#1": 0.5, "api": 3}
    doc["nodes"][ORCH]["steps"] = [
        {
            "compensate": "refund",
            "retries": 3,
            "call": "pay",
            "backoff_ms": 250,
            "timeout_ms": None,
        },
        {"parallel": [{"call": "email", "compensate": None}, {"call": "sms"}]},
        {"call": "stock", "timeout_ms": 1500.5},
    ]
    token, topology = _topology(app, "wren", doc)
    login(page, app, "wren")
    page.goto(f"{app.url}/topologies/{topology['id']}/")
    for where in ("nodes", "edges"):
        for index in range(len(doc[where])):
            _select(page, where, index)
    _select(page, "nodes", ORCH)
    assert page.input_value("#f-steps-0-backoff_ms") == "250"
    assert page.input_value("#f-steps-0-timeout_ms") == ""
    _select(page, "nodes", LB)
    assert page.locator(".weights-widget .weight-row label").all_inner_texts() == [
        "api",
        "slow",
        "api#1",
    ]
    with page.expect_request(lambda r: r.method == "PUT") as sent:
        _saved(page)
    body = json.loads(sent.value.post_data or "{}")
    assert json.dumps(body["document"]) == json.dumps(doc)
    stored = app.api("GET", f"/api/topologies/{topology['id']}", token)["document"]
    assert json.dumps(stored) == json.dumps(doc)
    assert not page.js_errors


def test_a_step_with_a_key_the_widget_does_not_know_keeps_its_json_box(app, page):
    """A document stored before a change of the schema, say: saved straight into the database
    (the API would refuse the key). Opened, it is left as it is."""
    user = app.user("wren")
    doc = copy.deepcopy(DOC)
    doc["nodes"][ORCH]["steps"][0]["note"] = "charge once"
    made = app.shell(
        "import json\nfrom django.contrib.auth.models import User\n"
        "from playground.models import Topology\n"
        f"t = Topology.objects.create(owner=User.objects.get(username={user!r}), "
        f"name='Old', document=json.loads({json.dumps(json.dumps(doc))}))\n"
        "print(t.id)"
    )
    login(page, app, "wren")
    page.goto(f"{app.url}/topologies/{made.strip()}/")
    _select(page, "nodes", ORCH)
    box = page.locator('[data-field="steps"] input[name="f:steps"]')
    assert box.get_attribute("type") != "hidden" and box.is_visible()
    assert json.loads(box.input_value()) == doc["nodes"][ORCH]["steps"]
    assert page.locator(".steps-widget").count() == 0
    _select(page, "nodes", LB)  # the other widgets are drawn as ever
    assert page.locator(".weights-widget").count() == 1
    _select(page, "nodes", ORCH)
    shown = page.evaluate("() => JSON.stringify(window.playgroundEditor.doc.nodes[5])")
    assert shown == json.dumps(doc["nodes"][ORCH], separators=(",", ":"), ensure_ascii=False)
    assert not page.js_errors


def test_the_widgets_speak_korean(app, page):
    app.user("wren")
    _token, topology = _topology(app, "wren", DOC)
    login(page, app, "wren")
    page.goto(f"{app.url}/")
    with page.expect_navigation():
        page.click("form.language-switch button[value=ko]")
    page.goto(f"{app.url}/topologies/{topology['id']}/")
    _select(page, "nodes", LB)
    assert "가중치" in page.locator('[data-field="weights"]').inner_text()
    _shot(page, "editor-weights-ko", "weights")
    assert not _english_in(page, "weights"), _english_in(page, "weights")
    _select(page, "nodes", ORCH)
    _type(page, "#f-steps-0-retries", "2")
    text = page.locator('[data-field="steps"]').inner_text()
    assert "단계" in text and "재시도" in text and "보상" in text and "병렬" in text, text
    _shot(page, "editor-saga-steps-ko", "steps")
    assert not _english_in(page, "steps"), _english_in(page, "steps")
    with page.expect_navigation():
        page.click("form.language-switch button[value=en]")
    assert not page.js_errors


def test_a_new_orchestrator_says_to_draw_its_edges_and_offers_every_node(app, page):
    app.user("wren")
    _token, topology = _topology(app, "wren", DOC)
    login(page, app, "wren")
    page.goto(f"{app.url}/topologies/{topology['id']}/")
    _panel_answers(page, lambda: page.click(".palette-item[data-kind=orchestrator]"))
    page.wait_for_selector(".steps-widget")
    text = page.locator('[data-field="steps"]').inner_text()
    assert "No step yet" in text and "Draw an edge from the orchestrator" in text, text
    # Keyboard: the field's label names the first control, the button to add a step.
    assert page.get_attribute('[data-field="steps"] > label', "for") == "f-steps-add"
    # Not connected yet: every other node is offered, as needing an edge first.
    # The new step waits for its node (nothing posted, no error yet).
    page.click("#f-steps-add")
    assert page.input_value("#f-steps-0-call") == ""
    assert _focused(page) == "f-steps-0-call"
    error = page.locator('[data-field="steps"] .errorlist').inner_text()
    assert "at least one step" in error and "no node" not in error, error
    groups = page.locator("#f-steps-0-call optgroup").get_attribute("label")
    assert groups == "Not connected: draw an edge first"
    _panel_answers(page, lambda: page.select_option("#f-steps-0-call", "pay"))
    error = page.locator('.field.has-error[data-field="steps"] .errorlist').inner_text()
    assert "Step 1: Calls" in error and "needs an edge" in error, error
    assert not page.js_errors
