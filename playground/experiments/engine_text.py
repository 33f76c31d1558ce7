"""The engine's sentences in the page's language: the capacity estimate's reasons and
assumptions, and the parameter sweep's theory reasons (docs/i18n.md).

The engine (`patterns`, no Django) gives each reason a stable key and its values
(`patterns.capacity.REASONS`: the key's English sentence with `%(name)s` placeholders, marked
for `make messages` by the engine's own `gettext_noop`). Here each is said with gettext in
the active language, the request's, as playground/refusals.py does for the refusals. A key
this version does not know (a sweep stored by another) keeps the English it was stored with.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, pgettext_lazy

from patterns import capacity

# Code words that go into a sentence as values: said in the page's language, the same code
# in English (the English sentence is the engine's own).
VALUE_WORDS: dict[str, dict[str, Any]] = {
    "dist": {
        "constant": pgettext_lazy("service time", "constant"),
        "exponential": pgettext_lazy("service time", "exponential"),
        "uniform": pgettext_lazy("service time", "uniform"),
        "lognormal": pgettext_lazy("service time", "lognormal"),
    },
    "algorithm": {
        "sticky": pgettext_lazy("balancing by", "sticky"),
        "ip_hash": pgettext_lazy("balancing by", "ip_hash"),
        "consistent_hash": pgettext_lazy("balancing by", "consistent_hash"),
    },
}


def reason(key: str, args: dict[str, Any], english: str | None = None) -> str:
    """One reason in the active language; `english` (or the key) if the key is unknown."""
    template = capacity.REASONS.get(key)
    if template is None:
        return english if english is not None else key
    values = {
        name: str(VALUE_WORDS.get(name, {}).get(value, value)) if isinstance(value, str) else value
        for name, value in args.items()
    }
    try:
        return gettext(template) % values
    except (KeyError, TypeError, ValueError):  # values that do not fit: the engine's English
        return english if english is not None else capacity.reason_text(key, args)


def fit(row: dict[str, Any]) -> dict[str, Any]:
    """A fit (`{"status", "reasons", "reason_keys"}`) with its reasons in the active language."""
    keyed = row.get("reason_keys")
    if not isinstance(keyed, list) or len(keyed) != len(row.get("reasons", [])):
        return row
    reasons = [
        reason(k["key"], k.get("args", {}), english)
        for k, english in zip(keyed, row["reasons"], strict=True)
    ]
    return {**row, "reasons": reasons}


def assumption(text: str) -> str:
    """One of the estimate's assumptions (`patterns.capacity.ASSUMPTIONS`) in the active
    language; the sentence is its own message id."""
    return gettext(text) if text in capacity.ASSUMPTIONS.values() else text


def estimate(result: dict[str, Any]) -> dict[str, Any]:
    """An estimate (`patterns.capacity.estimate`) with its words in the active language."""
    nodes = {
        node_id: {**row, "fit": fit(row["fit"])} if isinstance(row.get("fit"), dict) else row
        for node_id, row in result.get("nodes", {}).items()
    }
    return {
        **result,
        "nodes": nodes,
        "assumptions": [assumption(a) for a in result.get("assumptions", [])],
    }


def sweep_reasons(theory: list[dict[str, Any]]) -> list[str]:
    """A sweep's theory reasons, "node: reason", in the active language, sorted and once each.

    A point stored before the reasons had keys (no `reason_keys`) keeps its English.
    """
    out: set[str] = set()
    for point in theory:
        keyed = point.get("reason_keys")
        if isinstance(keyed, list) and (keyed or not point.get("reasons")):
            for k in keyed:
                out.add(f"{k.get('node', '')}: {reason(k['key'], k.get('args', {}))}")
        else:
            out.update(point.get("reasons", []))
    return sorted(out)
