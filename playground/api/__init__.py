"""The JSON API under /api/ (OpenAPI at /api/docs).

Paths are a contract: see docs/api.md, "Endpoints".
"""

from __future__ import annotations

from django.conf import settings
from django.views.decorators.csp import csp_override
from ninja import NinjaAPI

from playground.api import errors
from playground.api.auth import CallerAuth
from playground.api.parser import StrictJSONParser

api = NinjaAPI(
    title="Pattern playground API",
    version="1",
    description=(
        "Save topologies, run them, and read their events. "
        "Scripts send `Authorization: Bearer TOKEN` (make one on the account page "
        "or with `manage.py api_token USERNAME`); the browser uses its "
        'session and the CSRF token. Every refusal is `{"errors": [{"path", "message"}]}`, '
        "and a problem on a topology's node, edge or fault has `at` too (docs/api.md#errors)."
    ),
    auth=CallerAuth(),
    parser=StrictJSONParser(),
    urls_namespace="api",
    # The docs page keeps the site's policy but for data: images (settings.API_DOCS_CSP).
    docs_decorator=csp_override(settings.API_DOCS_CSP),
)
errors.install(api)


def _routes() -> None:
    from playground.api import (
        capacity,
        compare,
        experiments,
        passes,
        runs,
        scenarios,
        sweeps,
        topologies,
    )

    api.add_router("/scenarios", scenarios.router)
    api.add_router("/topologies", topologies.router)
    api.add_router("/runs", runs.router)
    api.add_router("/runs", passes.router)
    api.add_router("/compare", compare.router)
    api.add_router("/capacity", capacity.router)
    api.add_router("/runs", experiments.runs_router)
    api.add_router("/ab", experiments.ab_router)
    api.add_router("/sweeps", sweeps.router)


_routes()
