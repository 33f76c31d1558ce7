"""In the browser: the header's switch to Korean, every page's chrome with no English left,
the choice remembered from page to page, and the switch back to English (docs/i18n.md)."""

from __future__ import annotations

import re

from patterns import scenarios
from tests.e2e.conftest import login, shot

# The UI chrome: what the site itself writes around the data (headings, buttons, labels, table
# heads, counters, legends, notices, tooltips). A topology's names and ids, code and the event
# log's rows are data and stay as they were written.
CHROME_TEXT = """() => {
  // translate="no" marks what a user wrote (a topology's name, pattern, description).
  const data = "[translate=no], code, pre, kbd, .kbd, svg, canvas, th[scope=row], .who, input, "
    + "textarea, select, .watch p, .panel .field > label, .card h3 + .actions ~ p, "
    + ".card .one-line, .card details.more p, .event-log tbody, .hops, "
    + "[data-node], [data-stage] th, #run-reason, #inspector h3, #inspector td, "
    // The balancer's reason is the engine's own sentence (patterns/), not yet translated.
    + ".reason";
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest(data) || el.closest("[hidden]") || !n.textContent.trim()) continue;
    if (el.closest("script, style, template")) continue;
    out.push(n.textContent.trim());
  }
  for (const el of document.querySelectorAll("[title], [aria-label], [placeholder]")) {
    if (el.closest("svg, [data-node], [data-stage]")) continue;
    for (const a of ["title", "aria-label", "placeholder"]) {
      if (el.getAttribute(a)) out.push(el.getAttribute(a));
    }
  }
  // The names in the topology on the page (ids, labels): data wherever they appear.
  const names = [];
  for (const id of ["run-boot", "editor-document"]) {
    const script = document.getElementById(id);
    if (!script) continue;
    const boot = JSON.parse(script.textContent);
    for (const n of (boot.document || boot).nodes || []) names.push(n.id, n.label || "");
  }
  return { texts: out, names };
}"""

# Names of formats, keys and units that read the same in Korean; "English" names the other
# language in the switch.
ALLOWED = {"English", "CSV", "JSON", "API", "Ctrl", "Shift", "Esc", "Del", "Tab", "Enter", "Space"}
ALLOWED |= {"ms", "id", "VOD"}
# Commands and formats quoted in a tooltip, as they are typed.
QUOTED = re.compile(r"python -m patterns run --events|JSON lines")
# Instance and session names: api#0, users-13.
NAMED = re.compile(r"[\w-]+#\d+|[\w]+-\d+")
# The English term beside its Korean one on first use, e.g. 로드 밸런서(load balancer).
BESIDE = re.compile(r"\([A-Za-z][A-Za-z ,'-]*\)")
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def english_left(page, *data: str) -> list[str]:
    found = page.evaluate(CHROME_TEXT)
    names = {w for name in [*found["names"], *data] for w in re.findall(r"[A-Za-z]+", name)}
    left = []
    for text in found["texts"]:
        plain = NAMED.sub("", QUOTED.sub("", BESIDE.sub("", text)))
        for word in re.findall(r"[A-Za-z]{2,}", plain):
            if word not in ALLOWED and word not in names:
                left.append(f"{word!r} in {text[:80]!r}")
    return left


def hangul_left(page) -> list[str]:
    return [t for t in page.evaluate(CHROME_TEXT)["texts"] if HANGUL.search(t) and t != "한국어"]


def test_korean_everywhere_then_back_to_english(page, app):
    user = app.user("hangul")
    login(page, app, user)
    page.goto(f"{app.url}/")
    assert page.get_attribute("html", "lang") == "en"
    with page.expect_navigation():
        page.click("form.language-switch button[value=ko]")
    assert page.url == f"{app.url}/"
    assert page.get_attribute("html", "lang") == "ko"

    # A run of a built-in scenario, watched live: the run view's scripts write their labels.
    with page.expect_navigation():
        page.click("[data-scenario=sticky-sessions-and-a-crash] .js-watch")
    page.wait_for_selector("#stage svg [data-node]")
    for _ in range(100):  # wait_for_function would eval a string, which the CSP refuses
        if int((page.text_content("[data-counter=events]") or "0").replace(",", "")) > 50:
            break
        page.wait_for_timeout(100)
    page.click("#stage svg [data-node=lb]")
    page.wait_for_selector("#inspector h3")
    run_url = page.url
    shot(page, "i18n-run-ko")
    # A topology of one's own, for its capacity page (the estimate, and a cross-check's state).
    busy = scenarios.get("busy-tier-autoscales").document
    mine = app.api("POST", "/api/topologies", app.token(user), {"document": busy})
    # Its name, pattern and node ids are data, and so is the API token's name (manage.py api_token).
    data = [busy["name"], busy["pattern"], *(n["id"] for n in busy["nodes"]), "command line"]

    pages = {
        "library": "/",
        "run": run_url.removeprefix(app.url),
        "editor": "/topologies/new/",
        "fork": "/scenarios/round-robin-vs-least-connections/fork/",
        "my topologies": "/topologies/",
        "account": "/account/",
        "capacity": f"/topologies/{mine['id']}/capacity/",
        "not found": "/no/such/page/",
    }
    found = {}
    for name, path in pages.items():
        page.goto(app.url + path)
        page.wait_for_load_state("networkidle") if name != "run" else page.wait_for_timeout(1500)
        assert page.get_attribute("html", "lang") == "ko", name
        if name == "capacity":
            page.wait_for_selector("#capacity-table tbody tr")
            # The estimate's reasons and assumptions, in Korean
            # (playground/experiments/engine_text.py).
            reasons = page.locator(".capacity-reasons li").all_inner_texts()
            assert len(reasons) > 5 and all(HANGUL.search(r) for r in reasons), reasons
            shot(page, "i18n-capacity-ko")
        left = english_left(page, user, *data)
        if left:
            found[name] = left
    assert not found, f"English left in the Korean UI: {found}"
    # Signed out: the login and signup pages, with the choice kept in the cookie.
    page.click("form.inline button.link[type=submit]:not([name])")
    for path in ("/login/", "/signup/"):
        page.goto(app.url + path)
        assert page.get_attribute("html", "lang") == "ko", path
        assert not english_left(page), (path, english_left(page))
    assert not page.js_errors, page.js_errors

    with page.expect_navigation():
        page.click("form.language-switch button[value=en]")
    assert page.get_attribute("html", "lang") == "en"
    for path in ("/", run_url.removeprefix(app.url), "/topologies/new/"):
        page.goto(app.url + path)
        page.wait_for_timeout(800)
        assert page.get_attribute("html", "lang") == "en", path
        assert not hangul_left(page), (path, hangul_left(page))
