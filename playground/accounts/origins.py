"""Which browser pages may open a WebSocket here: the site itself, exactly, and listed origins.

A browser sends `Origin: scheme://host[:port]` with every WebSocket handshake, and the
socket rides the visitor's session cookie, so a page on another origin must not open
one (it could watch a private run or press its controls). Channels' OriginValidator
compares host names only, so `http://127.0.0.1:9999` passed for a site on port 8000.

Here an origin is allowed when scheme, host and port all match:
- the request's own Host header (a host in ALLOWED_HOSTS), with http for ws and https
  for wss (or behind a TLS proxy, when SECURE_PROXY_SSL_HEADER says so), or
- an entry of CSRF_TRUSTED_ORIGINS (the same setting Django's forms trust).

No Origin at all is a script, not a browser (browsers always send it): it authenticates
with a bearer token and has no cookie to abuse, so it is let in. `Origin: null` (a
sandboxed frame, a file) is refused.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_tuple(origin: str) -> tuple[str, str, int] | None:
    """'http://Localhost:8000' -> ('http', 'localhost', 8000); None when it is not one."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _secure(scope: dict[str, Any]) -> bool:
    if scope.get("scheme") == "wss":
        return True
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        meta_name, expected = proxy
        name = meta_name.removeprefix("HTTP_").lower().replace("_", "-").encode()
        return _header(scope, name) == str(expected)
    return False


def own_origin(scope: dict[str, Any]) -> tuple[str, str, int] | None:
    """The origin of the site this socket was opened on, from its Host header."""
    host = _header(scope, b"host")
    if not host:
        return None
    domain, port = split_domain_port(host.lower())
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    scheme = "https" if _secure(scope) else "http"
    return scheme, domain, int(port) if port else DEFAULT_PORTS[scheme]


def origin_allowed(scope: dict[str, Any]) -> bool:
    origin = _header(scope, b"origin")
    if origin is None:
        return True
    parsed = _origin_tuple(origin)
    if parsed is None:
        return False
    if parsed == own_origin(scope):
        return True
    return any(parsed == _origin_tuple(o) for o in settings.CSRF_TRUSTED_ORIGINS)


class ExactOriginValidator:
    """ASGI middleware for WebSockets: refuse the handshake (403) from any other origin."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
