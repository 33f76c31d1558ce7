"""Databases: one store whose calls queue for one of `concurrency` connections.

A call is a read (`read_ms`) unless its edge says `"op": "write"` (`write_ms`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from patterns.distributions import sampler
from patterns.nodes.base import Target, register
from patterns.nodes.service import Service

if TYPE_CHECKING:
    from patterns.engine import Simulation


@register("database")
class Database(Service):
    """A connection pool with a FIFO queue; reads and writes take their own time."""

    def __init__(self, sim: Simulation, spec: dict[str, Any]):
        spec = {**spec, "instances": 1, "concurrency": spec.get("concurrency", 10)}
        super().__init__(sim, spec)
        self.read = sampler(spec.get("read_ms", 2))
        self.write = sampler(spec.get("write_ms", 5))

    def initial_instances(self) -> int:
        return 1

    def work_time(self, u: float, op: str) -> float:
        return self.write(u) if op == "write" else self.read(u)

    def target_for_link(self) -> Target:
        return self.all[0]
