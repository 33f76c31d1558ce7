"""The Content-Security-Policy: on every HTML page, strict, and nothing in our markup needs more.

tests/e2e/test_no_script_from_data.py shows in the browser that payloads never run; these
check, without one, what that rests on.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from playground.models import Run, Scenario, Topology
from tests.playground.test_urls import fill, routes

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
SCRIPTS = sorted((ROOT / "static" / "js").glob("*.js"))


def _directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


@pytest.fixture
def pages(owner, make_topology) -> list[str]:
    """A path for every page route (its ids filled with real objects), plus the API docs."""
    topology = make_topology(Topology.PUBLIC)
    run = Run.objects.create(
        topology=topology, owner=owner, document=topology.document, seed=1, status=Run.FINISHED
    )
    other = Run.objects.create(
        topology=topology, owner=owner, document=topology.document, seed=2, status=Run.FINISHED
    )
    Scenario.objects.create(
        slug="tiny", name="Tiny", pattern="load-balancing", document=topology.document
    )
    out = ["/api/docs", f"/compare/?runs={run.pk},{other.pk}", "/compare/"]
    for route in routes():
        if (
            route.startswith("api/")
            or "<" in route
            and not any(k in route for k in ("<int:pk>", "<str:share_key>", "<slug:slug>"))
        ):
            continue
        path = fill(route, str(run.pk if "run" in route else topology.pk))
        if "<str:share_key>" in route:
            path = fill(route, topology.share_key)
        elif "<slug:slug>" in route:
            path = fill(route, "tiny")
        out.append(path)
    return out


def test_it_sends_a_strict_policy_with_every_html_page(owner, pages) -> None:
    """Scripts and styles from this origin only: no inline, no eval, no framing."""
    client = Client()
    client.force_login(owner)
    seen = 0
    for path in pages:
        response = client.get(path, follow=True)
        if "text/html" not in response.get("Content-Type", ""):
            continue
        seen += 1
        header = response.get("Content-Security-Policy")
        assert header, f"{path}: no Content-Security-Policy"
        policy = _directives(header)
        assert policy["default-src"] == ["'none'"], path
        assert policy["script-src"] == ["'self'"], (path, header)
        assert policy["style-src"] == ["'self'"], (path, header)
        # The embeddable player alone may be framed, by any site (docs/api.md).
        framing = ["*"] if path.endswith("/embed/") else ["'none'"]
        assert policy["frame-ancestors"] == framing, path
        assert policy["base-uri"] == ["'none'"], path
        assert "'unsafe-inline'" not in header and "'unsafe-eval'" not in header, path
        assert response["X-Content-Type-Options"] == "nosniff", path
        assert response["Referrer-Policy"] == "same-origin", path
    assert seen >= 10, pages


def test_it_lets_the_api_docs_load_data_images_and_nothing_else_more(client) -> None:
    """Swagger UI's stylesheet draws its icons as data: images; scripts stay 'self' only."""
    policy = _directives(client.get("/api/docs")["Content-Security-Policy"])
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]


def test_it_answers_errors_with_the_policy_too(client, db) -> None:
    """A 404 page is HTML too."""
    response = client.get("/topologies/999999/")
    assert response.status_code == 404
    assert "script-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_holds_inline_script_or_style(template: Path) -> None:
    """Only <script src> and JSON data; no on* attribute, <style>, style= or javascript: URL."""
    text = re.sub(r"\{#.*?#\}", "", template.read_text(), flags=re.S)  # comments may say "<style>"
    for tag in re.findall(r"<script\b[^>]*>", text, re.I):
        assert "src=" in tag or "application/json" in tag, (template, tag)
    for match in re.finditer(r"<script\b[^>]*\bsrc=[^>]*>(.*?)</script>", text, re.I | re.S):
        assert not match.group(1).strip(), (template, "code inside a <script src>")
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", text, re.I), (template, "on* attribute")
    assert not re.search(r"<style\b", text, re.I), (template, "<style>")
    assert not re.search(r"<[a-z][^>]*\sstyle\s*=", text, re.I), (template, "style attribute")
    assert "javascript:" not in text.lower(), template
    assert "|safe" not in text.replace(" ", "") and "autoescape off" not in text, template


def test_one_escaper_in_the_front_end() -> None:
    """static/js/dom.js escapes; no module keeps an escaper of its own (issue 13 found five)."""
    assert (ROOT / "static" / "js" / "dom.js") in SCRIPTS
    for script in SCRIPTS:
        if script.name == "dom.js":
            continue
        text = script.read_text()
        assert "&amp;" not in text and "&#${" not in text and "&#39;" not in text, script
        assert "style: `" not in text and 'setAttribute("style"' not in text, script
