"""The graph of a scatter-gather: which aggregator a dispatcher's workers reply to, and who replies.

Pure functions of a (normalised) document, shared by the validator and the engine.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from patterns.nodes.base import KINDS


def _broker(kind: Any) -> bool:
    """Whether `kind` names a registered broker kind (replies pass through it)."""
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    return cls is not None and cls.broker


def producers_of(doc: dict[str, Any], agg_id: str) -> list[str]:
    """The nodes whose replies reach `agg_id`: its senders, looking through topics and queues."""
    kinds = {n["id"]: n["kind"] for n in doc["nodes"]}
    into: dict[str, list[str]] = {}
    for edge in doc.get("edges", []):
        if edge.get("when", "ok") == "ok":
            into.setdefault(edge["to"], []).append(edge["from"])
    found: list[str] = []
    seen = {agg_id}
    todo = deque(into.get(agg_id, []))
    while todo:
        node_id = todo.popleft()
        if node_id in seen:
            continue
        seen.add(node_id)
        if _broker(kinds.get(node_id)):
            todo.extend(into.get(node_id, []))
        else:
            found.append(node_id)
    return found


def aggregators_reached(doc: dict[str, Any], start: str) -> list[str]:
    """The aggregators reachable from `start` along `ok` edges, not looking past an aggregator."""
    kinds = {n["id"]: n["kind"] for n in doc["nodes"]}
    out: dict[str, list[str]] = {}
    for edge in doc.get("edges", []):
        if edge.get("when", "ok") == "ok":
            out.setdefault(edge["from"], []).append(edge["to"])
    found: list[str] = []
    seen = {start}
    todo = deque([start])
    while todo:
        node_id = todo.popleft()
        for nxt in out.get(node_id, []):
            if nxt in seen:
                continue
            seen.add(nxt)
            if kinds.get(nxt) == "aggregator":
                found.append(nxt)
            else:
                todo.append(nxt)
    return found
