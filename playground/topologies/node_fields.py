"""The editable fields of every node kind, as the editor's side panel shows them.

Read from the engine's registry of kinds (patterns/nodes/: each kind's module
declares its fields, `Node.fields`), so the panel offers exactly the fields
the engine checks, with their help. Each field is (name, type, help). Types:
"number", "int", "text", "duration", "json", or a tuple of choices ("" first:
the engine's default). Its words on screen are LABELS and CHOICE_LABELS below, and a
structured value's widget is named in WIDGETS (static/js/fieldwidgets.js). A field left
empty is removed from the node, so the engine's default applies.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from typing import Any

from django.utils.functional import Promise, lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from patterns.nodes import KINDS as KINDS_OF_ENGINE
from patterns.nodes import kind_names
from patterns.schema import Field as EngineField
from playground.templatetags.words import ALGORITHM_WORDS

# The help is shown in the page's language: the engine's English help, marked with
# patterns.schema.gettext_noop, is in locale/*/LC_MESSAGES/django.po.
Field = tuple[str, Any, str | Promise]


def _help(name: str, field: EngineField) -> str:
    """The field's help in the page's language, with its default when it is a plain value,
    in the words its input shows (a choice's label, yes or no), not the stored code."""
    text = gettext(field.help)
    default = field.default
    if default is None or isinstance(default, (dict, list)):
        return text
    shown: Any = default
    if isinstance(default, bool):
        shown = gettext("yes") if default else gettext("no")
    elif isinstance(default, str):
        shown = CHOICE_LABELS.get(name, {}).get(default) or default
    return gettext("%(help)s (default %(value)s)") % {"help": text, "value": shown}


_translated_help = lazy(_help, str)

# The document's field types as the panel's inputs.
_INPUTS = {"int": "int", "number": "number", "string": "text", "duration": "duration"}


def editor_field(name: str, field: EngineField) -> Field:
    """One engine field as the panel shows it: an input type (or choices) and the help."""
    kind: Any
    if field.type == "enum":
        kind = ("", *field.choices)
    elif field.type == "bool":
        kind = ("", "true", "false")
    else:
        kind = _INPUTS.get(field.type, "json")
    return (name, kind, _translated_help(name, field))


class _Kinds(Mapping[str, list[Field]]):
    """Every registered kind's fields, in palette order, read from the registry when asked
    (a kind registered later, a test's, is there too)."""

    def __getitem__(self, kind: str) -> list[Field]:
        cls = KINDS_OF_ENGINE[kind]
        return [editor_field(name, f) for name, f in cls.fields.items()]

    def __iter__(self) -> Iterator[str]:
        return iter(kind_names())

    def __len__(self) -> int:
        return len(KINDS_OF_ENGINE)


KINDS: Mapping[str, list[Field]] = _Kinds()

EDGE_FIELDS: list[Field] = [
    ("latency_ms", "number", _("Time on the network each way, in ms (default 1).")),
    ("when", ("ok", "error"), _("Normal answers, or the failures of the node it leaves.")),
    ("op", ("", "read", "write"), _("Into a database: does this call read or write?")),
]

# Each field's name as the panel shows it; "<kind>.<field>" where one kind means another thing.
LABELS: dict[str, str | Promise] = {
    "id": _("Id"),
    "label": _("Label"),
    "rate": _("Requests per second"),
    "arrival": _("Arrivals"),
    "requests": _("Stop after (requests)"),
    "sessions": _("Users (sessions)"),
    "fetch_after_ms": _("Fetch the result after (ms)"),
    "fetch_attempts": _("Fetch attempts"),
    "instances": _("Instances"),
    "concurrency": _("Workers per instance"),
    "service_time": _("Work per request"),
    "queue_limit": _("Queue limit per instance"),
    "failure_rate": _("Failure rate"),
    "zones": _("Zones"),
    "resource": _("Resource"),
    "cost_per_hour": _("Cost per instance-hour"),
    "autoscale": _("Autoscaling"),
    "max_instances": _("Most instances"),
    "cold_start_ms": _("Cold start (ms)"),
    "idle_ms": _("Stop when idle for (ms)"),
    "split": _("Items out per item in"),
    "algorithm": _("Algorithm"),
    "weights": _("Weights"),
    "zone": _("Zone"),
    "zone_aware": _("Stay in its zone"),
    "health_check": _("Health checks"),
    "latency_ms": _("Delivery delay (ms)"),
    "completion": _("Answer when"),
    "count": _("Replies needed"),
    "timeout_ms": _("Deadline (ms)"),
    "merge": _("Merge"),
    "k": _("Best k"),
    "store": _("Database"),
    "steps": _("Steps"),
    "replicas": _("Replicas"),
    "failover_ms": _("Takeover after (ms)"),
    "read_ms": _("Read time (ms)"),
    "write_ms": _("Write time (ms)"),
    "database.concurrency": _("Connections"),
    "edge.latency_ms": _("Network delay (ms)"),
    "edge.when": _("Carries"),
    "edge.op": _("Database call"),
    # No input of their own in the panel: named beside their errors (topologies/views.py).
    "edge.from": _("From node"),
    "edge.to": _("To node"),
}

# Fields the browser draws as a widget of their own (static/js/fieldwidgets.js), each
# writing the document's JSON into the field's input: a hint, the logic lives in JS.
WIDGETS: dict[str, str] = {
    "service_time": "duration",
    "autoscale": "autoscale",
    "health_check": "health_check",
    "zones": "list",
    "weights": "weights",
    "steps": "steps",
}


def widget_nodes(document: Any, item: Any, name: str) -> dict[str, str]:
    """What a widget of node `item` needs to know of the rest of `document`, as the field's
    data attributes (JSON text): the balancer's targets for `weights`, the nodes an
    orchestrator calls and every other node for `steps`. Read leniently: the panel is drawn
    for a document with problems too, and the engine's check reports those.
    """
    if name not in ("weights", "steps") or not isinstance(item, dict):
        return {}
    nodes = document.get("nodes") if isinstance(document, dict) else None
    edges = document.get("edges") if isinstance(document, dict) else None
    own = item.get("id")
    ids = [
        n["id"]
        for n in (nodes if isinstance(nodes, list) else [])
        if isinstance(n, dict) and isinstance(n.get("id"), str)
    ]
    targets: list[str] = []
    for edge in edges if isinstance(edges, list) else []:
        if not isinstance(edge, dict) or edge.get("from") != own:
            continue
        # A balancer sends to its `when: ok` edges only (Graph.targets); an orchestrator's
        # steps may name the end of any of its edges (orchestrator.py check_graph).
        if name == "weights" and edge.get("when", "ok") != "ok":
            continue
        to = edge.get("to")
        if isinstance(to, str) and to not in targets:
            targets.append(to)
    if name == "weights":
        return {"targets": json.dumps(targets)}
    return {
        "targets": json.dumps(targets),
        "nodes": json.dumps([i for i in dict.fromkeys(ids) if i != own]),
    }


# The words a choice shows; the stored value stays the code. "" is the engine's default.
CHOICE_LABELS: dict[str, dict[str, str | Promise]] = {
    "arrival": {"poisson": _("Random (Poisson)"), "constant": _("Evenly spaced")},
    "resource": {"": _("(default: CPU)"), "cpu": "CPU", "gpu": "GPU", "memory": _("Memory")},
    "algorithm": dict(ALGORITHM_WORDS),
    "zone_aware": {"": _("(default: no)"), "true": _("Yes"), "false": _("No")},
    "completion": {
        "all": _("every reply is in"),
        "count": _("enough replies are in"),
        "deadline": _("the deadline passes"),
    },
    "merge": {
        "concat": _("Keep them all"),
        "top_k": _("Keep the best k"),
        "min": _("Keep the smallest"),
    },
    "when": {"ok": _("Successes"), "error": _("Failures")},
    "op": {"": _("(default: read)"), "read": _("Read"), "write": _("Write")},
}


def label_of(kind: str, name: str) -> str | Promise:
    """The words for field `name` of a node of `kind` ("edge" for an edge)."""
    return LABELS.get(f"{kind}.{name}") or LABELS.get(name) or name


def choices_of(name: str, choices: tuple[str, ...]) -> list[tuple[str, str | Promise]]:
    """A choice field's (code, words) pairs, in the engine's order."""
    words = CHOICE_LABELS.get(name, {})
    return [(code, words.get(code) or code or _("(default)")) for code in choices]


def display_value(value: Any, kind: Any) -> str:
    """The text an input shows for a stored value."""
    if value is None:
        return ""
    if kind in ("json", "duration") and not isinstance(value, (int, float, str)):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def parse_value(text: str, kind: Any) -> tuple[Any, str | None]:
    """Turn an input's text into the document's value; (value, error). None means "unset"."""
    text = text.strip()
    if text == "":
        return None, None
    try:
        if kind == "int":
            return int(text), None
        if kind == "number":
            number = float(text)
            if not math.isfinite(number):
                raise ValueError("not finite")  # the document is JSON: NaN has no place in it
            return (int(number) if number.is_integer() else number), None
        if kind in ("json", "duration"):
            try:
                return json.loads(text, parse_constant=_refuse_constant), None
            except RecursionError:
                return None, "nested too deeply"
            except json.JSONDecodeError:
                if kind == "duration":
                    return (
                        None,
                        'a number of ms, or an object such as {"dist": "constant", "ms": 50}',
                    )
                raise
        if isinstance(kind, tuple) and set(kind) >= {"true", "false"}:
            return text == "true", None
    except ValueError:
        expected = {"int": "a whole number", "number": "a number"}.get(kind, "valid JSON")
        return None, f"expected {expected}"
    return text, None
