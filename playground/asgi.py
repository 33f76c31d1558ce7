"""ASGI entry point: HTTP through Django, WebSockets through Channels (`playground.routing`)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()


def _leave_form_bodies_to_django() -> None:
    """Stop daphne's Twisted request from parsing POST form bodies it never uses.

    Twisted parses a multipart body into `request.args` before daphne hands the raw
    body to Django, and answers one it cannot parse (no boundary) with an empty 400,
    so the API could not say what was wrong. Twisted has a switch for this
    (`parsePOSTFormSubmission`) that daphne does not pass; this holds it off. Django
    parses bodies itself and the API answers in its error shape.
    """
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:  # served by another ASGI server: nothing to do
        return
    WebRequest._parsePOSTFormSubmission = property(lambda self: False, lambda self, value: None)


_leave_form_bodies_to_django()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from playground.accounts.origins import ExactOriginValidator  # noqa: E402
from playground.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Scheme, host and port checked exactly (playground/accounts/origins.py).
        "websocket": ExactOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

if settings.RUN_BACKEND == "thread":
    # This process executes the runs: from its start it fails the ones that died (a previous
    # process's included), read or not (docs/workers.md). Celery workers run their own.
    from playground.runs.reaper import start_sweeper  # noqa: E402

    start_sweeper()
