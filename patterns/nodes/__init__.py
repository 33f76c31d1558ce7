"""Node behaviour, one module per kind; importing this package registers them all."""

from __future__ import annotations

from patterns.nodes import database, emitters, function, load_balancer, orchestrator, service
from patterns.nodes import aggregator, dispatcher  # scatter-gather
from patterns.nodes import broker, filter  # pipes and filters, message brokers
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
    "database",
    "emitters",
    "function",
    "load_balancer",
    "orchestrator",
    "service",
]
