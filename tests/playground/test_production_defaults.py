"""Safe with nothing configured: DEBUG off, error pages in the site's look, refusals in the API's
shape (404, 405, a multipart body), no session left behind by a refused visitor."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import include, path

from tests.services import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def boom(request):
    raise RuntimeError("a bug")


# A URLconf with a view that fails, to see the 500 answers (the test points ROOT_URLCONF here).
urlpatterns = [path("boom/", boom), path("api/boom", boom), path("", include("playground.urls"))]
handler404 = "playground.error_pages.not_found"
handler500 = "playground.error_pages.server_error"


@pytest.mark.django_db
def test_a_missing_page_is_the_sites_own_404_and_lists_no_urls(client: Client) -> None:
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "Pattern playground" in text and "Nothing here" in text and "/no/such/page/" in text
    assert "URLconf" not in text and "admin/" not in text


@pytest.mark.django_db
def test_a_failure_is_the_sites_own_500_page_or_the_api_shape(settings) -> None:
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    page = client.get("/boom/")
    assert page.status_code == 500
    assert "Something went wrong on our side" in page.content.decode()
    assert "a bug" not in page.content.decode()
    api = client.get("/api/boom")
    assert api.status_code == 500 and api["Content-Type"].startswith("application/json")
    assert api.json()["errors"][0]["message"].startswith("the server failed")


@pytest.mark.django_db
def test_the_api_answers_404_and_405_in_its_error_shape(anon_api) -> None:
    missing = anon_api.get("/api/no-such-thing")
    assert missing.status_code == 404
    assert missing.json() == {
        "errors": [
            {"path": "url", "message": "no API endpoint at /api/no-such-thing (see /api/docs)"}
        ]
    }
    wrong = anon_api.delete("/api/scenarios")
    assert wrong.status_code == 405 and wrong["Allow"] == "GET"
    assert wrong.json()["errors"][0]["path"] == "method"
    assert "DELETE is not allowed" in wrong.json()["errors"][0]["message"]


@pytest.mark.django_db
def test_an_unknown_top_level_field_of_a_document_is_named(owner_api, document) -> None:
    document["colour"] = "blue"
    response = owner_api.post("/api/topologies", {"document": document})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "path": "colour",
            "message": 'unknown field "colour" for a topology '
            "(it has: version, name, pattern, seed, duration_ms, description)",
        }
    ]


@pytest.mark.django_db
def test_a_refused_visitor_leaves_no_session_behind(anon_api, scenarios) -> None:
    """A refused anonymous run stores no session row and sets no cookie."""
    slug = scenarios[0].slug
    for _ in range(3):
        response = anon_api.post(f"/api/scenarios/{slug}/runs", {"speed": 1000})
        assert response.status_code == 400
        assert response.json()["errors"][0]["path"] == "speed"
        assert "sessionid" not in response.cookies or not response.cookies["sessionid"].value
    assert Session.objects.count() == 0


# Under daphne, as `make run` serves it ----------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """daphne with nothing configured but its own database: DEBUG and SECRET_KEY unset."""
    tmp = tmp_path_factory.mktemp("defaults")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "SECRET_KEY", "REDIS_URL", "DATABASE_URL", "RUN_BACKEND")
    }
    env.update(DJANGO_DB_PATH=str(tmp / "db.sqlite3"), SECRET_KEY_FILE=str(tmp / "var" / "key"))
    subprocess.run(
        [str(BIN / "python"), "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT, env=env, check=True, timeout=120,
    )  # fmt: skip
    port = free_port()
    log = open(tmp / "daphne.log", "wb")
    proc = subprocess.Popen(
        [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "playground.asgi:application"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    wait_for_port(port, timeout=30, proc=proc)
    yield f"http://127.0.0.1:{port}", tmp
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(10)
    log.close()


def fetch(url: str, data: bytes | None = None, headers: dict[str, str] | None = None):
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=20) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_daphne_serves_static_files_and_a_plain_404_with_debug_off(served) -> None:
    url, tmp = served
    status, headers, body = fetch(f"{url}/static/css/app.css")
    assert status == 200 and headers["Content-Type"].startswith("text/css") and body
    status, _, body = fetch(f"{url}/no/such/page/")
    assert status == 404 and b"Nothing here" in body and b"URLconf" not in body
    # The secret was made for this install, readable by its user only.
    key = tmp / "var" / "key"
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_text().strip()) >= 50


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data", "multipart/form-data; boundary=x", "text/plain"]
)
def test_daphne_leaves_a_multipart_body_to_the_api_s_refusal(served, content_type) -> None:
    """A body that is not JSON is a 400 in the API's shape naming the body, whatever its type
    (Twisted answered a multipart body without a boundary with an empty 400 of its own)."""
    url, _ = served
    status, headers, body = fetch(
        f"{url}/api/scenarios/any/runs", data=b"x", headers={"Content-Type": content_type}
    )
    assert status == 400 and headers["Content-Type"].startswith("application/json"), body
    problem = json.loads(body)["errors"][0]
    assert problem["path"] == "body" and "not valid JSON" in problem["message"]
