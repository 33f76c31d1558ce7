"""Korean and English (docs/i18n.md): which language a page is in, the switch, the catalogs,
the scenarios' Korean text, and a check that no template shows English outside gettext."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.template.base import Lexer, TokenType
from django.test import Client

from patterns import scenarios
from playground.models import Run, Scenario

ROOT = Path(__file__).resolve().parents[2]
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def page(client: Client, path: str = "/", **headers: str) -> str:
    response = client.get(path, **headers)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def library(db) -> None:
    call_command("load_scenarios", verbosity=0)


def test_the_browser_language_is_the_default(client, library):
    korean = page(client, HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9,en;q=0.5")
    assert '<html lang="ko">' in korean
    assert "라이브러리" in korean and "로드 밸런싱(load balancing)" in korean
    english = page(client, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="en">' in english and "Library" in english
    assert not HANGUL.search(english.replace("한국어", ""))  # the switch names Korean in Korean
    # A language the site does not have falls back to English.
    assert '<html lang="en">' in page(client, HTTP_ACCEPT_LANGUAGE="fr-FR")


def test_the_switch_is_remembered_in_a_cookie(client, library):
    response = client.post("/i18n/setlang/", {"language": "ko", "next": "/topologies/new/"})
    assert response.status_code == 302 and response["Location"] == "/topologies/new/"
    assert response.cookies["django_language"].value == "ko"
    assert response.cookies["django_language"]["max-age"] == 365 * 24 * 3600
    # The cookie now outweighs the browser's own language.
    assert '<html lang="ko">' in page(client, HTTP_ACCEPT_LANGUAGE="en")
    client.post("/i18n/setlang/", {"language": "en"})
    assert '<html lang="en">' in page(client, HTTP_ACCEPT_LANGUAGE="ko")


def test_a_signed_in_users_choice_is_kept_in_the_session_too(client, owner, library):
    client.force_login(owner)
    client.post("/i18n/setlang/", {"language": "ko"})
    assert client.session["language"] == "ko"
    client.cookies.pop("django_language")  # cleared, or refused by the browser
    assert '<html lang="ko">' in page(client, HTTP_ACCEPT_LANGUAGE="en")


def test_the_switch_refuses_a_language_the_site_does_not_have(client, db):
    response = client.post("/i18n/setlang/", {"language": "fr"})
    assert response.status_code == 400
    assert "django_language" not in response.cookies
    assert client.get("/i18n/setlang/").status_code == 405


def test_the_header_has_a_switch_without_script(client, library):
    html = page(client)
    form = re.search(r'<form method="post" action="/i18n/setlang/".*?</form>', html, re.S)
    assert form, "no language switch in the header"
    assert 'name="language" value="ko"' in form.group(0) and ">한국어<" in form.group(0)
    assert 'name="next" value="/"' in form.group(0)


def test_the_javascript_catalog_is_served_per_language(client, db):
    html = page(client, HTTP_ACCEPT_LANGUAGE="ko")
    assert '<script src="/i18n/js/?lang=ko"></script>' in html
    response = client.get("/i18n/js/?lang=ko")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    body = response.content.decode()
    pause = json.dumps("일시 정지")  # a string of static/js, in Korean, as the catalog escapes it
    assert "globals.gettext" in body and pause in body
    assert pause not in client.get("/i18n/js/?lang=en").content.decode()


def test_every_built_in_scenario_has_its_title_and_description_in_korean():
    korean = scenarios.text("ko")
    slugs = {s.slug for s in scenarios.all()}
    assert set(korean) == slugs, "text/ko.json must name exactly the built-in scenarios"
    for slug, text in korean.items():
        assert HANGUL.search(text["name"]) and HANGUL.search(text["description"]), slug
    assert scenarios.text("xx") == {} and scenarios.text("../ko") == {}


def test_the_library_and_the_run_view_show_the_scenario_in_the_pages_language(
    client, owner, library
):
    sticky = Scenario.objects.get(slug="sticky-sessions-and-a-crash")
    korean = scenarios.text("ko")[sticky.slug]
    html = page(client, HTTP_ACCEPT_LANGUAGE="ko")
    assert korean["name"] in html and sticky.name not in html
    client.force_login(owner)
    run = Run.objects.create(
        scenario=sticky, owner=owner, document=sticky.document, seed=1, speed=1.0,
        status=Run.FINISHED,
    )  # fmt: skip
    ko_run = page(client, f"/runs/{run.pk}/", HTTP_ACCEPT_LANGUAGE="ko")
    assert f"<h1>{korean['name']}</h1>" in ko_run
    assert korean["description"].split(".")[0] in ko_run
    en_run = page(client, f"/runs/{run.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert f"<h1>{sticky.name}</h1>" in en_run


# ---- The check: no English in a template outside {% translate %} / {% blocktranslate %} ----

# What may stay as it is in any language: names of formats, keys, units and symbols.
ALLOWED_WORDS = {"CSV", "JSON", "API", "Ctrl", "Esc", "Del", "Tab", "Enter", "Space", "TOKEN"}
# The editor's panel names a node's fields by their keys in the topology format, as it
# does for every other field ({{ row.name }}): `id` and `label` are keys, not prose.
ALLOWED_WORDS |= {"id", "label"}
# Attributes whose value a person reads (or hears, with a screen reader).
READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt"}
PLACEHOLDER = "\ue000"  # stands for any template tag or variable in the text


class _Text(HTMLParser):
    """The text nodes and read attributes of a template whose tags are placeholders."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code", "pre"):
            self._skip += 1
        for name, value in attrs:
            if value and name in READ_ATTRIBUTES:
                self.found.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code", "pre"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.found.append(data)


def untranslated(source: str) -> list[str]:
    """The English words of a template that no gettext tag covers."""
    parts: list[str] = []
    inside = None  # the end tag of a block whose content is not shown as it is
    for token in Lexer(source).tokenize():
        if inside:
            if token.token_type == TokenType.BLOCK and token.contents.split()[0] == inside:
                inside = None
            continue
        if token.token_type == TokenType.TEXT:
            parts.append(token.contents)
            continue
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0]
            if name in ("blocktranslate", "blocktrans"):
                inside = "end" + name
            elif name == "comment":
                inside = "endcomment"
            elif name == "block" and token.contents.split()[1:2] == ["bodyclass"]:
                inside = "endblock"
        parts.append(PLACEHOLDER)
    parser = _Text()
    parser.feed("".join(parts))
    parser.close()
    words = []
    for text in parser.found:
        for word in re.findall(r"[A-Za-z][A-Za-z']+", text):
            if word not in ALLOWED_WORDS:
                words.append(word)
    return words


def test_no_template_shows_english_outside_gettext():
    found = {}
    for path in sorted((ROOT / "templates").rglob("*.html")):
        words = untranslated(path.read_text(encoding="utf-8"))
        if words:
            found[str(path.relative_to(ROOT))] = words
    assert not found, f"text outside {{% translate %}} in templates: {found}"


def test_the_check_finds_english_text_and_attributes():
    assert untranslated("<p>Hello {{ name }}</p>") == ["Hello"]
    assert untranslated('<button title="Close it">×</button>') == ["Close", "it"]
    assert untranslated('{% load i18n %}<p>{% translate "Hello" %}</p>') == []
    assert untranslated("{% blocktranslate %}Hi {{ x }}{% endblocktranslate %}") == []
    assert untranslated("<code>make run</code> {# a comment #} CSV") == []


# ---- The API's refusals: `path` unchanged, `message` in the request's language ------------


def test_a_refusal_follows_the_requests_language_and_keeps_its_path(owner_api, document):
    document["nodes"][0]["rate"] = "fast"
    document["nodes"][1]["kind"] = "teleporter"
    body = {"document": document}
    english = owner_api.post("/api/topologies", body, HTTP_ACCEPT_LANGUAGE="en")
    korean = owner_api.post("/api/topologies", body, HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9")
    assert english.status_code == korean.status_code == 400
    en, ko = english.json()["errors"], korean.json()["errors"]
    assert [e["path"] for e in en] == [e["path"] for e in ko]
    assert any(e["message"].startswith("must be a number") for e in en), en
    for e in ko:
        assert HANGUL.search(e["message"]), e  # every message of this refusal has a template
    rate = next(e for e in ko if e["path"].endswith(".rate"))
    assert '"fast"' in rate["message"]  # the value itself is kept


def test_an_api_refusal_of_its_own_is_translated_too(anon_api, db):
    response = anon_api.post("/api/topologies", {"document": {}}, HTTP_ACCEPT_LANGUAGE="ko")
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["path"] == "Authorization" and HANGUL.search(error["message"])


def test_the_capacity_estimates_refusals_are_translated(owner_api, document):
    body = {"document": document, "load": "lots", "peak_factor": 0, "target_utilisation": 2}
    english = owner_api.post("/api/capacity", body, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 400
    assert english.json()["errors"][0]["message"].startswith("cannot read a load from 'lots'")
    korean = owner_api.post("/api/capacity", body, HTTP_ACCEPT_LANGUAGE="ko")
    assert korean.status_code == 400
    load = korean.json()["errors"][0]
    assert load["path"] == "load" and HANGUL.search(load["message"]) and "'lots'" in load["message"]
    body = {"topology": None, "document": None, "load": [1], "peak_factor": 0}
    korean = owner_api.post("/api/capacity", body, HTTP_ACCEPT_LANGUAGE="ko").json()["errors"]
    assert korean and all(HANGUL.search(e["message"]) for e in korean), korean
    body = {"document": document, "load": 10, "peak_factor": 0, "target_utilisation": 2}
    korean = owner_api.post("/api/capacity", body, HTTP_ACCEPT_LANGUAGE="ko").json()["errors"]
    assert {e["path"] for e in korean} == {"peak_factor", "target_utilisation"}, korean
    assert all(HANGUL.search(e["message"]) for e in korean), korean


def test_every_refusal_template_has_a_korean_translation_with_the_same_values():
    from django.utils import translation

    from playground.refusals import TEMPLATES, translate

    with translation.override("ko"):
        for template in TEMPLATES:
            names = re.findall(r"%\((\w+)\)s", template)
            message = template % {n: f"<{n}>" for n in names}
            out = translate(message)
            assert out != message and HANGUL.search(out), template
            for n in names:
                assert f"<{n}>" in out, (template, out)
        assert translate("a sentence nobody wrote a template for") == (
            "a sentence nobody wrote a template for"
        )
    with translation.override("en"):
        assert translate("this field is required") == "this field is required"


# ---- The same check over static/js: text a script puts on the page outside gettext ---------

# Lines that put text on the page: every string literal on them is read by someone.
JS_SETS_TEXT = re.compile(
    r"(?:textContent|innerText)\s*=(?!=)|\bflash\(|\bh\(\s*\"\w+\",\s*\{[^}]*\},"
)
# Not text: a selector, what a value is compared with, a nested element's tag name.
JS_NOT_TEXT = re.compile(
    r"""\$\(\s*(["'`]).*?\1\s*\)"""  # a selector
    r"""|[!=]==?\s*(["'`]).*?\2"""  # a comparison
    r'|\bh\(\s*"\w+"'  # a nested element's tag name
)
JS_LITERAL = re.compile(r"""(["'`])((?:\\.|(?!\1).)*)\1""")
JS_VISIBLE = [
    # Text between tags inside an HTML string.
    re.compile(r"(?:<\w[^<>]*|</\w+)>([^<>`\"'()$]+)<"),
    # Attributes a person reads, in an HTML string or an attribute object.
    re.compile(r"""\b(?:title|aria-label|placeholder)="([^"]*)\""""),
    re.compile(r"""["']?(?:title|aria-label|placeholder|label)["']?\s*:\s*["'`]([^"'`]*)["'`]"""),
]
# A gettext call's literals are the translatable source, not text left behind.
JS_GETTEXT = re.compile(r"""\b[np]?gettext\((?:\s*(["'`])(?:\\.|(?!\1).)*\1\s*,?)+""")
# Units and names that read the same in Korean; the topology format's keys, which the
# editor's settings label as they are (as templates/playground/editor_panel.html does).
JS_ALLOWED = {"ms", "p50", "p95", "p99", "CSV", "JSON", "px"}
JS_ALLOWED |= {"pattern", "duration", "seed", "description"}


def untranslated_js(source: str) -> list[str]:
    """English words a script writes on the page from a literal no gettext call wraps."""
    words = []
    source = re.sub(r"""(["'])\s*\+\s*\n\s*\1""", "", source)  # "a " +\n "b": one literal
    for line in source.splitlines():
        if line.lstrip().startswith("//"):
            continue
        line = re.sub(r"\$\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}", "\ue000", line)  # ${…} is a value
        line = JS_GETTEXT.sub("gettext(", line)
        texts = []
        for sets in JS_SETS_TEXT.finditer(line):
            value = JS_NOT_TEXT.sub("", line[sets.end() :].split(";")[0])
            value = re.sub(r"\{[^{}]*\}", "", value)  # attribute objects: checked below
            texts += [m.group(2) for m in JS_LITERAL.finditer(value)]
        for regex in JS_VISIBLE:
            texts += [m.group(1) for m in regex.finditer(line)]
        for text in texts:
            for word in re.findall(r"[A-Za-z][A-Za-z']+", text):
                if word not in JS_ALLOWED:
                    words.append(f"{word} ({text[:40]})")
    return words


def test_no_script_shows_english_outside_gettext():
    found = {}
    for path in sorted((ROOT / "static" / "js").glob("*.js")):
        words = untranslated_js(path.read_text(encoding="utf-8"))
        if words:
            found[path.name] = words
    assert not found, f"text outside gettext() in static/js: {found}"


def test_the_script_check_finds_english_text():
    assert untranslated_js('status.textContent = "Saving…";') == ["Saving (Saving…)"]
    assert untranslated_js("flash(`Sent: ${x}`);") == ["Sent (Sent: \ue000)"]
    assert untranslated_js('html += `<th scope="col">stage</th>`;') == ["stage (stage)"]
    assert untranslated_js('h("h4", {}, "Inject a fault")') != []
    assert untranslated_js('el.textContent = on ? "▣ Leave" : "▣ Present";') == [
        "Leave (▣ Leave)",
        "Present (▣ Present)",
    ]
    assert untranslated_js("if (a > 0 && b < 1) return;") == []
    assert untranslated_js('status.textContent = gettext("Saving…");') == []
    assert untranslated_js('html += `<th>${gettext("stage")}</th>`;') == []


def test_a_fork_of_a_scenario_is_named_in_the_pages_language(client, library):
    korean = scenarios.text("ko")["sticky-sessions-and-a-crash"]["name"]
    html = page(client, "/scenarios/sticky-sessions-and-a-crash/fork/", HTTP_ACCEPT_LANGUAGE="ko")
    assert f'value="{korean} (포크)"' in html
