"""Node behaviour, one module per kind; importing this package registers them all."""

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
from patterns.nodes.base import FAILED, KINDS, OK, OUTCOMES, REJECTED, TIMED_OUT, Node, Request

__all__ = [
    "FAILED",
    "KINDS",
    "OK",
    "OUTCOMES",
    "REJECTED",
    "TIMED_OUT",
    "Node",
    "Request",
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
