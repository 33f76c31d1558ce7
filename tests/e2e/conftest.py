"""The real app for browser tests: daphne on a free loopback port, its own SQLite file,
runs in a thread of the web process, and the system's Chromium driven by Playwright.

Not pytest-django's database: daphne is another process, so it gets a file of its own,
migrated and loaded with the scenarios before it starts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.services import CHROMIUM_ARGS, free_port, wait_for_port

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BIN = Path(sys.executable).parent
SHOTS = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "correct-horse-battery"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder drives Chromium: mark it `e2e`, so `-m "not e2e"` leaves it out.

    Marked here rather than in each module, so a new browser test cannot forget it.
    """
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)


def _env(db_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(DJANGO_DB_PATH=str(db_path), RUN_BACKEND="thread", LOG_LEVEL="WARNING")
    return env


class App:
    """The served app: its URL, and `manage.py` against its database."""

    def __init__(self, url: str, env: dict[str, str]) -> None:
        self.url = url
        self.env = env

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "python"), "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout

    def shell(self, code: str) -> str:
        return self.manage("shell", "-v", "0", "-c", code)

    def user(self, username: str) -> str:
        self.shell(
            "from django.contrib.auth.models import User\n"
            f"User.objects.filter(username={username!r}).exists() or "
            f"User.objects.create_user({username!r}, password={PASSWORD!r})"
        )
        return username

    def api(self, method: str, path: str, token: str, body: object | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {token}")
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def token(self, username: str) -> str:
        return self.manage("api_token", username).strip().split()[-1]

    def wait_run(self, run_id: int, token: str, timeout: float = 40.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.api("GET", f"/api/runs/{run_id}", token)
            if run["status"] in ("finished", "failed", "cancelled"):
                return run
            time.sleep(0.3)
        raise TimeoutError(f"run {run_id} did not finish in {timeout} s")


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("e2e") / "app.sqlite3"
    env = _env(db)
    served = App("", env)
    served.manage("migrate", "--noinput", "-v", "0")
    served.manage("load_scenarios")
    port = free_port()
    log = open(db.parent / "daphne.log", "w")
    proc = subprocess.Popen(
        [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "playground.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_port(port, timeout=30, proc=proc)
    except RuntimeError:
        raise RuntimeError(f"daphne exited: {(db.parent / 'daphne.log').read_text()}") from None
    served.url = f"http://127.0.0.1:{port}"
    yield served
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not Path(path).exists():
        pytest.fail(f"no Chromium at {path}: install Debian's chromium (no download)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.js_errors = errors
    yield page
    _cancel_shown_run(page)
    context.close()


# Cancels the run a page shows through the page's own API client (its session and CSRF token),
# as its starter would; a run that has ended, or that this viewer may not control, stays as it is.
CANCEL = """async () => {
  const boot = document.getElementById("run-boot");
  if (!boot) return null;
  const { request } = await import("/static/js/api.js");
  const id = JSON.parse(boot.textContent).id;
  try {
    await request("POST", `/api/runs/${id}/control`, { action: "cancel" });
    return 200;
  } catch (error) {
    return error.status;
  }
}"""


def _cancel_shown_run(page) -> None:
    """No run a test watched outlives it: leftover runs would load the one shared server
    (slowing the next test past its waits) and hold their owner's concurrent-run slots."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        page.evaluate(CANCEL)
    except PlaywrightError:  # the page crashed or is closing: its run is the reaper's
        pass


def press_inspector_button(page, text: str) -> None:
    """Press a button of the run view's inspector (a fault's, say).

    The inspector rebuilds its buttons with its live counts, several times a second on a busy
    run: a pointer click (press, then release) can straddle two renders and miss, as it did on a
    loaded machine. The click event goes straight to the button shown now.
    """
    page.locator(f"#inspector button:has-text('{text}')").dispatch_event("click")


def login(page, app: App, username: str) -> None:
    """Sign in through the login page.

    Before a test starts a paced run it watches live, not after: a login hashes the password
    (PBKDF2), which takes seconds on a loaded machine, and a run started first could be over
    when its page opens, with no live controls left to press. That made test_sagas and the
    crash test pass alone and fail in a full run, after other tests had loaded the machine.
    """
    page.goto(f"{app.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form [type=submit]")


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
