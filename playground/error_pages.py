"""What a visitor sees when something is missing or broken, and what a script sees under /api/.

With DEBUG off (the default) Django calls these for a 404 and a 500. A page answers in
the site's look (templates/404.html, 500.html); a path under /api/ answers in the API's
error shape, `{"errors": [{"path", "message"}]}`, as every other API refusal does. The
500 page is rendered without the request's context: whatever broke (the database, a
context processor) must not break the error page too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

log = logging.getLogger(__name__)

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def api_error(status: int, path: str, message: str) -> JsonResponse:
    return JsonResponse({"errors": [{"path": path, "message": message}]}, status=status)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return api_error(404, "url", f"no API endpoint at {request.path} (see /api/docs)")
    body = loader.render_to_string("404.html", {"path": request.path}, request)
    return HttpResponse(body, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return api_error(500, "", "the server failed on this request; it has been logged")
    body: str
    try:
        body = loader.render_to_string("500.html")
    except Exception:  # the page must answer even when its template cannot be rendered
        log.exception("the 500 page itself failed to render")
        body = "<h1>Something went wrong on our side</h1>"
    return HttpResponse(body, status=500)


class ApiRefusalShape:
    """Django middleware: a 405 under /api/ (ninja answers it in plain text) in the API's shape."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and is_api(request):
            allowed = response.get("Allow", "")
            shaped = api_error(
                405, "method", f"{request.method} is not allowed here; allowed: {allowed}"
            )
            shaped["Allow"] = allowed
            return shaped
        return response
