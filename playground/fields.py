"""A JSON column that gives back the text as it was written, key order included.

PostgreSQL's `jsonb` (Django's JSONField there) re-sorts an object's keys, so
a run's events would come back as `{"t", "seq", "type", ...}` and an export
could not be byte-identical to `python -m patterns run --events`. Its `json`
type keeps the text as sent; nothing queries inside the events, so nothing
is lost. Other databases store JSON as text already.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper


class OrderedJSONField(models.JSONField):
    """A JSONField stored as `json` (not `jsonb`) on PostgreSQL, so key order survives."""

    def db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        if connection.vendor == "postgresql":
            return "json"
        return super().db_type(connection)

    def get_db_prep_value(
        self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False
    ) -> Any:
        if connection.vendor != "postgresql" or value is None:
            return super().get_db_prep_value(value, connection, prepared)
        # Sent as `json`: a `jsonb` parameter would be parsed (and re-sorted) before the cast.
        from psycopg.types.json import Json

        return Json(value, dumps=lambda v: json.dumps(v, cls=self.encoder))

    def from_db_value(self, value: Any, expression: Any, connection: BaseDatabaseWrapper) -> Any:
        # psycopg decodes a `json` column itself (Django only asks it not to for `jsonb`).
        if value is not None and not isinstance(value, str | bytes):
            return value
        if isinstance(value, bytes):
            value = value.decode()
        return super().from_db_value(value, expression, connection)
