"""No script from data: hostile text in every free-text field of a topology never runs.

Five built-in scenarios that together hold every node kind get a payload in every field a
document lets a user fill with text (ids are `[a-z0-9_-]` and cannot carry one): each node's
label, every pooled node's zones, a balancer's zone, a zone_down fault, the document's name,
pattern and description, the topology's name and description. They are saved, run (one live
run watched as it happens, one finished run replayed) and shown on every page and panel:
the library (as the owner and as someone else), the lists, the editor with its side panel
for every node and edge and its problem list (and its read-only view), the run view live
(every node and instance selected, the inspector, every fault button pressed, the event log
filtered to faults, the saga, gather and stage panels, the charts) and replayed (with the
summary), the runs list, the share link and the compare page.

A payload calls `__xss(n)` or `alert`; the test fails on any call, any dialog, and any
`securitypolicyviolation` (a payload the CSP blocked still means markup was built from data).
"""

from __future__ import annotations

import copy
import urllib.error
import urllib.request

import pytest

from patterns.nodes import KINDS
from tests.e2e.conftest import App, login, shot

pytestmark = pytest.mark.e2e

# Zones hold at most 40 characters; labels 100.
SHORT = [
    "'><img src=x onerror=__xss(1)>",
    '"><svg onload=__xss(2)>',
    "</script><script>__xss(3)</script>",
    "javascript:__xss(4)",
    "<style>*{display:none}</style>",
    "<a href=javascript:__xss(5)>z</a>",
    "${__xss(6)}{{__xss(7)}}",
    "`;__xss(8)//",
]
LONG = [
    '<iframe srcdoc="<script>parent.__xss(9)</script>"></iframe>',
    "<details open ontoggle=__xss(10)>",
    "<img src=x onerror=alert(11)>",
]
PAYLOADS = SHORT + LONG
EVERYTHING = " ".join(PAYLOADS)  # a description or name holds them all

# Together these hold every node kind (patterns/schema.py KINDS).
SCENARIOS = [
    "balancer-per-zone",  # client, load_balancer, service with zones, database
    "job-seeker-orchestrated",  # orchestrator, function
    "job-seeker-choreography",  # topic
    "media-processing-pipeline",  # source, filter, queue, sink
    "flight-search-ten-second-deadline",  # dispatcher, aggregator
]
# Kinds drawn with instance cells, from the registry of kinds (patterns/nodes/).
POOLED = {kind for kind, cls in KINDS.items() if cls.pooled}

WATCH = """
window.__xss_hits = [];
window.__xss = (n) => window.__xss_hits.push(n);
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(
  `${e.effectiveDirective} blocked ${e.blockedURI || "inline"}`
  + ` at ${e.sourceFile}:${e.lineNumber} ${e.sample}`));
"""


def _hostile(doc: dict, duration_ms: int) -> dict:
    doc = copy.deepcopy(doc)
    doc["name"] = EVERYTHING[:200]
    doc["pattern"] = SHORT[0]
    doc["description"] = EVERYTHING
    doc["duration_ms"] = duration_ms
    for i, node in enumerate(doc["nodes"]):
        node["label"] = PAYLOADS[i % len(PAYLOADS)][:100]
        if node["kind"] in POOLED:
            # Added to its zones, so the document's own zone faults still name real zones.
            node["zones"] = [*node.get("zones", []), *SHORT][:20]
        if node["kind"] == "load_balancer" and not node.get("zone"):
            node["zone"] = SHORT[1]
    if any(n["kind"] in POOLED for n in doc["nodes"]):
        fault = {"kind": "zone_down", "zone": SHORT[0], "at_ms": 1000, "for_ms": 500}
        doc["faults"] = [*doc.get("faults", []), fault]
    return doc


class Watch:
    """What ran or was blocked on each page, gathered before the page is left."""

    def __init__(self, page) -> None:
        self.page = page
        self.found: list[str] = []
        page.context.add_init_script(WATCH)
        page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.found.append(f"{self.page.url}: dialog {dialog.type} {dialog.message!r}")
        dialog.dismiss()

    def check(self, where: str) -> None:
        got = self.page.evaluate("[window.__xss_hits || [], window.__violations || []]")
        for n in got[0]:
            self.found.append(f"{where}: payload {n} ran")
        for v in got[1]:
            self.found.append(f"{where}: CSP violation {v}")
        self.found.extend(f"{where}: {e}" for e in self.page.js_errors)
        self.page.js_errors.clear()


def _editor(page, app: App, watch: Watch, tid: int) -> None:
    page.goto(f"{app.url}/topologies/{tid}/")
    page.wait_for_selector("#canvas [data-node]")
    doc = page.evaluate("window.playgroundEditor.doc")
    for where in ("nodes", "edges"):
        for i in range(len(doc[where])):
            page.evaluate(f"window.playgroundEditor.select({{where: '{where}', index: {i}}})")
            page.wait_for_selector(f"#panel form[data-where='{where}'][data-index='{i}']")
    # A problem that quotes the payload back: a fault naming a zone nobody is in.
    page.evaluate(
        "(zone) => { const e = window.playgroundEditor;"
        " e.doc.faults = [...(e.doc.faults || []), {kind: 'zone_down', zone, at_ms: 0}];"
        " e.select({where: 'nodes', index: 0}); }",
        LONG[2][:40],
    )
    page.wait_for_selector("#problems li")
    page.evaluate("window.playgroundEditor.select(null)")  # the settings panel
    page.wait_for_selector("#s-description")
    watch.check(f"editor {tid}")


def _run_view(page, app: App, watch: Watch, run_id: int, live: bool) -> None:
    page.goto(f"{app.url}/runs/{run_id}/")
    page.wait_for_selector("#stage [data-node]")
    if not live:
        page.wait_for_selector("#summary h2", timeout=30000)
    page.wait_for_function("() => window.playground.events.length > 0", timeout=20000)
    ids = page.eval_on_selector_all("#stage g.node[data-node]", "gs => gs.map(g => g.dataset.node)")
    for node in ids:
        # Dispatched: a wide topology has nodes outside the visible stage.
        page.locator(f"#stage g.node[data-node='{node}'] .node-box").dispatch_event("click")
        page.wait_for_function(
            "() => document.querySelector('#inspector h3') !== null", timeout=5000
        )
        cells = page.locator(f"#stage g.node[data-node='{node}'] g.inst")
        if cells.count():
            cells.first.dispatch_event("click")
        if live:
            zones = page.locator("#inspector [data-fault*=zone_down]")
            if zones.count():
                page.fill("#fault-for", "1")
            for k in range(zones.count()):
                zones.nth(k).click()
    if live:
        # The faults (zone names from the document) as the event log shows them.
        page.wait_for_function(
            "() => window.playground.events.some(e => e.type === 'fault')", timeout=15000
        )
        page.wait_for_selector("#event-log select[name=type] option[value=fault]", state="attached")
        page.select_option("#event-log select[name=type]", "fault")
        page.wait_for_selector("#event-log tbody tr.ev-fault")
        page.select_option("#event-log select[name=type]", "")
    if page.locator("#gathers:not([hidden]) [data-gathers] tr[data-req]").count():
        page.locator("#gathers [data-gathers] tr[data-req]").first.click()
    if page.locator("#sagas:not([hidden]) [data-saga-panel] tr[data-req]").count():
        page.locator("#sagas [data-saga-panel] tr[data-req]").first.click()
    page.wait_for_timeout(700)  # the panels redraw every 500 ms
    watch.check(f"run {run_id} ({'live' if live else 'replay'})")


def _download_is_inert(app: App, token: str, path: str) -> None:
    """An export opened in the browser is never HTML, and nosniff stops it becoming so."""
    req = urllib.request.Request(app.url + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as response:
        kind = response.headers["Content-Type"]
        assert "html" not in kind, (path, kind)
        assert response.headers["X-Content-Type-Options"] == "nosniff", path


def test_no_payload_in_a_topology_runs_on_any_page(page, app):
    watch = Watch(page)
    user = app.user("mallory")
    token = app.token(user)
    made = []
    for slug in SCENARIOS:
        doc = _hostile(app.api("GET", f"/api/scenarios/{slug}", token)["document"], 20_000)
        topology = app.api(
            "POST",
            "/api/topologies",
            token,
            {
                "name": EVERYTHING[:200],
                "description": EVERYTHING,
                "document": doc,
                "visibility": "public",
            },
        )
        done = app.api("POST", f"/api/topologies/{topology['id']}/runs", token, {"speed": "max"})
        made.append((topology, done))
    for _, done in made:
        app.wait_run(done["id"], token, timeout=60)

    login(page, app, user)
    for path in ("/", "/topologies/"):
        page.goto(app.url + path)
        assert EVERYTHING[:30] in page.inner_text("main")  # shown, as text
        watch.check(path)

    for topology, done in made:
        tid = topology["id"]
        _editor(page, app, watch, tid)
        # Half speed: 40 s of wall time to press every button while it is live, then cancelled.
        live = app.api("POST", f"/api/topologies/{tid}/runs", token, {"speed": 0.5})
        try:
            _run_view(page, app, watch, live["id"], live=True)
        finally:
            try:
                app.api("POST", f"/api/runs/{live['id']}/control", token, {"action": "cancel"})
            except urllib.error.HTTPError as error:
                if error.code != 400:  # 400: it had already finished
                    raise
        _run_view(page, app, watch, done["id"], live=False)
        page.goto(f"{app.url}/topologies/{tid}/runs/")
        watch.check(f"runs of {tid}")
        page.goto(f"{app.url}/t/{topology['share_key']}/")
        page.wait_for_selector("#canvas [data-node]")
        watch.check(f"shared {tid}")
        for path in (
            f"/api/runs/{done['id']}/events.jsonl",
            f"/api/runs/{done['id']}/summary.csv",
            f"/api/runs/{done['id']}/summary.json",
            f"/api/topologies/{tid}/export",
        ):
            _download_is_inert(app, token, path)
    shot(page, "hostile-topology-run")

    page.goto(f"{app.url}/compare/?runs={','.join(str(d['id']) for _, d in made)}")
    page.wait_for_selector("#latency-chart .uplot canvas")
    watch.check("compare")

    # Someone else: the library's "shared by others", the read-only editor, a replay.
    page.context.clear_cookies()
    login(page, app, app.user("eve"))
    page.goto(app.url + "/")
    assert EVERYTHING[:30] in page.inner_text("main")
    watch.check("library as another user")
    topology, done = made[0]
    page.goto(f"{app.url}/topologies/{topology['id']}/")
    page.wait_for_selector(".notice.viewing")
    watch.check("read-only editor")
    _run_view(page, app, watch, done["id"], live=False)
    assert watch.found == [], "\n".join(watch.found)
