"""Every refusal the API makes has one shape: `{"errors": [{"path", "message"}]}`.

`path` names the field, query parameter or topology node the problem is about
(a topology node as the engine names it: `nodes[2] "api"`), so a script or the
editor can point at it; a problem on a node, edge or fault also has `at`, the
parts of that location (refusals.error_of, docs/api.md#errors). Never a 500 for
bad input: the handlers below turn ninja's and Django's own refusals into this shape.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from patterns import Problem
from playground.refusals import Refused, error_of, translated


class ApiError(Exception):
    """A refusal with its HTTP status and every problem found."""

    def __init__(self, status: int, errors: Iterable[tuple[str, str] | Problem]) -> None:
        self.status = status
        # An engine problem keeps the parts of its location (`at`, refusals.error_of).
        self.errors: list[dict[str, Any]] = [
            error_of(e) if isinstance(e, Problem) else {"path": e[0], "message": e[1]}
            for e in errors
        ]
        super().__init__(status, self.errors)

    @classmethod
    def one(cls, status: int, path: str, message: str) -> ApiError:
        return cls(status, [(path, message)])


def not_found(what: str, key: object) -> ApiError:
    # Same answer whether it does not exist or is not yours: an id reveals nothing.
    return ApiError.one(404, "id", f"no {what} {key}")


def login_required() -> ApiError:
    return ApiError.one(
        401, "Authorization", "log in or send 'Authorization: Bearer TOKEN' to do this"
    )


def _location(loc: Iterable[Any]) -> str:
    """('body', 'payload', 'nodes', 0, 'id') -> 'nodes[0].id'; ('query', 'after') -> 'after'."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        source = parts.pop(0)
        # ninja puts the view's argument name after "body"; the client never saw it.
        if source == "body" and parts and parts[0] == "payload":
            parts.pop(0)
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path or "body"


def _message(error: dict[str, Any]) -> str:
    if error.get("type") == "extra_forbidden":
        return "unknown field"
    if error.get("type") == "missing":
        return "this field is required"
    return str(error.get("msg", "invalid"))


def _respond(
    api: NinjaAPI, request: HttpRequest, status: int, errors: list[dict[str, Any]]
) -> HttpResponse:
    # `message` in the request's language (Accept-Language, or the site's switch); `path` as is.
    return api.create_response(request, {"errors": translated(errors)}, status=status)


def install(api: NinjaAPI) -> None:
    """Replace ninja's default refusals (422 `{"detail": ...}`) with ours."""

    @api.exception_handler(ApiError)
    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return _respond(api, request, exc.status, exc.errors)

    @api.exception_handler(Refused)
    def refused(request: HttpRequest, exc: Refused) -> HttpResponse:
        return _respond(api, request, exc.status, exc.errors())

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [{"path": _location(e.get("loc", ())), "message": _message(e)} for e in exc.errors]
        return _respond(api, request, 400, errors)

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        from django.conf import settings

        size = request.META.get("CONTENT_LENGTH", "?")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        message = f"the request body is {size} bytes, over the limit of {limit}"
        return _respond(api, request, 400, [{"path": "body", "message": message}])

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return _respond(api, request, 401, login_required().errors)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja wraps a body its parser refused; our parser says why in the cause.
        cause = exc.__cause__
        if isinstance(cause, ApiError):
            return _respond(api, request, cause.status, cause.errors)
        if cause is not None:
            return _respond(
                api, request, 400, [{"path": "body", "message": f"not valid JSON: {cause}"}]
            )
        return _respond(api, request, exc.status_code, [{"path": "", "message": str(exc)}])

    @api.exception_handler(Http404)
    def missing(request: HttpRequest, exc: Http404) -> HttpResponse:
        return _respond(api, request, 404, [{"path": "", "message": str(exc) or "not found"}])
