"""Warnings about asynchronous cycles that never die out: valid, but a run will not end well.

A cycle of synchronous calls is refused (it would deadlock, patterns.topology).
A cycle through a topic, a queue or a pipe is allowed: a retry topic that
sends a failed message round again is a pattern. Such a cycle is harmless
when messages leave it more often than they come back, and a storm when
they do not: every message that enters it comes back, and comes back as
more than one when a topic delivers to several nodes of the cycle or a
filter splits. A run of it stops only at its budget (patterns/budget.py).

`warnings_of(doc)` measures each cycle's growth per round: the spectral
radius of the matrix of how many messages each node of the cycle sends to
each other one per message it handles (a topic: one per consumer; a queue or
a balancer: one shared among its consumers; a filter: `split` per pipe; an
aggregator: one per reply it merges; any other node: one per outgoing edge;
an error edge: the node's `failure_rate`). Above 1, the traffic grows every
round; at 1, a message goes round for ever. Both are warned about, not
refused: a storm can be what a lesson means to show, and the budget bounds it.
"""

from __future__ import annotations

from typing import Any

from patterns.topology import Location, Problem

# How close to 1 a growth counts as 1 (a message going round unchanged).
_TOLERANCE = 1e-6
_ITERATIONS = 500


def warnings_of(doc: dict[str, Any]) -> list[Problem]:
    """Every asynchronous cycle of a loaded (normalised) document that does not die out."""
    nodes = [n for n in doc.get("nodes", []) if n]
    by_id = {n["id"]: n for n in nodes}
    index = {n["id"]: i for i, n in enumerate(doc.get("nodes", [])) if n}
    weights = _weights(by_id, [e for e in doc.get("edges", []) if e])
    problems = []
    for component in _components(list(by_id), weights):
        if len(component) < 2:
            continue
        growth = _growth(component, weights)
        if growth < 1 - _TOLERANCE:
            continue
        first = min(component, key=lambda n: index[n])
        loop = " -> ".join(_shortest_cycle(first, component, weights))
        if growth > 1 + _TOLERANCE:
            # The radius is per hop; a round of the cycle shown is its length in hops.
            per_round = growth ** (loop.count(" -> "))
            message = (
                f"asynchronous cycle {loop}: messages multiply as they go round it (about "
                f"{per_round:.2g} for each one, every round), so the traffic grows without "
                "end; a run stops when it goes over its budget"
            )
        else:
            message = (
                f"asynchronous cycle {loop}: a message that enters it goes round for ever "
                "(nothing takes it out of the cycle); a run stops when it goes over its budget"
            )
        problems.append(Problem(Location("nodes", index[first], name=first), message))
    return problems


def _weights(
    by_id: dict[str, dict[str, Any]], edges: list[dict[str, Any]]
) -> dict[str, dict[str, float]]:
    """Messages each node sends along each of its edges, per message it handles."""
    out: dict[str, dict[str, float]] = {n: {} for n in by_id}
    inbound: dict[str, set[str]] = {n: set() for n in by_id}
    for e in edges:
        if e["from"] in by_id and e["to"] in by_id:
            inbound[e["to"]].add(e["from"])
    for node_id, node in by_id.items():
        mine = [e for e in edges if e["from"] == node_id and e["to"] in by_id]
        ok = list(dict.fromkeys(e["to"] for e in mine if e["when"] == "ok"))
        kind = node["kind"]
        for e in mine:
            if e["when"] == "error":
                weight = float(node.get("failure_rate") or 0.0)
            elif kind in ("queue", "load_balancer"):
                weight = 1.0 / len(ok)
            elif kind == "filter":
                weight = float(node.get("split", 1))
            elif kind == "aggregator":
                weight = 1.0 / max(1, len(inbound[node_id]))
            else:
                weight = 1.0
            if weight > 0:
                # A topic delivers once per consumer however many edges lead to it.
                merge = max if kind in ("topic", "queue") else _sum
                out[node_id][e["to"]] = merge(out[node_id].get(e["to"], 0.0), weight)
    return out


def _sum(a: float, b: float) -> float:
    return a + b


def _components(ids: list[str], weights: dict[str, dict[str, float]]) -> list[list[str]]:
    """Strongly connected components (Tarjan's, without recursion)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in ids:
        if root in order:
            continue
        work = [(root, iter(weights[root]))]
        order[root] = low[root] = len(order)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in order:
                    order[child] = low[child] = len(order)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(weights[child])))
                elif child in on_stack:
                    low[node] = min(low[node], order[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == order[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(component)
    return found


def _growth(component: list[str], weights: dict[str, dict[str, float]]) -> float:
    """The spectral radius of the component's weights (messages per message, per round).

    Power iteration on I + M, which has the same eigenvector and a radius 1 larger
    and, unlike M, converges on a plain cycle; the Collatz-Wielandt bounds
    (min and max of (Ax)_i / x_i) close in on it from both sides.
    """
    members = set(component)
    x = dict.fromkeys(component, 1.0)
    low = high = 1.0
    for _ in range(_ITERATIONS):
        y = dict(x)
        for node in component:
            for target, w in weights[node].items():
                if target in members:
                    y[target] += w * x[node]
        ratios = [y[n] / x[n] for n in component]
        low, high = min(ratios), max(ratios)
        if high - low < _TOLERANCE:
            break
        # Enough to say which side of 1 it is on and to print it to two digits.
        if (low > 2 + _TOLERANCE or high < 2 - _TOLERANCE) and high - low < 1e-3 * high:
            break
        top = max(y.values())
        x = {n: v / top for n, v in y.items()}
    return (low + high) / 2 - 1


def _shortest_cycle(
    start: str, component: list[str], weights: dict[str, dict[str, float]]
) -> list[str]:
    """The nodes of a shortest cycle from `start` back to it, inside the component."""
    members = set(component)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in weights[node]:
                if target not in members:
                    continue
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [*reversed(path), start]
                if target not in came_from:
                    came_from[target] = node
                    following.append(target)
        frontier = following
    return [start, start]
