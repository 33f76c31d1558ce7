"""Sign up, log in, log out, and the account page's API tokens."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from playground.models import ApiToken
from tests.conftest import PASSWORD, ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(owner) -> Client:
    client = Client()
    client.login(username="owner", password=PASSWORD)
    return client


def test_it_signs_up_a_new_user_and_logs_them_in(client):
    """Sign up creates the account and opens the account page logged in."""
    assert client.get("/signup/").status_code == 200
    response = client.post(
        "/signup/",
        {"username": "newbie", "password1": "a-long-passphrase", "password2": "a-long-passphrase"},
    )
    assert response.status_code == 302 and response["Location"] == "/account/"
    assert get_user_model().objects.filter(username="newbie").exists()
    assert client.get("/account/").status_code == 200


def test_it_refuses_a_sign_up_with_mismatched_or_short_passwords(client):
    """A bad sign-up re-renders the form with errors and creates nobody."""
    response = client.post(
        "/signup/", {"username": "x", "password1": "short", "password2": "short"}
    )
    assert response.status_code == 200 and b"errorlist" in response.content
    response = client.post(
        "/signup/",
        {"username": "y", "password1": "a-long-passphrase", "password2": "different-one"},
    )
    assert response.status_code == 200
    assert not get_user_model().objects.filter(username__in=["x", "y"]).exists()


def test_it_logs_in_and_out(client, owner):
    """The login form authenticates; logout (a POST) ends the session."""
    assert client.get("/login/").status_code == 200
    response = client.post("/login/", {"username": "owner", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/account/").status_code == 200
    assert client.post("/logout/").status_code in (200, 302)
    assert client.get("/account/").status_code == 302


def test_it_refuses_a_wrong_password(client, owner):
    """A wrong password re-renders the login form."""
    response = client.post("/login/", {"username": "owner", "password": "wrong"})
    assert response.status_code == 200 and b"errorlist" in response.content


def test_it_sends_visitors_to_log_in_for_the_account_page(client):
    """The account page needs an account."""
    response = client.get("/account/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_it_creates_a_token_and_shows_the_key_once(browser, owner):
    """A new token's key is shown once, on the page that made it, and works against the API."""
    response = browser.post("/account/tokens/", {"name": "laptop"})
    assert response.status_code == 200
    key = re.search(rb'id="new-token-key">([^<]+)<', response.content).group(1).decode()
    token = ApiToken.objects.get(user=owner)
    assert token.name == "laptop" and token.key_hash == ApiToken.hash(key)
    assert ApiClient(Client(), key).get("/api/topologies").status_code == 200
    page = browser.get("/account/").content.decode()
    assert key not in page and token.prefix in page


def test_it_revokes_a_token(browser, owner):
    """Revoking deletes the token; it stops working."""
    token, key = ApiToken.issue(owner)
    response = browser.post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert ApiClient(Client(), key).get("/api/topologies").status_code == 401


def test_it_does_not_revoke_someone_elses_token(browser, outsider):
    """Another user's token is not found, and stays."""
    token, _ = ApiToken.issue(outsider)
    assert browser.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_it_only_creates_and_revokes_tokens_by_post(browser, owner):
    """GET never changes anything."""
    token, _ = ApiToken.issue(owner)
    assert browser.get("/account/tokens/").status_code == 405
    assert browser.get(f"/account/tokens/{token.pk}/revoke/").status_code == 405
    assert ApiToken.objects.count() == 1
