"""Who is calling: a bearer token (scripts), a session (the browser), or nobody.

Every API call goes through `CallerAuth`, which never refuses an anonymous
caller by itself (anonymous visitors may read public things and run built-in
scenarios); views that need an account call `caller.require_user()`. A bad
token is a 401, never a silent fall back to anonymous. A session-authenticated
write must carry the CSRF token, as any Django form must.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest
from django.utils import timezone
from ninja.security.http import HttpAuthBase
from ninja.utils import check_csrf

from playground.api.errors import ApiError, login_required
from playground.models import ApiToken

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


@dataclass
class Caller:
    user: User | AnonymousUser
    request: HttpRequest
    via_token: bool = False

    @property
    def is_authenticated(self) -> bool:
        return bool(self.user.is_authenticated)

    def require_user(self) -> User:
        if not isinstance(self.user, User) or not self.user.is_authenticated:
            raise login_required()
        return self.user

    def session_key(self, create: bool = False) -> str:
        """The browser session's key; with create, start a session for an anonymous visitor."""
        session = self.request.session
        if create and not session.session_key:
            session["anonymous_runs"] = True  # modified, so the middleware sends the cookie
            session.save()
        return session.session_key or ""


def caller_of(request: HttpRequest) -> Caller:
    """The caller `CallerAuth` found for this request (ninja keeps it as `request.auth`)."""
    found = request.auth  # type: ignore[attr-defined]
    assert isinstance(found, Caller), "every API route is authenticated by CallerAuth"
    return found


class CallerAuth(HttpAuthBase):
    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> Caller:
        header = request.headers.get("Authorization")
        if header:
            return Caller(user=self._token_user(request, header), request=request, via_token=True)
        if self._needs_csrf(request) and check_csrf(request) is not None:
            raise ApiError.one(
                403,
                "X-CSRFToken",
                "CSRF token missing or incorrect: "
                "send the csrftoken cookie's value in the X-CSRFToken header",
            )
        return Caller(user=request.user, request=request)

    @staticmethod
    def _needs_csrf(request: HttpRequest) -> bool:
        """A write riding on a session cookie must prove it comes from our pages.

        A request with no session cookie carries no ambient credentials to abuse,
        so a script may start a scenario run with a plain POST.
        """
        if request.method in SAFE_METHODS or getattr(request, "_ninja_csrf_exempt", False):
            return False
        return (
            bool(request.user.is_authenticated) or settings.SESSION_COOKIE_NAME in request.COOKIES
        )

    def _token_user(self, request: HttpRequest, header: str) -> User:
        key = ApiToken.bearer_key(header)
        if key is None:
            raise ApiError.one(401, "Authorization", "expected 'Authorization: Bearer TOKEN'")
        token = ApiToken.active(key)
        if token is None:
            raise ApiError.one(401, "Authorization", "unknown or revoked API token")
        now = timezone.now()
        # One write a minute is plenty to tell a live token from a stale one.
        if token.last_used is None or (now - token.last_used).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        request.user = token.user
        return token.user
