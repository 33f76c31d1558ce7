"""Databases: one store whose calls queue for one of `concurrency` connections.

A call is a read (`read_ms`) unless its edge says `"op": "write"` (`write_ms`).

An aggregator's `store` writes, and a fetching client reads, rows keyed by
request id through `ById`: the row exists from the moment its write is
served, and a read finds it only if it was served after that moment, so
both pay their latency, queueing for a connection included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from patterns.distributions import sampler
from patterns.nodes.base import OK, Reply, Request, Target, register
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
        self.rows: dict[int, float] = {}  # request id -> when its row was written

    def initial_instances(self) -> int:
        return 1

    def work_time(self, u: float, op: str) -> float:
        return self.write(u) if op == "write" else self.read(u)

    def target_for_link(self) -> Target:
        return self.all[0]

    def by_id(self, caller: str) -> ById:
        """The database as `caller` sees it when it writes or reads rows by request id."""
        return ById(self, caller)


class ById(Target):
    """One caller's path to the rows keyed by request id; logs `store.write` and `store.read`."""

    def __init__(self, db: Database, caller: str):
        self.db = db
        self.caller = caller
        self.name = db.all[0].name
        # Set by the caller before a read (for the event), and the read's
        # finding, kept until the answer is back with the caller.
        self.attempt: dict[int, int] = {}
        self.found: dict[int, bool] = {}

    def alive(self) -> bool:
        return self.db.all[0].alive()

    def accept(self, req: Request, reply: Reply, op: str) -> None:
        db = self.db

        def served(r: Request, outcome: int) -> None:
            if outcome == OK:
                now = db.kernel.now
                if op == "write":
                    db.rows.setdefault(r.id, now)
                    if db.log is not None:
                        db.log.append(("store.write", now, r.id, db.id, self.caller))
                else:
                    found = self.found[r.id] = r.id in db.rows
                    if db.log is not None:
                        attempt = self.attempt.get(r.id, 1)
                        db.log.append(("store.read", now, r.id, db.id, self.caller, attempt, found))
            reply(r, outcome)

        db.all[0].accept(req, served, op)
