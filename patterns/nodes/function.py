"""Serverless functions: instances start on demand and stop when idle.

A call goes to a warm instance with a free worker; with none, a new instance
starts (paying `cold_start_ms`) while fewer than `max_instances` exist; past
that, the call waits in the function's one queue. An instance unused for
`idle_ms` stops. `instances` is how many start warm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from patterns import schema
from patterns.nodes.base import REJECTED, Drawing, Reply, Request, register
from patterns.nodes.service import POOL_FIELDS, STARTING, STOPPED, UP, Instance, Job, Service
from patterns.schema import Int, Num, gettext_noop

if TYPE_CHECKING:
    from patterns.engine import Simulation
    from patterns.topology import Graph, Location


class Function(Service):
    """A pool that grows on demand up to `max_instances` and shrinks when idle."""

    kind = "function"
    fields = {
        **POOL_FIELDS,
        # A function may start with no warm instance: every first call is cold.
        "instances": Int(
            1, 0, schema.MAX_INSTANCES, help=gettext_noop("How many copies of it run at the start.")
        ),
        "max_instances": Int(
            10,
            1,
            schema.MAX_INSTANCES,
            help=gettext_noop("The most instances it starts on demand."),
        ),
        "cold_start_ms": Num(
            250,
            0,
            schema.MAX_MS,
            help=gettext_noop("How long a new instance takes to start, in ms."),
        ),
        "idle_ms": Num(
            60_000,
            0,
            schema.MAX_MS,
            help=gettext_noop("An instance with nothing to do stops after this long, in ms."),
        ),
    }
    # It sizes itself on demand, up to max_instances: not resized by hand.
    scalable = False
    drawing = Drawing("λ", "#cfeee4", "#00664a", gettext_noop("function"), 50)

    @staticmethod
    def check_graph(graph: Graph, node: dict[str, Any], at: Location) -> None:
        Service.check_graph(graph, node, at)
        if node["instances"] > node["max_instances"]:
            graph.add(
                at.child("instances"),
                f"{node['instances']} is above max_instances {node['max_instances']}",
            )

    @staticmethod
    def instances_of(node: dict[str, Any]) -> int:
        return int(max(node["instances"], node["max_instances"]))

    shared_queue = True

    def __init__(self, sim: Simulation, spec: dict[str, Any]):
        self.max_instances = max(1, int(spec.get("max_instances", 10)))
        self.cold_start_ms = float(spec.get("cold_start_ms", 250))
        self.idle_ms = float(spec.get("idle_ms", 60_000))
        self.cold_starts = 0
        self.held: dict[int, Job] = {}
        super().__init__(sim, spec)
        for inst in self.all:
            inst.queue = self.shared()
            inst.queue_limit = None

    def autoscale_on(self, spec: dict[str, Any]) -> bool:
        return True  # functions always watch for idle instances

    def initial_instances(self) -> int:
        return int(self.spec.get("instances", 0))

    def shared(self) -> Any:
        if getattr(self, "_queue", None) is None:
            from collections import deque

            self._queue: Any = deque()
        return self._queue

    def target_for_link(self) -> Function:
        return self

    def targets(self) -> list[Any]:
        return [self]

    def alive(self) -> bool:
        return not self.crashed_whole

    def accept(self, req: Request, reply: Reply, op: str) -> None:
        if self.crashed_whole:
            self.refuse(req, reply, "function is down")
            return
        for inst in self.members:
            if inst.busy < inst.workers and not inst.crashed:
                inst.begin(Job(req, reply, op, inst))
                return
        live = [i for i in self.all if i.state != STOPPED]
        if len(live) < self.max_instances:
            inst = self.cold_start()
            self.held[inst.index] = Job(req, reply, op, inst)
            return
        queue = self.shared()
        limit = self.queue_limit
        if limit is not None and len(queue) >= limit:
            self.rejected += 1
            if self.log is not None:
                self.log.append(("node.reject", self.kernel.now, req.id, self.id, self.id))
            else:
                self.sim.seq += 1
            reply(req, REJECTED)
            return
        queue.append(Job(req, reply, op, live[0]))
        size = len(queue)
        for inst in live:
            if size > inst.queue_max:
                inst.queue_max = size

    def cold_start(self) -> Instance:
        """Start an instance in the first free slot; it serves after the cold start."""
        self.cold_starts += 1
        for inst in self.all:
            if inst.state == STOPPED:
                inst.crashed = 0
                self.set_state(inst, STARTING, "cold start")
                break
        else:
            inst = self.add_instance(STARTING)
            inst.queue = self.shared()
            inst.queue_limit = None
        self.kernel.after(self.cold_start_ms, self.warm, inst, None)
        return inst

    def warm(self, inst: Instance, _: object) -> None:
        if inst.state != STARTING:
            return
        self.set_state(inst, UP, f"cold start of {self.cold_start_ms:g} ms done")
        inst.last = self.kernel.now
        job = self.held.pop(inst.index, None)
        if job is not None:
            job.inst = inst
            if inst.crashed:
                inst.failed += 1
                job.reply(job.req, 1)
            else:
                inst.begin(job)
        inst.pull()

    def start(self) -> None:
        super().start()
        # An instance that starts warm and never gets a call is idle from the start.
        for inst in self.all:
            if inst.state == UP:
                self.idle(inst)

    def idle(self, inst: Instance) -> None:
        if inst.state != UP:
            return
        inst.idle_token += 1
        self.kernel.after(self.idle_ms, self.idle_check, inst, inst.idle_token)

    def idle_check(self, inst: Instance, token: int) -> None:
        if inst.idle_token == token and not inst.busy and inst.state == UP:
            self.set_state(inst, STOPPED, f"idle for {self.idle_ms:g} ms")

    def crash(self, instance: int | None, reason: str) -> None:
        if instance is None:
            self.crashed_whole += 1
            queue = self.shared()
            doomed = list(queue)
            queue.clear()
            for job in doomed:
                self.refuse(job.req, job.reply, reason)
        super().crash(instance, reason)

    def recover(self, instance: int | None, reason: str) -> None:
        if instance is None and self.crashed_whole:
            self.crashed_whole -= 1
        super().recover(instance, reason)

    def summary(self) -> dict[str, Any]:
        out = super().summary()
        out["cold_starts"] = self.cold_starts
        return out


register(Function)
