"""Korean and English: which language a request is answered in, and the switch that sets it.

Django's own pieces do the work (docs/i18n.md): gettext catalogs in locale/, the
LocaleMiddleware, `set_language` for the header's switch and the JavaScript catalog for
static/js. Two things are added here:

- the choice made in the switch is kept in Django's language cookie (a year) and, for a
  signed-in user, in the session too, which comes first: the choice holds for the whole
  session even where the cookie is refused or cleared. With neither, the browser's
  Accept-Language decides, then English;
- a built-in scenario's title and "what to watch" in the page's language, from the text the
  engine keeps beside its scenario files (patterns.scenarios.text);
- the JavaScript catalog's URL carries the language (`?lang=ko`), so a browser that cached
  one language's catalog never serves it under the other.
"""

from __future__ import annotations

from typing import Protocol

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.middleware import locale
from django.utils import translation
from django.views import i18n as django_i18n
from django.views.decorators.http import require_POST

from patterns import scenarios

SESSION_KEY = "language"


def supported(code: object) -> bool:
    """One of settings.LANGUAGES (Django has catalogs of its own for many more)."""
    return isinstance(code, str) and code in dict(settings.LANGUAGES)


class LocaleMiddleware(locale.LocaleMiddleware):
    """Django's LocaleMiddleware, with the language chosen in this session first."""

    def process_request(self, request: HttpRequest) -> None:
        session = getattr(request, "session", None)
        chosen = session.get(SESSION_KEY) if session is not None else None
        if isinstance(chosen, str) and supported(chosen):
            translation.activate(chosen)
            request.LANGUAGE_CODE = translation.get_language()
            return
        super().process_request(request)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (cookie, safe redirect to `next`); the choice kept in the session."""
    code = request.POST.get("language", "")
    if not supported(code):
        return HttpResponseBadRequest(
            f"language: expected one of {', '.join(dict(settings.LANGUAGES))}"
        )
    response = django_i18n.set_language(request)
    if request.user.is_authenticated:
        request.session[SESSION_KEY] = code
    return response


class JavaScriptCatalog(django_i18n.JavaScriptCatalog):
    """The `djangojs` catalog of the language named by `?lang=` (else the request's own)."""

    def get(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        asked = request.GET.get("lang", "")
        if supported(asked):
            with translation.override(asked):
                return super().get(request, *args, **kwargs)
        return super().get(request, *args, **kwargs)


class NamedText(Protocol):
    slug: str
    name: str
    description: str


def scenario_text(scenario: NamedText) -> tuple[str, str]:
    """A built-in scenario's (name, description) in the active language; else English."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    text = scenarios.text(language.split("-")[0]).get(scenario.slug)
    if text is None:
        return scenario.name, scenario.description
    return text["name"], text["description"]
