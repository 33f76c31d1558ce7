"""In the browser: a cycle that multiplies messages is warned about; its run fails, named."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import login, shot
from tests.e2e.test_playground import LB_DOC
from tests.patterns.test_budget import report_loop

pytestmark = pytest.mark.e2e


def test_the_editor_warns_about_an_amplifying_cycle_and_the_run_fails_named(app, page):
    """The side panel's validation shows the warning (saved anyway); a run of it is failed
    by its budget, and the run page says where the storm grew."""
    page.set_viewport_size({"width": 1280, "height": 800})
    app.user("carol")
    token = app.token("carol")
    saved = app.api("POST", "/api/topologies", token, {"name": "loop", "document": report_loop()})
    assert "jobs -> reports -> jobs" in saved["warnings"][0]["message"]
    login(page, app, "carol")
    page.goto(f"{app.url}/topologies/{saved['id']}/")
    page.wait_for_function("() => document.querySelectorAll('.editor-node').length > 0")
    page.locator('[data-node="jobs"] .node-box').click()
    warnings = page.locator("#warnings")
    warnings.wait_for(state="visible", timeout=10000)
    assert "1 warning about this topology" in warnings.inner_text()
    assert "asynchronous cycle jobs -> reports -> jobs" in warnings.inner_text()
    assert page.locator("#problems").is_hidden()
    shot(page, "editor-cycle-warning")
    run = app.api("POST", f"/api/topologies/{saved['id']}/runs", token, {"speed": "max"})
    ended = app.wait_run(run["id"], token)
    assert ended["status"] == "failed"
    assert "over the limit of 100 hops" in ended["reason"]
    page.goto(f"{app.url}/runs/{run['id']}/")
    page.wait_for_function("() => document.body.innerText.includes('over the limit of 100 hops')")
    shot(page, "run-over-budget")
    assert not page.js_errors


def test_the_run_page_says_which_events_were_not_stored(app, page):
    """Past the site's stored-events limit the run finishes, and its page says what was left out."""
    page.set_viewport_size({"width": 1280, "height": 800})
    app.shell(
        "from playground.models import Limits\n"
        "Limits.objects.update_or_create(pk=1, defaults={'max_stored_events': 2000})"
    )
    try:
        app.user("dave")
        token = app.token("dave")
        saved = app.api("POST", "/api/topologies", token, {"name": "lb", "document": LB_DOC})
        run = app.api("POST", f"/api/topologies/{saved['id']}/runs", token, {"speed": "max"})
        ended = app.wait_run(run["id"], token)
        assert ended["status"] == "finished" and ended["events"] == 2000
        assert ended["summary"]["events"] > 2000
        login(page, app, "dave")
        page.goto(f"{app.url}/runs/{run['id']}/")
        notice = page.locator("#run-notice")
        assert "only the first 2,000 events are stored" in notice.inner_text()
        shot(page, "run-stored-events-notice")
    finally:
        app.shell(
            "from playground.models import Limits\n"
            "Limits.objects.update_or_create(pk=1, defaults={'max_stored_events': 500000})"
        )
