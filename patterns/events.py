"""The event record, defined once for the CLI, the database, the WebSocket and the browser.

An event is a flat JSON object `{"seq", "t", "type", ...fields}`; `FIELDS`
lists, per type, the fields after those three, in order (docs/events.md,
"Event types", where the compatible extensions are marked). While a run goes, the
engine appends compact tuples `(type, t, field values...)` to a log, which
costs little on the hot path; `to_dict` turns them into event dicts per batch,
off the hot loop, and numbers them with a gap-free `seq`. `to_lines` writes
them straight as the stored form, a line of compact JSON each, without a dict per
event: byte for byte `json.dumps(to_dict(...), separators=(",", ":"))` and a newline.

The `metrics` event (every `METRICS_INTERVAL_MS` of simulated time while
recording) carries `nodes`: `{node id: {"in_flight", "queued", "utilization",
"completed", "instances_up"}}` where `in_flight` counts requests the node holds
(queued or being worked on, including waits on downstream calls), `queued`
those waiting for a worker, `utilization` the busy fraction of its workers
since the previous metrics event (0..1), `completed` how many it finished
since then, and `instances_up` its instances able to serve.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from json.encoder import encode_basestring_ascii
from typing import Any, Final, TypedDict

METRICS_INTERVAL_MS: Final = 1000.0

# The fields of a `fault` event: those of its fault kind (schema.FAULTS), in
# this order, its null ones left out. `instance` is the instance's name
# (NODE#INDEX), as in every event, where the fault object says its index.
FAULT_FIELDS: Final = ("kind", "at_ms", "for_ms", "node", "instance", "factor", "zone")

# The events of the engine itself and of every kind; a kind's own events are
# declared by its module (`Node.events`) and added here when it registers
# (`declare`), so that this table lists every event there is.
FIELDS: dict[str, tuple[str, ...]] = {
    "msg.send": ("req", "from", "to", "arrive_t"),
    # `instance` is an instance's name (NODE#INDEX), or the node's id for a
    # node without instances, in every event that has one.
    "node.start": ("req", "node", "instance"),
    "node.finish": ("req", "node", "instance"),
    "node.reject": ("req", "node", "instance"),
    # Extension: a node failed a request (failure_rate, a crash, a failed call).
    "node.fail": ("req", "node", "instance", "reason"),
    "timeout": ("req", "node", "missing"),
    "fault": FAULT_FIELDS,
    "instance.up": ("instance", "reason"),
    "instance.down": ("instance", "reason"),
    "request.done": ("req", "origin", "latency_ms", "outcome"),
    "metrics": ("nodes",),
    # Extension: a running node's field set from now on (patterns/forking.py).
    "change": ("node", "field", "from", "to"),
}


def declare(fields: dict[str, tuple[str, ...]]) -> None:
    """Add a kind's own events to FIELDS (patterns.nodes.base.register).

    An event declared twice must say the same fields: one record, one meaning.
    """
    for kind, names in fields.items():
        known = FIELDS.get(kind)
        if known is not None and known != names:
            raise ValueError(f"event {kind} is declared with two sets of fields")
        FIELDS[kind] = names
        _BUILDERS[kind] = _builder(kind)
        _PLANS[kind] = _plan(kind, None)


def rows_dicts(rows: tuple[Any, ...]) -> list[dict[str, Any]]:
    """The list of objects a kind's rows stand for (build_with): `rows` is `(keys, column,
    column, ...)`, row i the object `{keys[0]: column0[i], keys[1]: column1[i], ...}`."""
    keys = rows[0]
    return [dict(zip(keys, row, strict=True)) for row in zip(*rows[1:], strict=True)]


def build_with(kind: str, fields: Callable[[tuple[Any, ...]], tuple[Any, ...]]) -> None:
    """Build `kind`'s events with the module that logs them, for a kind whose logged tuple
    is not its fields in order (such as `lb.pick`): `fields(record)` gives the event's
    field values in FIELDS order. A list of objects with the same keys is given as rows,
    a tuple `(keys, column, column, ...)` (rows_dicts), so that the stored form is written
    straight from the columns without a dict per row; no other value of `fields` is a
    tuple. Both the event dict and the stored form are made from them."""
    names = FIELDS[kind]

    def build(seq: int, r: tuple[Any, ...]) -> dict[str, Any]:
        event: dict[str, Any] = {"seq": seq, "t": r[1], "type": kind}
        for name, value in zip(names, fields(r), strict=True):
            event[name] = rows_dicts(value) if type(value) is tuple else value
        return event

    _BUILDERS[kind] = build
    _PLANS[kind] = _plan(kind, fields)


class Event(TypedDict, total=False):
    """One event as every consumer reads it; the fields beyond these depend on `type`."""

    seq: int
    t: float
    type: str


def _builder(kind: str) -> Any:
    """A function `(seq, record) -> dict` for one type, written out as a dict literal.

    Built once per type from FIELDS: a literal is several times faster than
    filling a dict in a loop, and this runs once per recorded event.
    """
    names = FIELDS[kind]
    items = ", ".join(f"{name!r}: r[{k + 2}]" for k, name in enumerate(names))
    source = f"lambda seq, r: {{'seq': seq, 't': r[1], 'type': {kind!r}, {items}}}"
    return eval(source)  # noqa: S307 - built from the constant FIELDS above


_BUILDERS: dict[str, Callable[[int, tuple[Any, ...]], dict[str, Any]]] = {
    kind: _builder(kind) for kind in FIELDS
}


def _fault(seq: int, r: tuple[Any, ...]) -> dict[str, Any]:
    """The fault as applied (logged whole by patterns/faults.py): its fields, in FIELDS order."""
    fault = r[2]
    event: dict[str, Any] = {"seq": seq, "t": r[1], "type": "fault"}
    for name in FAULT_FIELDS:
        value = fault.get(name)
        if value is not None:
            event[name] = value
    return event


_BUILDERS["fault"] = _fault


def to_dict(seq: int, record: tuple[Any, ...]) -> dict[str, Any]:
    """Build the event dict of a logged tuple `(type, t, field values...)`."""
    return _BUILDERS[record[0]](seq, record)


def to_dicts(first_seq: int, records: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Build the event dicts of a batch of logged tuples, numbered from `first_seq`."""
    builders = _BUILDERS
    return [builders[r[0]](first_seq + k, r) for k, r in enumerate(records)]


# -- the stored form, straight from the tuples --------------------------------
_INF: Final = float("inf")
_NAN: Final = float("nan")
string_text = encode_basestring_ascii  # json.dumps's own, for its default ensure_ascii


def value_text(value: object) -> str:
    """`value` as `json.dumps(value, separators=(",", ":"))` writes it."""
    if type(value) is str:
        return string_text(value)
    if type(value) is float:
        if value != value or value == _INF or value == -_INF:
            return json.dumps(value)  # NaN, Infinity, -Infinity
        return repr(value)
    if type(value) is int:
        return str(value)
    return json.dumps(value, separators=(",", ":"))  # None, bools, lists, dicts


_ROW_STARTS: dict[tuple[str, str, str], str] = {}


def rows_text(rows: tuple[Any, ...]) -> str:
    """Rows (build_with) as `json.dumps` writes the list of objects they stand for."""
    heads = [string_text(key) + ":" for key in rows[0]]
    columns = rows[1:]
    if len(heads) == 2:  # the balancer's candidates: one concatenation a row
        first, second = "{" + heads[0], "," + heads[1]
        # A row's text up to its second value, kept per first value: a balancer picks
        # among the same few targets all run long (bounded, for a worker that runs many).
        starts = _ROW_STARTS
        if len(starts) >= 4096:
            starts.clear()
        objects = []
        for a, b in zip(columns[0], columns[1], strict=True):
            start = starts.get((first, second, a)) if type(a) is str else None
            if start is None:
                start = first + value_text(a) + second
                if type(a) is str:
                    starts[(first, second, a)] = start
            objects.append(start + value_text(b) + "}")
    else:
        objects = [
            "{" + ",".join([head + value_text(x) for head, x in zip(heads, row, strict=True)]) + "}"
            for row in zip(*columns, strict=True)
        ]
    return "[" + ",".join(objects) + "]"


# How each type is written: `,"type":"…"`, `,"field":` for each field after it, and the
# kind's `fields` (build_with) or None for the logged tuple's own values. A type without
# a plan (`fault`, `metrics`: nested values) is written as json.dumps of its dict.
Plan = tuple[str, tuple[str, ...], Callable[[tuple[Any, ...]], tuple[Any, ...]] | None]


def _plan(kind: str, fields: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None) -> Plan:
    keys = tuple(f",{string_text(name)}:" for name in FIELDS[kind])
    return (f',"type":{string_text(kind)}', keys, fields)


_PLANS: dict[str, Plan] = {
    kind: _plan(kind, None) for kind in FIELDS if kind not in ("fault", "metrics")
}


def _dump(seq: int, r: tuple[Any, ...]) -> str:
    """An event written as `json.dumps` of its dict (a type without a plan)."""
    return json.dumps(_BUILDERS[r[0]](seq, r), separators=(",", ":"))


def _native_stored() -> Any:
    try:
        return importlib.import_module("patterns._stored")
    except ImportError:
        return None


# `to_lines` in C (patterns/stored.c, the same bytes): built with the compiled engine
# only, where building and joining small strings and CPython's float repr cost more
# than the simulation itself; None in pure Python, which writes them below.
NATIVE_STORED: Final = _native_stored()


def to_lines(first_seq: int, records: list[tuple[Any, ...]]) -> str:
    """The events of a batch of logged tuples in their stored form, numbered from
    `first_seq`: one line each, what `json.dumps(e, separators=(",", ":"))` writes for
    each of `to_dicts(first_seq, records)` followed by a newline, byte for byte, without
    building the dicts, as one string (what a JSON Lines file holds)."""
    if NATIVE_STORED is not None:
        text: str = NATIVE_STORED.lines(first_seq, records, _PLANS, value_text, _dump)
        return text
    out: list[str] = []
    seq = first_seq
    plans = _PLANS
    # The text of the last time written: the events of one instant share it,
    # and a float's shortest repr is the dearest part of an event.
    last_t = _NAN  # equal to nothing
    last_text = ""
    for r in records:
        t = r[1]
        if not (type(t) is float and t == last_t and t != 0.0):  # 0.0 == -0.0: apart
            last_t = t if type(t) is float else _NAN
            last_text = value_text(t)
        plan = plans.get(r[0])
        if plan is None:
            out.append(_dump(seq, r))
            out.append("\n")
            seq += 1
            continue
        type_text, keys, fields = plan
        if fields is None:
            values = r  # a record too short raises IndexError below
            k = 2
        else:
            values = fields(r)
            k = 0
            if len(values) != len(keys):
                raise ValueError("zip() arguments have different lengths")
        out.append(f'{{"seq":{seq},"t":{last_text}{type_text}')
        for key in keys:
            value = values[k]
            k += 1
            out.append(key)
            if type(value) is str:
                out.append(string_text(value))
            elif type(value) is float and value == last_t and value != 0.0:
                out.append(last_text)
            elif fields is not None and type(value) is tuple:
                out.append(rows_text(value))
            else:
                out.append(value_text(value))
        out.append("}\n")
        seq += 1
    return "".join(out)


def to_json(first_seq: int, records: list[tuple[Any, ...]]) -> list[str]:
    """`to_lines` as a list of texts, one per event (a JSON text holds no newline: one
    in a string is written as the two characters \\n)."""
    return to_lines(first_seq, records).split("\n")[:-1]
