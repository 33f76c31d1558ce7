"""Sign up, and the account page where a user makes and revokes API tokens.

Log in and log out are Django's own views (`django.contrib.auth.urls`).
A new token's key is shown once, on the page that created it: only its hash is kept.
"""

from __future__ import annotations

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from playground.models import ApiToken


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("account")
    form: UserCreationForm[User] = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("account")
    return render(request, "registration/signup.html", {"form": form})


def _account(request: HttpRequest) -> User:
    """The signed-in user of a page that requires one (@login_required)."""
    assert isinstance(request.user, User)
    return request.user


def _account_page(
    request: HttpRequest, new_key: str = "", new_token: ApiToken | None = None, status: int = 200
) -> HttpResponse:
    tokens = _account(request).api_tokens.order_by("-created")
    context = {"tokens": tokens, "new_key": new_key, "new_token": new_token}
    return render(request, "account.html", context, status=status)


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return _account_page(request)


@login_required
@require_POST
def create_token(request: HttpRequest) -> HttpResponse:
    name = request.POST.get("name", "").strip()[:100]
    token, key = ApiToken.issue(_account(request), name=name)
    # Rendered, not redirected: the key exists only in this response.
    return _account_page(request, new_key=key, new_token=token)


@login_required
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    # Someone else's token is simply not found.
    get_object_or_404(ApiToken, pk=pk, user=request.user).delete()
    return redirect("account")
