"""The JSON API under /api/ (OpenAPI at /api/docs).

Paths are a contract: see DESIGN.md's API table.
"""

from __future__ import annotations

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
        'session and the CSRF token. Every refusal is `{"errors": [{"path", "message"}]}`.'
    ),
    auth=CallerAuth(),
    parser=StrictJSONParser(),
    urls_namespace="api",
)
errors.install(api)


def _routes() -> None:
    from playground.api import compare, runs, scenarios, topologies

    api.add_router("/scenarios", scenarios.router)
    api.add_router("/topologies", topologies.router)
    api.add_router("/runs", runs.router)
    api.add_router("/compare", compare.router)


_routes()
