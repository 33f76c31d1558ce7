"""ASGI entry point: HTTP through Django, WebSockets through Channels (`playground.routing`)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import OriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from playground.routing import websocket_urlpatterns  # noqa: E402


class BrowserOriginValidator(OriginValidator):
    """Refuse cross-site browser sockets, but let scripts without an Origin header in.

    Browsers always send Origin on a WebSocket, so the header's absence means a
    script (which authenticates with a Bearer token and cannot be tricked into
    riding someone's cookie); Channels' validator would refuse it.
    """

    def valid_origin(self, parsed_origin):  # type: ignore[no-untyped-def]
        return parsed_origin is None or super().valid_origin(parsed_origin)


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": BrowserOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns)), settings.ALLOWED_HOSTS
        ),
    }
)
