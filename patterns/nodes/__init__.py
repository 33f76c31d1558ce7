"""Node behaviour, one module per kind; importing this package registers them all.

A kind's module declares everything about it (patterns/nodes/base.py, `Node`);
docs/adding-a-kind.md says how to add one.
"""

from __future__ import annotations

from patterns.nodes import (
    aggregator,  # scatter-gather
    broker,  # pipes and filters, message brokers
    database,
    dispatcher,  # scatter-gather
    emitters,
    filter,  # pipes and filters, message brokers
    function,
    load_balancer,
    orchestrator,
    service,
)
from patterns.nodes.base import (
    FAILED,
    KINDS,
    OK,
    OUTCOMES,
    REJECTED,
    TIMED_OUT,
    Drawing,
    Node,
    Request,
    kind_names,
    listed,
    register,
    unregister,
)

__all__ = [
    "FAILED",
    "KINDS",
    "Drawing",
    "OK",
    "OUTCOMES",
    "REJECTED",
    "TIMED_OUT",
    "Node",
    "Request",
    "kind_names",
    "listed",
    "register",
    "unregister",
    "aggregator",
    "broker",
    "database",
    "dispatcher",
    "emitters",
    "filter",
    "function",
    "load_balancer",
    "orchestrator",
    "service",
]
