"""A strict JSON body parser: what it accepts, every database we run on can store.

Python's `json` accepts `NaN` and `Infinity`, lone surrogates (`"\\ud800"`) and
`"\\u0000"`; PostgreSQL's jsonb refuses all of them, which would surface as a
500 on save. Deeply nested input would exhaust the recursion limit. Each is a
400 naming the problem instead.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja.parser import Parser

from playground.api.errors import ApiError


def _refuse_constant(name: str) -> Any:
    raise ApiError.one(400, "body", f"{name} is not a JSON number")


def _bad_string(value: str) -> str | None:
    if "\x00" in value:
        return "contains a NUL character (\\u0000)"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired surrogate (not valid Unicode)"
    return None


def check_storable(data: Any) -> None:
    """Raise an ApiError naming the first string no database would store."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            problem = _bad_string(value)
            if problem:
                raise ApiError.one(400, path or "body", f"text {problem}")
        elif isinstance(value, dict):
            for key, item in value.items():
                problem = _bad_string(key)
                if problem:
                    raise ApiError.one(400, path or "body", f"a key {problem}")
                stack.append((f"{path}.{key}" if path else key, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))


class StrictJSONParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ApiError.one(400, "body", f"not UTF-8: {exc}") from None
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except json.JSONDecodeError as exc:
            sent = request.content_type or ""
            hint = f" (send JSON as application/json, not {sent})" if "json" not in sent else ""
            raise ApiError.one(400, "body", f"not valid JSON: {exc}{hint}") from None
        except RecursionError:
            raise ApiError.one(400, "body", "JSON nested too deeply") from None
        check_storable(data)
        return data
