"""Databases: one store whose calls queue for one of `concurrency` connections.

A call is a read (`read_ms`) unless its edge says `"op": "write"` (`write_ms`).

An aggregator's `store` writes, and a fetching client reads, rows keyed by
request id through `ById`: the row exists from the moment its write is
served, and a read finds it only if it was served after that moment, so
both pay their latency, queueing for a connection included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from patterns import schema
from patterns.distributions import sampler
from patterns.nodes.base import OK, Drawing, Node, Reply, Request, Target, register
from patterns.nodes.service import Service
from patterns.schema import Int, Num, gettext_noop

if TYPE_CHECKING:
    from patterns.engine import Simulation
    from patterns.topology import Graph, Location


class Database(Service):
    """A connection pool with a FIFO queue; reads and writes take their own time."""

    kind = "database"
    fields = {
        "read_ms": Num(2, 0, schema.MAX_MS, help=gettext_noop("How long a read takes, in ms.")),
        "write_ms": Num(5, 0, schema.MAX_MS, help=gettext_noop("How long a write takes, in ms.")),
        "concurrency": Int(
            10, 1, schema.MAX_CONCURRENCY, help=gettext_noop("How many calls it serves at once.")
        ),
    }
    # Built on a service's queue and workers, but one instance, not a pool.
    pooled = False
    scalable = False
    stage = False
    events = {
        # Extensions for rows kept by request id (`ById`): an aggregator's
        # result written to its store, and a client's fetch of it (`attempt`
        # counts from 1; `found` is false while nothing is written).
        "store.write": ("req", "node", "from"),
        "store.read": ("req", "node", "from", "attempt", "found"),
    }
    drawing = Drawing("⛁", "#e0e0e0", "#333", gettext_noop("database"), 130)

    @staticmethod
    def check_graph(graph: Graph, node: dict[str, Any], at: Location) -> None:
        Node.check_graph(graph, node, at)

    @staticmethod
    def instances_of(node: dict[str, Any]) -> int:
        return 1

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


register(Database)


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
                        db.sim.seq += 1
                else:
                    found = self.found[r.id] = r.id in db.rows
                    if db.log is not None:
                        attempt = self.attempt.get(r.id, 1)
                        db.log.append(("store.read", now, r.id, db.id, self.caller, attempt, found))
                    else:
                        db.sim.seq += 1
            reply(r, outcome)

        db.all[0].accept(req, served, op)
