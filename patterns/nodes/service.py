"""Services: a pool of instances, each with a FIFO queue and `concurrency` workers.

A worker takes a request, works for the node's service time (times any
`slow` factor), may fail it (`failure_rate`), then calls the node's outgoing
edges one after another, waiting for each answer, and only then answers its
caller and takes the next request. A failed request goes down the node's
`when: error` edges, whose answer becomes the caller's answer; with none, the
failure goes back to the caller. A full queue rejects.

Autoscaling looks at the pool's utilisation every `interval_ms`, sizes the
pool so that it would sit at `target_utilization`, starts new instances that
serve after `startup_ms`, and drains surplus ones (no new work; they finish
what they hold, then stop).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from math import log
from typing import TYPE_CHECKING, Any, Final

from patterns import schema
from patterns.distributions import M64, NATIVE_DRAW, draw, sampler, stable_hash
from patterns.kernel import NORMAL, heappush
from patterns.nodes.base import (
    FAILED,
    OK,
    REJECTED,
    Drawing,
    Link,
    Node,
    Reply,
    Request,
    Target,
    register,
)
from patterns.schema import Duration, Enum, Field, Int, Num, Record, Str, gettext_noop

if TYPE_CHECKING:
    from patterns.engine import Simulation
    from patterns.topology import Graph, Location

# Instance states.
UP: Final = "up"  # serving (possibly crashed: see Instance.crashed)
STARTING: Final = "starting"  # booting (autoscale, cold start): not yet serving
DRAINING: Final = "draining"  # being removed: finishes what it holds, takes nothing new
STOPPED: Final = "stopped"
SERVING: Final = (UP, DRAINING)  # states in which an instance works off its queue


class Job:
    """One request being handled by one instance."""

    __slots__ = ("req", "reply", "op", "inst", "epoch", "step", "errors", "quiet")

    def __init__(self, req: Request, reply: Reply, op: str, inst: Instance):
        self.req = req
        self.reply = reply
        self.op = op
        self.inst = inst
        self.epoch = inst.epoch
        self.step = 0
        self.errors = False  # True once it is on the node's error edges
        self.quiet = False  # True when it passes nothing down its pipes (a filter's `pass_rate`)

    def answer(self, req: Request, outcome: int) -> None:
        """The answer of a downstream call this job waits for."""
        inst = self.inst
        if self.epoch != inst.epoch:
            return  # the instance crashed meanwhile: this job already failed
        if outcome != OK:
            inst.fail(self, outcome, "a call it made failed")
        else:
            inst.next_call(self)


class Instance(Target):
    """One instance `NODE#i` of a pooled node."""

    def __init__(self, node: Service, index: int, zone: str | None, queue: deque[Job] | None):
        self.node = node
        self.kernel = node.kernel
        self.log = node.log
        self.sim = node.sim
        self.index = index
        self.name = f"{node.id}#{index}"
        self.zone = zone
        self.workers = node.concurrency
        self.queue: deque[Job] = deque() if queue is None else queue
        self.queue_limit: int | None = node.queue_limit
        self.state = UP
        self.crashed = 0  # how many crash faults hold it down
        self.slow = 1.0
        self.epoch = 0  # bumped by a crash, so late callbacks of its jobs are ignored
        self.busy = 0
        self.active: set[Job] = set()
        self.processed = 0
        self.failed = 0
        self.rejected = 0
        self.queue_max = 0
        self.area = 0.0  # integral of busy workers over time (worker-ms)
        self.last = self.kernel.now
        self.idle_token = 0  # functions: invalidates an idle-stop check
        self.idle_hook = node.idle_hook  # called when the instance runs out of work
        self.heap = node.kernel.heap
        self.on_worked = self.worked  # bound once, not once per request
        self.up_from: float | None = self.kernel.now  # serving since, or None
        self.up_ms = 0.0  # time spent serving before up_from
        self.drain_until = 0.0  # draining: calls sent before the drain may arrive until then
        self.boots = 0  # invalidates the end of an earlier start-up of this slot
        self.drain_reason = ""
        self.drain_check = False  # a check at drain_until is scheduled

    # -- the request path ------------------------------------------------
    # The common path (accept, begin, worked, finish) is written flat, with
    # the kernel's heap used directly: it runs once per request per node.
    def accept(self, req: Request, reply: Reply, op: str) -> None:
        if self.crashed or self.state is STOPPED:
            self.failed += 1
            if self.log is not None:
                self.log.append(
                    (
                        "node.fail",
                        self.kernel.now,
                        req.id,
                        self.node.id,
                        self.name,
                        "instance is down",
                    )
                )
            else:
                self.sim.seq += 1
            reply(req, FAILED)
            return
        job = Job(req, reply, op, self)
        busy = self.busy
        if busy < self.workers and (self.state is UP or self.state is DRAINING):
            # `begin`, inlined: a free worker is the common case. A draining
            # instance still serves calls that were on their way to it.
            now = self.kernel.now
            self.area += busy * (now - self.last)
            self.last = now
            self.busy = busy + 1
            self.active.add(job)
            node = self.node
            n = req.n = req.n + 1
            if NATIVE_DRAW is not None:
                u = NATIVE_DRAW(req.key, node.salt, n)
            else:
                z = (req.key ^ node.salt) + n * 0x9E3779B97F4A7C15 & M64
                z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9 & M64
                z = (z ^ (z >> 27)) * 0x94D049BB133111EB & M64
                u = ((z ^ (z >> 31)) >> 11) * 1.1102230246251565e-16
            mean = node.exp_mean
            if mean is not None:
                ms = -mean * log(1.0 - u) * self.slow * node.slow
            else:
                ms = node.work_time(u, op) * self.slow * node.slow
            if self.log is not None:
                self.log.append(("node.start", now, req.id, node.id, self.name))
            else:
                self.sim.seq += 1
            kernel = self.kernel
            serial = kernel.serial
            kernel.serial = serial + 1
            heappush(self.heap, (now + ms, NORMAL, serial, self.on_worked, job, None))
            return
        queue = self.queue
        if self.queue_limit is not None and len(queue) >= self.queue_limit:
            self.rejected += 1
            if self.log is not None:
                self.log.append(("node.reject", self.kernel.now, req.id, self.node.id, self.name))
            else:
                self.sim.seq += 1
            reply(req, REJECTED)
            return
        queue.append(job)
        if len(queue) > self.queue_max:
            self.queue_max = len(queue)

    def begin(self, job: Job) -> None:
        """A worker takes `job`."""
        now = self.kernel.now
        busy = self.busy
        self.area += busy * (now - self.last)
        self.last = now
        self.busy = busy + 1
        self.active.add(job)
        job.inst = self
        job.epoch = self.epoch
        node = self.node
        req = job.req
        n = req.n = req.n + 1
        # distributions.draw, inlined (the C version where the engine is compiled)
        if NATIVE_DRAW is not None:
            u = NATIVE_DRAW(req.key, node.salt, n)
        else:
            z = (req.key ^ node.salt) + n * 0x9E3779B97F4A7C15 & M64
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9 & M64
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB & M64
            u = ((z ^ (z >> 31)) >> 11) * 1.1102230246251565e-16
        mean = node.exp_mean
        if mean is not None:
            # The exponential sampler's own expression, so the draw is identical.
            ms = -mean * log(1.0 - u) * self.slow * node.slow
        else:
            ms = node.work_time(u, job.op) * self.slow * node.slow
        if self.log is not None:
            self.log.append(("node.start", now, req.id, node.id, self.name))
        else:
            self.sim.seq += 1
        kernel = self.kernel
        serial = kernel.serial
        kernel.serial = serial + 1
        heappush(self.heap, (now + ms, NORMAL, serial, self.on_worked, job, None))

    def worked(self, job: Job, _: object) -> None:
        if job.epoch != self.epoch:
            return
        node = self.node
        if not node.failure_rate and not node.calls:
            # `finish(job, OK)`, inlined: nothing to call, nothing to fail.
            req = job.req
            now = self.kernel.now
            self.processed += 1
            if self.log is not None:
                self.log.append(("node.finish", now, req.id, node.id, self.name))
            else:
                self.sim.seq += 1
            busy = self.busy
            self.area += busy * (now - self.last)
            self.last = now
            self.busy = busy - 1
            self.active.discard(job)
            job.reply(req, OK)
            queue = self.queue
            if queue:
                if self.busy < self.workers and self.state in SERVING and not self.crashed:
                    self.begin(queue.popleft())
                return
            feed = node.feed
            if feed is not None and self.state is UP and not self.crashed:
                feed(self)
            if not self.busy and self.idle_hook is not None:
                self.idle_hook(self)
            return
        if node.failure_rate and node.fails(job.req):
            self.fail(job, FAILED, "failure rate")
            return
        if node.calls:
            if node.pass_rate < 1.0:
                job.quiet = not node.passes(job.req)
            self.next_call(job)
        else:
            self.finish(job, OK)

    def next_call(self, job: Job) -> None:
        node = self.node
        links = node.errors if job.errors else node.kept if job.quiet else node.calls
        if job.step < len(links):
            link = links[job.step]
            job.step += 1
            link.call(job.req, job.answer)
            return
        self.finish(job, OK)

    def fail(self, job: Job, outcome: int, reason: str) -> None:
        node = self.node
        self.failed += 1
        if self.log is not None:
            self.log.append(("node.fail", self.kernel.now, job.req.id, node.id, self.name, reason))
        else:
            self.sim.seq += 1
        if node.errors and not job.errors:
            job.errors = True
            job.step = 0
            self.next_call(job)
            return
        self.finish(job, outcome)

    def finish(self, job: Job, outcome: int) -> None:
        """Free the worker, answer the caller, take the next queued job."""
        req = job.req
        now = self.kernel.now
        if outcome == OK:
            self.processed += 1
            if self.log is not None:
                self.log.append(("node.finish", now, req.id, self.node.id, self.name))
            else:
                self.sim.seq += 1
        busy = self.busy
        self.area += busy * (now - self.last)
        self.last = now
        self.busy = busy - 1
        self.active.discard(job)
        job.reply(req, outcome)
        queue = self.queue
        if queue:
            # A draining instance still works off its queue.
            if self.busy < self.workers and self.state in SERVING and not self.crashed:
                self.begin(queue.popleft())
            return
        feed = self.node.feed
        if feed is not None and self.state is UP and not self.crashed:
            feed(self)  # a consumer of topics or queues takes their next message
        if not self.busy and self.idle_hook is not None:
            self.idle_hook(self)

    def pull(self) -> None:
        """Give free workers queued jobs, or report the instance idle."""
        queue = self.queue
        while queue and self.busy < self.workers and self.state in SERVING and not self.crashed:
            self.begin(queue.popleft())
        feed = self.node.feed
        if feed is not None and not queue and self.state is UP and not self.crashed:
            feed(self)
        if not self.busy and self.idle_hook is not None:
            self.idle_hook(self)

    # -- faults and membership ----------------------------------------------
    def crash(self, reason: str) -> None:
        self.crashed += 1
        if self.crashed > 1:
            return
        self.epoch += 1
        now = self.kernel.now
        self.area += self.busy * (now - self.last)
        self.last = now
        doomed = sorted(self.active, key=lambda j: j.req.id)
        if not self.node.shared_queue:
            doomed += self.queue
            self.queue.clear()
        self.active.clear()
        self.busy = 0
        if self.log is not None:
            self.log.append(("instance.down", now, self.name, reason))
        else:
            self.sim.seq += 1
        for job in doomed:
            self.failed += 1
            self.node.failed += 1
            if self.log is not None:
                self.log.append(("node.fail", now, job.req.id, self.node.id, self.name, reason))
            else:
                self.sim.seq += 1
            job.reply(job.req, FAILED)

    def recover(self, reason: str) -> None:
        if not self.crashed:
            return
        self.crashed -= 1
        if self.crashed:
            return
        self.last = self.kernel.now
        if self.log is not None:
            self.log.append(("instance.up", self.kernel.now, self.name, reason))
        else:
            self.sim.seq += 1
        self.pull()

    def alive(self) -> bool:
        return not self.crashed and self.state in (UP, DRAINING)

    def in_flight(self) -> int:
        return self.busy + len(self.queue)

    def serving_ms(self) -> float:
        extra = self.kernel.now - self.up_from if self.up_from is not None else 0.0
        return self.up_ms + extra

    def utilization_area(self) -> float:
        return self.area + self.busy * (self.kernel.now - self.last)


class Spread(Target):
    """A plain edge into a pool: its calls go round robin over the serving instances."""

    def __init__(self, node: Service):
        self.node = node
        self.name = node.id
        self.turn = 0

    def accept(self, req: Request, reply: Reply, op: str) -> None:
        members = self.node.members
        if not members:
            self.node.refuse(req, reply, "no instance is running")
            return
        inst = members[self.turn % len(members)]
        self.turn += 1
        inst.accept(req, reply, op)


# A pool's fields: a service's, and those of the kinds built on it (function, filter).
POOL_FIELDS: dict[str, Field] = {
    "instances": Int(
        1, 1, schema.MAX_INSTANCES, help=gettext_noop("How many copies of it run at the start.")
    ),
    "concurrency": Int(
        1,
        1,
        schema.MAX_CONCURRENCY,
        help=gettext_noop("How many requests one instance works on at once."),
    ),
    "service_time": Duration(
        10,
        help=gettext_noop(
            "How long one request keeps a worker busy: always the same, "
            "or drawn at random around a mean (empty: 10 ms)."
        ),
    ),
    "queue_limit": Int(
        None,
        0,
        schema.MAX_QUEUE_LIMIT,
        nullable=True,
        help=gettext_noop(
            "How many requests may wait at each instance; more are turned away. Empty: no limit."
        ),
    ),
    "failure_rate": Num(
        0, 0, 1, help=gettext_noop("The share of requests that fail: 0 none, 0.1 one in ten.")
    ),
    "zones": Field(
        "zones",
        [],
        help=gettext_noop(
            "The zones its instances are spread over, in turn, e.g. a, b. Empty: no zones."
        ),
    ),
    "resource": Enum(
        "cpu",
        schema.RESOURCES,
        help=gettext_noop("What it mostly uses; for display and cost only."),
    ),
    "cost_per_hour": Num(
        0,
        0,
        schema.MAX_COST,
        help=gettext_noop("What one instance costs per hour while it serves."),
    ),
    "autoscale": Record(
        schema.AUTOSCALE,
        help=gettext_noop(
            "Add instances when they get busy and remove them when they idle, within limits."
        ),
    ),
    # Extension: a draw stream's name; pools naming the same one draw the same
    # numbers for the same request (`salt`).
    "draws": Str(
        None,
        40,
        nullable=True,
        help=gettext_noop("a draw stream's name; pools naming the same one draw alike"),
    ),
}


class Service(Node):
    """A pool of instances behind one name; see the module docstring."""

    kind = "service"
    fields = POOL_FIELDS
    pooled = True
    scalable = True
    stage = True
    events = {
        # Extension: an autoscaler changed a pool's size.
        "autoscale": ("node", "from", "to", "utilization", "reason"),
        # Extension: a pool resized by hand (`Simulation.scale`, patterns/scaling.py).
        "scale": ("node", "from", "to", "reason"),
    }
    drawing = Drawing("⚙", "#cfeee4", "#00664a", gettext_noop("service"), 40)
    shared_queue = False
    # Set by the topics and queues this node consumes from (patterns.nodes.broker):
    # called with an instance that has a free worker and nothing queued of its own.
    feed: Callable[[Instance], None] | None = None

    @staticmethod
    def check_graph(graph: Graph, node: dict[str, Any], at: Location) -> None:
        autoscale = node["autoscale"]
        if autoscale:
            sub = at.child("autoscale")
            if autoscale["min"] > autoscale["max"]:
                graph.add(sub, f"min {autoscale['min']} is above max {autoscale['max']}")
            elif not autoscale["min"] <= node["instances"] <= autoscale["max"]:
                graph.add(
                    at.child("instances"),
                    f"{node['instances']} is outside autoscale min..max "
                    f"({autoscale['min']}..{autoscale['max']})",
                )

    @staticmethod
    def instances_of(node: dict[str, Any]) -> int:
        autoscale = node.get("autoscale")
        top = autoscale["max"] if autoscale else 0
        return int(max(node["instances"], top))

    def __init__(self, sim: Simulation, spec: dict[str, Any]):
        super().__init__(sim, spec)
        # Mixed into each of a request's draws here (service time, failure).
        # Extension (docs/topology.md, `draws`): pools naming the same stream
        # share it, so lanes fed the same traffic give a request the same
        # work in each; without it, the id, as before.
        self.salt = stable_hash(sim.seed, "node", str(spec.get("draws") or self.id))
        self.concurrency = int(spec.get("concurrency", 1))
        self.queue_limit = spec.get("queue_limit")
        self.failure_rate = float(spec.get("failure_rate", 0) or 0)
        self.fail_salt = stable_hash(sim.seed, "fail", str(spec.get("draws") or self.id))
        # A filter's `pass_rate` (patterns/nodes/filter.py): the share of items
        # it passes down its pipes; the others take only `kept`, its calls.
        self.pass_rate = 1.0
        self.kept: list[Link] = []
        self.zone_list: list[str] = list(spec.get("zones") or [])
        self.sample = sampler(spec.get("service_time", 10))
        # The mean of an exponential service time, for the inlined draw in
        # Instance.accept and begin; None when another sampler (or an
        # overridden work_time) decides.
        self.exp_mean: float | None = _exponential_mean(
            spec.get("service_time", 10) if type(self).work_time is Service.work_time else None
        )
        self.slow = 1.0
        self.failed = 0  # refused at the node itself (no instance running)
        self.rejected = 0  # rejected at the node itself (a shared queue full)
        self.done_at_snapshot = 0
        self.snap_t = 0.0
        self.snap_area = 0.0
        self.idle_hook: Callable[[Instance], None] | None = (
            self.idle if self.autoscale_on(spec) else None
        )
        self.all: list[Instance] = []  # every instance ever, by index
        self.members: list[Instance] = []  # instances taking new work
        self.watchers: list[Callable[[], None]] = []
        self.crashed_whole = 0
        self.spread = Spread(self)
        self.autoscale = spec.get("autoscale")
        self.last_area = 0.0
        self.last_sample_t = 0.0
        for _ in range(self.initial_instances()):
            self.add_instance(UP)

    def autoscale_on(self, spec: dict[str, Any]) -> bool:
        return bool(spec.get("autoscale"))

    def initial_instances(self) -> int:
        return int(self.spec.get("instances", 1))

    def fails(self, req: Request) -> bool:
        """Whether this try of `req` here fails (`failure_rate`).

        Drawn from the request's key, this node and how many times the
        request has been tried here, not from the draws it took on its way:
        so a request fails at a node whichever route brought it (an
        orchestrator's calls, or a chain of topics that hand on its key), and
        a retry or a redelivery draws anew.
        """
        tries = req.tries
        if tries is None:
            tries = req.tries = {}
        k = tries.get(self.fail_salt, 0) + 1
        tries[self.fail_salt] = k
        return draw(req.key, self.fail_salt, k) < self.failure_rate

    def passes(self, req: Request) -> bool:
        """Whether `req` goes on down the pipes (Filter, `pass_rate`); a service passes all."""
        return True

    def work_time(self, u: float, op: str) -> float:
        return self.sample(u)

    def add_instance(self, state: str) -> Instance:
        index = len(self.all)
        zone = self.zone_list[index % len(self.zone_list)] if self.zone_list else None
        inst = Instance(self, index, zone, None)
        inst.state = state
        if state != UP:
            inst.up_from = None
        self.all.append(inst)
        if state == UP:
            self.members.append(inst)
        return inst

    def set_state(self, inst: Instance, state: str, reason: str) -> None:
        was = inst.state
        inst.state = state
        now = self.kernel.now
        if state == UP and inst.up_from is None:
            inst.up_from = now
        elif state in (STARTING, STOPPED) and inst.up_from is not None:
            inst.up_ms += now - inst.up_from
            inst.up_from = None
        if state == UP and inst not in self.members:
            self.members.append(inst)
            self.members.sort(key=lambda i: i.index)
        elif state != UP and inst in self.members:
            self.members.remove(inst)
        if was != state and (state == UP or state == STOPPED):
            if self.log is not None:
                up = state == UP
                self.log.append(
                    ("instance.up" if up else "instance.down", self.kernel.now, inst.name, reason)
                )
            else:
                self.sim.seq += 1
        for callback in self.watchers:
            callback()

    def targets(self) -> list[Target]:
        return list(self.members)

    def target_for_link(self) -> Target:
        return self.spread

    def watch(self, callback: Callable[[], None]) -> None:
        self.watchers.append(callback)

    def refuse(self, req: Request, reply: Reply, reason: str) -> None:
        self.failed += 1
        if self.log is not None:
            self.log.append(("node.fail", self.kernel.now, req.id, self.id, self.id, reason))
        else:
            self.sim.seq += 1
        reply(req, FAILED)

    def idle(self, inst: Instance) -> None:
        """An instance has nothing left to do: a draining one stops once nothing can reach it."""
        if inst.state is DRAINING and not inst.busy and not inst.queue:
            if self.kernel.now >= inst.drain_until:
                self.set_state(inst, STOPPED, f"{inst.drain_reason}: drained")
            elif not inst.drain_check:
                inst.drain_check = True
                self.kernel.at(inst.drain_until, self._drain_over, inst, None)

    def _drain_over(self, inst: Instance, _: object) -> None:
        inst.drain_check = False
        self.idle(inst)

    def drain(self, inst: Instance, reason: str) -> None:
        """Take `inst` out of the pool: it finishes what it holds, and what balancers
        sent it before this moment (up to the longest latency of an edge into it),
        then stops."""
        inst.drain_until = self.kernel.now + inst.inbound_ms
        inst.drain_reason = reason
        self.set_state(inst, DRAINING, reason)
        self.idle(inst)

    def grow(self, count: int, state: str, reason: str) -> list[Instance]:
        """Bring `count` more instances into the pool, in `state` (UP or STARTING).

        Draining instances are kept first (they are still running, so they
        serve at once), then stopped slots are restarted, lowest index first,
        and only then are new slots added: instance names stay below the
        pool's largest size, so faults and weights naming `NODE#i` keep
        meaning the same instance.
        """
        grown: list[Instance] = []
        for inst in self.all:
            if len(grown) >= count:
                return grown
            if inst.state is DRAINING:
                self.set_state(inst, UP, f"{reason}: drain cancelled")
                grown.append(inst)
        for inst in self.all:
            if len(grown) >= count:
                return grown
            if inst.state is STOPPED:
                self.set_state(inst, state, reason)
                grown.append(inst)
        while len(grown) < count:
            if state is STARTING:
                inst = self.add_instance(STARTING)  # nothing to tell watchers yet
            else:
                inst = self.add_instance(STOPPED)
                self.set_state(inst, state, reason)
            grown.append(inst)
        return grown

    def start(self) -> None:
        if self.autoscale:
            self.last_sample_t = self.kernel.now
            self.kernel.after(float(self.autoscale["interval_ms"]), self.scale, None, None)

    # -- autoscale -------------------------------------------------------
    def scale(self, _a: object, _b: object) -> None:
        cfg = self.autoscale
        assert cfg is not None
        now = self.kernel.now
        area = sum(i.utilization_area() for i in self.all)
        serving = [i for i in self.all if i.state == UP]
        starting = [i for i in self.all if i.state == STARTING]
        span = now - self.last_sample_t
        util = (
            (area - self.last_area) / (span * self.concurrency * max(1, len(serving)))
            if span
            else 0.0
        )
        self.last_area = area
        self.last_sample_t = now
        target = float(cfg["target_utilization"])
        have = len(serving) + len(starting)
        want = math.ceil(len(serving) * util / target - 1e-9) if serving else have
        want = max(int(cfg["min"]), min(int(cfg["max"]), max(want, len(starting) and have)))
        if want != have:
            verb = "above" if want > have else "below"
            if self.log is not None:
                self.log.append(
                    (
                        "autoscale",
                        now,
                        self.id,
                        have,
                        want,
                        round(util, 4),
                        f"utilisation {util:.0%} is {verb} the target {target:.0%}",
                    )
                )
            else:
                self.sim.seq += 1
            for inst in self.grow(want - have, STARTING, "autoscale"):
                if inst.state is STARTING:
                    inst.boots += 1
                    self.kernel.after(float(cfg["startup_ms"]), self.booted, inst, inst.boots)
            surplus = have - want
            for inst in sorted(serving, key=lambda i: -i.index):
                if surplus <= 0:
                    break
                surplus -= 1
                self.drain(inst, "autoscale")
        self.kernel.after(float(cfg["interval_ms"]), self.scale, None, None)

    def booted(self, inst: Instance, boot: int) -> None:
        if inst.state == STARTING and inst.boots == boot:
            self.set_state(inst, UP, "autoscale: started")
            inst.last = self.kernel.now

    # -- faults ----------------------------------------------------------
    def crash(self, instance: int | None, reason: str) -> None:
        for inst in self.pick(instance):
            inst.crash(reason)

    def recover(self, instance: int | None, reason: str) -> None:
        for inst in self.pick(instance):
            inst.recover(reason)

    def set_slow(self, instance: int | None, factor: float) -> None:
        if instance is None:
            self.slow = factor
        else:
            for inst in self.pick(instance):
                inst.slow = factor

    def pick(self, instance: int | None) -> list[Instance]:
        if instance is None:
            return [i for i in self.all if i.state != STOPPED]
        return [self.all[instance]] if instance < len(self.all) else []

    def zones(self) -> set[str]:
        return set(self.zone_list)

    def in_zone(self, zone: str) -> list[int]:
        return [i.index for i in self.all if i.zone == zone]

    # -- statistics ------------------------------------------------------
    def backlog(self) -> int:
        # Instances that share one queue (a function's) each point at it: count it once.
        queued = len(self.all[0].queue) if self.shared_queue and self.all else None
        if queued is None:
            queued = sum(len(i.queue) for i in self.all)
        return queued + sum(i.busy for i in self.all)

    def snapshot(self) -> dict[str, Any]:
        now = self.kernel.now
        area = sum(i.utilization_area() for i in self.all)
        workers = self.concurrency * max(1, len(self.members))
        span = now - self.snap_t
        util = (area - self.snap_area) / (span * workers) if span > 0 else 0.0
        self.snap_t = now
        self.snap_area = area
        processed = sum(i.processed for i in self.all)
        done = processed - self.done_at_snapshot
        self.done_at_snapshot = processed
        queued = (
            sum(len(i.queue) for i in self.all)
            if not self.shared_queue
            else len(self.all[0].queue)
            if self.all
            else 0
        )
        return {
            "in_flight": sum(i.busy for i in self.all) + queued,
            "queued": queued,
            "utilization": round(min(1.0, util), 4),
            "completed": done,
            "instances_up": sum(1 for i in self.all if i.state == UP and not i.crashed),
        }

    def summary(self) -> dict[str, Any]:
        ever = self.all
        total_area = sum(i.utilization_area() for i in ever)
        capacity = sum(i.serving_ms() for i in ever) * self.concurrency
        return {
            "processed": sum(i.processed for i in ever),
            "failed": self.failed + sum(i.failed for i in ever),
            "rejected": self.rejected + sum(i.rejected for i in ever),
            "utilization": _ratio(total_area, capacity),
            "queue_max": max((i.queue_max for i in ever), default=0),
            "instances": {
                i.name: {
                    "processed": i.processed,
                    "failed": i.failed,
                    "rejected": i.rejected,
                    "queue_max": i.queue_max,
                    "utilization": _ratio(i.utilization_area(), i.serving_ms() * self.concurrency),
                }
                for i in ever
            },
        }


register(Service)


def _exponential_mean(duration: Any) -> float | None:
    if isinstance(duration, dict) and duration.get("dist") == "exponential":
        return float(duration["mean_ms"])
    return None


def _ratio(part: float, whole: float) -> float:
    return round(min(1.0, part / whole), 4) if whole > 0 else 0.0
