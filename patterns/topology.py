"""Loading a topology document: validate it in full, then fill in its defaults.

`load(raw)` takes any Python value (usually parsed JSON) and either returns
the normalised document or raises `TopologyError` listing every problem,
each naming the node, edge, fault or field it is about. It never raises
anything else, whatever it is given. docs/topology.md states the rules; the
field tables live in `patterns.schema`, each kind's own in its module, as do
the kind's graph checks (`Node.fields`, `Node.check`; patterns/nodes/).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from patterns import schema
from patterns.nodes import KINDS, Node, kind_names
from patterns.schema import Field

_ID = re.compile(schema.ID_PATTERN)
_show = schema.show


@dataclass(frozen=True)
class Location:
    """Where in a document a problem is, as parts: the editor and the API read these.

    `where` is the list an item is in ("nodes", "edges", "faults"; "fault" for a live
    fault), `index` its place there, `name` a node's id and `ends` an edge's (once they
    are valid ids), `field` the item's field (or a top-level one, with `where` empty),
    and `sub` the part of a structured field ("mean_ms", "[0]", "[1].call",
    '["api#0"]'). `str()` writes the path the API has always answered
    (docs/topology.md#problems-and-their-paths): the string is made from the parts,
    never parsed back into them. A location given as a plain string (a problem
    outside a topology, "scale.node") is all `field`.
    """

    where: str = ""
    index: int | None = None
    name: str | None = None
    ends: tuple[str, str] | None = None
    field: str = ""
    sub: str = ""

    def __str__(self) -> str:
        head = self.where
        if self.index is not None:
            head += f"[{self.index}]"
        if self.name is not None:
            head += f' "{self.name}"'
        if self.ends is not None:
            head += f" ({self.ends[0]} -> {self.ends[1]})"
        tail = self.field
        if self.sub:
            tail += self.sub if self.sub.startswith("[") else f".{self.sub}"
        return f"{head}.{tail}" if head and tail else head or tail

    def child(self, name: str) -> Location:
        """The location of `name` inside this one (`.name` in the path)."""
        if not self.field:
            return replace(self, field=name)
        return replace(self, sub=f"{self.sub}.{name}" if self.sub else name)

    def item(self, key: int | str) -> Location:
        """The location of item `key` of this list or mapping (`[key]` in the path)."""
        if not self.field:
            # Only fields hold lists and mappings; a bracket on an item would be no path.
            raise ValueError(f"no field to index at {self}")
        return replace(self, sub=f"{self.sub}[{key}]")

    def to_dict(self) -> dict[str, Any]:
        """The parts, for JSON: unset ones are left out."""
        out: dict[str, Any] = {}
        if self.where:
            out["where"] = self.where
        if self.index is not None:
            out["index"] = self.index
        if self.name is not None:
            out["name"] = self.name
        if self.ends is not None:
            out["ends"] = list(self.ends)
        if self.field:
            out["field"] = self.field
        if self.sub:
            out["sub"] = self.sub
        return out


# The document itself: the location of its top-level fields' problems.
DOCUMENT = Location()


@dataclass(frozen=True, init=False)
class Problem:
    """One reason a document is refused: where (`at`, written as `path`) and why (`message`)."""

    at: Location
    message: str

    def __init__(self, at: Location | str, message: str) -> None:
        # Frozen: set once, here. A plain string is a location outside a topology.
        object.__setattr__(self, "at", at if isinstance(at, Location) else Location(field=at))
        object.__setattr__(self, "message", message)

    @property
    def path(self) -> str:
        """The location as the API writes it: `nodes[3] "api".replicas`."""
        return str(self.at)

    def __str__(self) -> str:
        path = self.path
        return f"{path}: {self.message}" if path else self.message

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class TopologyError(Exception):
    """A document refused as a whole; `problems` lists every reason."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def load(raw: Any) -> dict[str, Any]:
    """Validate `raw` and return it normalised, or raise TopologyError.

    Normalised: every field of every node's kind present with its default,
    durations as objects, edges and faults as complete lists. Loading a
    normalised document returns an equal document. `raw` is not modified.
    """
    checker = _Checker()
    doc = checker.document(raw)
    if checker.problems:
        raise TopologyError(checker.problems)
    return doc


def check(raw: Any) -> list[Problem]:
    """Every problem of `raw` (an empty list when it would load)."""
    checker = _Checker()
    checker.document(raw)
    return checker.problems


def check_fault(doc: dict[str, Any], fault: Any) -> list[Problem]:
    """Problems of one live fault against a loaded document (path `fault`)."""
    checker = _Checker()
    checker.live_fault(doc, fault)
    return checker.problems


def load_fault(doc: dict[str, Any], fault: Any) -> dict[str, Any]:
    """One live fault, validated against a loaded document and normalised."""
    checker = _Checker()
    normalised = checker.live_fault(doc, fault)
    if checker.problems:
        raise TopologyError(checker.problems)
    return normalised


def instance_count(node: dict[str, Any]) -> int:
    """How many instances a normalised node can ever have (its NODE#i range)."""
    return KINDS[node["kind"]].instances_of(node)


def is_synchronous(from_kind: str, to_kind: str) -> bool:
    """Whether an edge between these kinds is a call whose sender waits (docs/topology.md)."""
    sender, receiver = KINDS[from_kind], KINDS[to_kind]
    if sender.sends_async or receiver.receives_async:
        return False
    return not (sender.pipe and receiver.pipe)


def _number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and (isinstance(value, int) or math.isfinite(value))
    )


def _bounds(f: Field) -> str:
    low = "" if f.minimum is None else f"{'>' if f.exclusive_min else '>='} {_fmt(f.minimum)}"
    high = "" if f.maximum is None else f"<= {_fmt(f.maximum)}"
    return " and ".join(part for part in (low, high) if part)


def _fmt(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


class _Checker:
    """Collects problems while it walks a document; returns normalised parts."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        # Ids of nodes refused before their kind was known: an edge to one
        # of them is not also reported as pointing nowhere.
        self.broken_ids: set[str] = set()

    def add(self, at: Location, message: str) -> None:
        self.problems.append(Problem(at, message))

    # -- values ---------------------------------------------------------

    def value(self, f: Field, raw: Any, at: Location) -> Any:
        """Check one value against its field; return it normalised (or the default)."""
        if raw is None and f.nullable:
            return None
        checker = getattr(self, f"_value_{f.type}")
        return checker(f, raw, at)

    def _value_int(self, f: Field, raw: Any, at: Location) -> Any:
        ok = isinstance(raw, int) and not isinstance(raw, bool)
        if ok and not self._in_range(f, raw):
            ok = False
        if not ok:
            if f.minimum == f.maximum and f.minimum is not None:
                self.add(at, f"must be {_fmt(f.minimum)} (got {_show(raw)})")
            elif f.maximum is not None and f.maximum > 1e15:
                self.add(at, f"must be an integer (got {_show(raw)})")
            else:
                self.add(at, f"must be an integer {_bounds(f)} (got {_show(raw)})")
            return f.default
        return raw

    def _value_number(self, f: Field, raw: Any, at: Location) -> Any:
        if not _number(raw) or not self._in_range(f, raw):
            self.add(at, f"must be a number {_bounds(f)} (got {_show(raw)})")
            return f.default
        return raw

    def _in_range(self, f: Field, raw: int | float) -> bool:
        if f.minimum is not None:
            if raw < f.minimum or (f.exclusive_min and raw == f.minimum):
                return False
        return f.maximum is None or raw <= f.maximum

    def _value_bool(self, f: Field, raw: Any, at: Location) -> Any:
        if not isinstance(raw, bool):
            self.add(at, f"must be true or false (got {_show(raw)})")
            return f.default
        return raw

    def _value_string(self, f: Field, raw: Any, at: Location) -> Any:
        limit = int(f.maximum or 0)
        if not isinstance(raw, str):
            self.add(at, f"must be a string (got {_show(raw)})")
            return f.default
        if len(raw) > limit:
            self.add(at, f"must be at most {limit} characters (got {len(raw)})")
            return f.default
        return raw

    def _value_enum(self, f: Field, raw: Any, at: Location) -> Any:
        if not isinstance(raw, str) or raw not in f.choices:
            self.add(at, f"must be one of {', '.join(f.choices)} (got {_show(raw)})")
            return f.default
        return raw

    def _value_duration(self, f: Field, raw: Any, at: Location) -> Any:
        if _number(raw):
            if not 0 <= raw <= schema.MAX_MS:
                self.add(at, f"must be >= 0 and <= {_fmt(schema.MAX_MS)} ms (got {_show(raw)})")
                return dict(f.default)
            return {"dist": "constant", "ms": raw}
        if not isinstance(raw, dict):
            self.add(
                at,
                "must be a number of ms or an object such as "
                f'{{"dist": "exponential", "mean_ms": 50}} (got {_show(raw)})',
            )
            return dict(f.default)
        dist = raw.get("dist")
        if not isinstance(dist, str) or dist not in schema.DURATION_KEYS:
            self.add(
                at.child("dist"),
                f"must be one of {', '.join(schema.DURATION_KEYS)} (got {_show(dist)})",
            )
            return dict(f.default)
        keys = schema.DURATION_KEYS[dist]
        before = len(self.problems)
        out: dict[str, Any] = {"dist": dist}
        for key in raw:
            if key != "dist" and key not in keys:
                self.add(at, f"unknown field {_show(key)} for a {dist} duration")
        for key in keys:
            value = raw.get(key)
            sub = at.child(key)
            if value is None:
                self.add(sub, f"is required for a {dist} duration")
                continue
            positive = key in ("mean_ms", "median_ms", "sigma")
            if not _number(value) or value < 0 or (positive and value == 0):
                self.add(
                    sub, f"must be a number {'>' if positive else '>='} 0 (got {_show(value)})"
                )
                continue
            if value > schema.MAX_MS:
                self.add(sub, f"must be <= {_fmt(schema.MAX_MS)} (got {_show(value)})")
                continue
            out[key] = value
        if dist == "uniform" and len(self.problems) == before and out["min_ms"] > out["max_ms"]:
            self.add(at, f"min_ms {_show(out['min_ms'])} is above max_ms {_show(out['max_ms'])}")
        if len(self.problems) != before:
            return dict(f.default)
        return out

    def _value_zones(self, f: Field, raw: Any, at: Location) -> Any:
        if not isinstance(raw, list):
            self.add(at, f"must be a list of zone names (got {_show(raw)})")
            return []
        if len(raw) > schema.MAX_ZONES:
            self.add(at, f"must list at most {schema.MAX_ZONES} zones (got {len(raw)})")
            return []
        out: list[str] = []
        for i, zone in enumerate(raw):
            sub = at.item(i)
            if not isinstance(zone, str) or not 1 <= len(zone) <= schema.MAX_ZONE_NAME:
                self.add(sub, f"must be a zone name of 1 to {schema.MAX_ZONE_NAME} characters")
            elif zone in out:
                self.add(sub, f"zone {_show(zone)} is listed twice")
            else:
                out.append(zone)
        return out

    def _value_record(self, f: Field, raw: Any, at: Location) -> Any:
        if not isinstance(raw, dict):
            self.add(at, f"must be an object (got {_show(raw)})")
            raw = {} if f.default is not None else None
            if raw is None:
                return None
        return self.table(f.fields, raw, at, "this object")

    def _value_weights(self, f: Field, raw: Any, at: Location) -> Any:
        if not isinstance(raw, dict):
            self.add(at, f'must be an object such as {{"api#0": 3}} (got {_show(raw)})')
            return {}
        if len(raw) > schema.MAX_INSTANCES:
            self.add(at, f"must have at most {schema.MAX_INSTANCES} entries")
            return {}
        out: dict[str, Any] = {}
        for target, weight in raw.items():
            sub = at.item(_show(target))
            if not _number(weight) or not 0 < weight <= schema.MAX_WEIGHT:
                self.add(
                    sub,
                    f"must be a number > 0 and <= {_fmt(schema.MAX_WEIGHT)} (got {_show(weight)})",
                )
            else:
                out[target] = weight
        return out

    def _value_steps(self, f: Field, raw: Any, at: Location) -> Any:
        if not isinstance(raw, list):
            self.add(at, f"must be a list of steps (got {_show(raw)})")
            return []
        if len(raw) > schema.MAX_STEPS:
            self.add(at, f"must have at most {schema.MAX_STEPS} steps (got {len(raw)})")
            return []
        out: list[Any] = []
        for i, step in enumerate(raw):
            sub = at.item(i)
            if isinstance(step, dict) and "parallel" in step:
                extra = [k for k in step if k != "parallel"]
                if extra:
                    self.add(sub, f'a parallel step has only "parallel" (got {_show(extra)})')
                branches = step["parallel"]
                if not isinstance(branches, list) or not branches:
                    self.add(sub.child("parallel"), "must be a non-empty list of call steps")
                    continue
                if len(branches) > schema.MAX_STEPS:
                    self.add(sub.child("parallel"), f"must have at most {schema.MAX_STEPS} steps")
                    continue
                calls = [
                    self.call_step(branch, sub.child("parallel").item(j))
                    for j, branch in enumerate(branches)
                ]
                out.append({"parallel": calls})
            else:
                out.append(self.call_step(step, sub))
        return out

    def call_step(self, raw: Any, at: Location) -> dict[str, Any]:
        if not isinstance(raw, dict):
            self.add(at, f'must be a step such as {{"call": "payment"}} (got {_show(raw)})')
            return {}
        if "call" not in raw:
            self.add(at, 'a step needs "call" (a node id) or "parallel" (a list of steps)')
        return self.table(schema.CALL_STEP, raw, at, "a step")

    def table(
        self, fields: dict[str, Field], raw: dict[Any, Any], at: Location, what: str
    ) -> dict[str, Any]:
        """Check an object against a table; refuse unknown keys; fill defaults."""
        for key in raw:
            if key not in fields:
                known = ", ".join(fields) or "no fields"
                # The object's own location names where it is; the document itself has
                # none, so there the field names the problem.
                where = at.child(str(key)) if at == DOCUMENT else at
                self.add(where, f"unknown field {_show(key)} for {what} (it has: {known})")
        out: dict[str, Any] = {}
        for name, f in fields.items():
            if name in raw:
                out[name] = self.value(f, raw[name], at.child(name))
            elif f.type == "record" and f.default is not None:
                out[name] = self.table(f.fields, {}, at.child(name), name)
            elif isinstance(f.default, (dict, list)):
                out[name] = type(f.default)(f.default)
            else:
                out[name] = f.default
        return out

    # -- the document ---------------------------------------------------

    def document(self, raw: Any) -> dict[str, Any]:
        if not isinstance(raw, dict):
            self.add(DOCUMENT, f"a topology must be a JSON object (got {_show(raw)})")
            return {}
        lists = ("nodes", "edges", "faults")
        top = {k: v for k, v in raw.items() if k not in lists}
        doc = self.table(schema.TOP_LEVEL, top, DOCUMENT, "a topology")
        # A document built in code may omit the version; a JSON file says it.
        nodes = self.items(raw, "nodes", schema.MAX_NODES)
        edges = self.items(raw, "edges", schema.MAX_EDGES)
        faults = self.items(raw, "faults", schema.MAX_FAULTS)
        doc["nodes"] = [self.node(node, i) for i, node in enumerate(nodes)]
        doc["edges"] = [self.edge(edge, i) for i, edge in enumerate(edges)]
        doc["faults"] = [self.fault(fault, Location("faults", i)) for i, fault in enumerate(faults)]
        Graph(self, doc).check()
        return doc

    def items(self, raw: dict[Any, Any], name: str, cap: int) -> list[Any]:
        value = raw.get(name, [])
        if not isinstance(value, list):
            self.add(DOCUMENT.child(name), f"must be a list (got {_show(value)})")
            return []
        if len(value) > cap:
            self.add(DOCUMENT.child(name), f"must have at most {cap} entries (got {len(value)})")
            return []
        return value

    def node(self, raw: Any, i: int) -> dict[str, Any]:
        at = Location("nodes", i)
        if not isinstance(raw, dict):
            self.add(at, f"a node must be an object (got {_show(raw)})")
            return {}
        node_id = raw.get("id")
        if isinstance(node_id, str) and _ID.fullmatch(node_id):
            at = replace(at, name=node_id)
        elif node_id is None:
            self.add(at, 'needs an "id"')
        else:
            self.add(at, f"id must match {schema.ID_PATTERN} (got {_show(node_id)})")
        kind = raw.get("kind")
        if not isinstance(kind, str) or kind not in KINDS:
            self.add(at, f"kind must be one of {', '.join(kind_names())} (got {_show(kind)})")
            if isinstance(node_id, str):
                self.broken_ids.add(node_id)
            return {}
        fields = {**schema.COMMON, **KINDS[kind].fields}
        label = raw.get("label")
        if label is None:
            raw = {**raw, "label": node_id if isinstance(node_id, str) else ""}
        rest = {k: v for k, v in raw.items() if k not in ("id", "kind")}
        out = {"id": node_id, "kind": kind, **self.table(fields, rest, at, f"a {kind}")}
        if not (isinstance(node_id, str) and _ID.fullmatch(node_id)):
            return {}
        return out

    def edge(self, raw: Any, i: int) -> dict[str, Any]:
        at = Location("edges", i)
        if not isinstance(raw, dict):
            self.add(at, f"an edge must be an object (got {_show(raw)})")
            return {}
        ends = (raw.get("from"), raw.get("to"))
        src, dst = ends
        if isinstance(src, str) and isinstance(dst, str):
            if _ID.fullmatch(src) and _ID.fullmatch(dst):
                at = replace(at, ends=(src, dst))
        for name, end in zip(("from", "to"), ends, strict=True):
            if not (isinstance(end, str) and _ID.fullmatch(end)):
                self.add(at.child(name), f"must be a node id (got {_show(end)})")
        rest = {k: v for k, v in raw.items() if k not in ("from", "to")}
        out = {"from": ends[0], "to": ends[1], **self.table(schema.EDGE, rest, at, "an edge")}
        if not all(isinstance(end, str) and _ID.fullmatch(end) for end in ends):
            return {}
        return out

    def fault(self, raw: Any, at: Location) -> dict[str, Any]:
        if not isinstance(raw, dict):
            self.add(at, f"a fault must be an object (got {_show(raw)})")
            return {}
        kind = raw.get("kind")
        if not isinstance(kind, str) or kind not in schema.FAULTS:
            self.add(
                at.child("kind"),
                f"must be one of {', '.join(schema.FAULTS)} (got {_show(kind)})",
            )
            return {}
        fields = schema.FAULTS[kind]
        for name in ("node", "zone"):
            if name in fields and name not in raw:
                self.add(at, f'a {kind} fault needs "{name}"')
        rest = {k: v for k, v in raw.items() if k != "kind"}
        out = {"kind": kind, **self.table(fields, rest, at, f"a {kind} fault")}
        if any(out.get(name) is None for name in ("node", "zone") if name in fields):
            return {}
        return out

    def live_fault(self, doc: dict[str, Any], raw: Any) -> dict[str, Any]:
        fault = self.fault(raw, Location("fault"))
        if fault:
            graph = Graph(self, {**doc, "faults": []})
            graph.check_nodes()
            graph.check_fault(fault, Location("fault"))
        return fault


class Graph:
    """The rules that relate nodes, edges and faults to one another.

    Each kind adds its own (`Node.check`, in its module) through `add`,
    `targets`, `instance_count` and the lookups here.
    """

    def __init__(self, checker: _Checker, doc: dict[str, Any]) -> None:
        self.checker = checker
        self.doc = doc
        self.by_id: dict[str, dict[str, Any]] = {}
        self.locations: dict[str, Location] = {}
        self.index: dict[str, int] = {}
        self.out: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.zones: set[str] = set()

    def add(self, at: Location, message: str) -> None:
        self.checker.add(at, message)

    def check(self) -> None:
        self.check_nodes()
        self.check_edges()
        self.check_node_rules()
        self.check_cycles()
        for i, fault in enumerate(self.doc["faults"]):
            if fault:
                self.check_fault(fault, Location("faults", i))

    def check_nodes(self) -> None:
        for i, node in enumerate(self.doc["nodes"]):
            if not node:
                continue
            node_id = node["id"]
            at = Location("nodes", i, name=node_id)
            if node_id in self.by_id:
                self.add(at, f'id "{node_id}" is already used by nodes[{self.index[node_id]}]')
                continue
            self.by_id[node_id] = node
            self.locations[node_id] = at
            self.index[node_id] = i
            self.out[node_id] = []
            self.zones.update(node.get("zones") or [])
            if node.get("zone"):
                self.zones.add(node["zone"])

    def known(self, node_id: str) -> bool:
        return node_id in self.by_id

    def missing(self, node_id: str) -> bool:
        return node_id not in self.by_id and node_id not in self.checker.broken_ids

    def check_edges(self) -> None:
        seen: dict[tuple[str, str, str, str], int] = {}
        for i, edge in enumerate(self.doc["edges"]):
            if not edge:
                continue
            src, dst = edge["from"], edge["to"]
            at = Location("edges", i, ends=(src, dst))
            bad = False
            for end in (src, dst):
                if self.missing(end):
                    self.add(at, f'no node "{end}"')
                if not self.known(end):
                    bad = True
            if src == dst:
                self.add(at, "an edge cannot connect a node to itself")
                continue
            key = (src, dst, edge["when"], edge["op"])
            if key in seen:
                self.add(at, f"duplicates edges[{seen[key]}]")
                continue
            seen[key] = i
            if bad:
                continue
            if KINDS[self.by_id[dst]["kind"]].emitter:
                self.add(at, f"a {self.by_id[dst]['kind']} emits work and cannot receive edges")
                continue
            self.out[src].append((i, edge))

    def targets(self, node_id: str) -> list[str]:
        """The nodes `node_id`'s `when: ok` edges lead to, in edge order, each once."""
        return list(dict.fromkeys(e["to"] for _, e in self.out[node_id] if e["when"] == "ok"))

    def kind_of(self, node_id: str) -> type[Node]:
        """The registered class of a known node's kind."""
        return KINDS[self.by_id[node_id]["kind"]]

    def instance_count(self, node_id: str) -> int:
        return instance_count(self.by_id[node_id])

    def check_node_rules(self) -> None:
        for node_id, node in self.by_id.items():
            at = self.locations[node_id]
            cls = KINDS[node["kind"]]
            if cls.emitter and not self.out[node_id]:
                self.add(at, f"{cls.kind} has no outgoing edge")
            cls.check_graph(self, node, at)

    def check_store(self, store: str, at: Location) -> None:
        if self.missing(store):
            self.add(at, f'no node "{store}"')
        elif self.known(store) and self.by_id[store]["kind"] != "database":
            self.add(at, f'"{store}" is a {self.by_id[store]["kind"]}, not a database')

    def check_cycles(self) -> None:
        """Refuse cycles of synchronous calls: every worker on the loop would wait forever."""
        calls: dict[str, list[tuple[int, str]]] = {node_id: [] for node_id in self.by_id}
        for node_id, edges in self.out.items():
            kind = self.by_id[node_id]["kind"]
            for i, edge in edges:
                if is_synchronous(kind, self.by_id[edge["to"]]["kind"]):
                    calls[node_id].append((i, edge["to"]))
        state: dict[str, int] = {}  # 1: on the current path, 2: done
        for root in calls:
            if root in state:
                continue
            stack: list[tuple[str, int]] = [(root, 0)]
            on_path = [root]
            state[root] = 1
            while stack:
                node_id, next_edge = stack[-1]
                if next_edge == len(calls[node_id]):
                    stack.pop()
                    on_path.pop()
                    state[node_id] = 2
                    continue
                stack[-1] = (node_id, next_edge + 1)
                i, dst = calls[node_id][next_edge]
                if state.get(dst) == 1:
                    loop = on_path[on_path.index(dst) :] + [dst]
                    self.add(
                        Location("edges", i, ends=(node_id, dst)),
                        f"synchronous calls form a cycle {' -> '.join(loop)}, which would deadlock",
                    )
                elif dst not in state:
                    state[dst] = 1
                    stack.append((dst, 0))
                    on_path.append(dst)

    def check_fault(self, fault: dict[str, Any], at: Location) -> None:
        if fault["kind"] == "zone_down":
            if fault["zone"] not in self.zones:
                known = ", ".join(sorted(self.zones)) or "none"
                self.add(at.child("zone"), f'no node is in zone "{fault["zone"]}" (zones: {known})')
            return
        node_id = fault["node"]
        if self.missing(node_id):
            self.add(at.child("node"), f'no node "{node_id}"')
            return
        if not self.known(node_id):
            return
        node = self.by_id[node_id]
        if not KINDS[node["kind"]].faultable:
            self.add(at.child("node"), f"a {node['kind']} has no instances to {fault['kind']}")
            return
        count = instance_count(node)
        if fault["instance"] is not None and fault["instance"] >= count:
            self.add(
                at.child("instance"),
                f"{node_id} has instances 0 to {count - 1} (got {fault['instance']})",
            )
