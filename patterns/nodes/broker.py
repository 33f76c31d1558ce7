"""Topics and queues: message brokers with consumer groups and at-least-once delivery.

A message published to a `topic` is copied once per downstream node (a
consumer group); a `queue` has one group made of all its downstream nodes,
so each message goes to exactly one consumer instance. A group keeps its
messages in one FIFO; the group's consumer instances compete for them: a
message goes to an instance with a free worker, or waits until a worker of
any of them frees up (`Service.feed`). Consumers without a pool of their own
(a sink, a balancer, another broker, a function, a database) are handed
each message as it comes.

A message is acknowledged when its consumer answers OK. A consumer that
fails it (a crash mid-work, `failure_rate`, a failed call) has it delivered
again, first in line (`broker.redeliver`, with the attempt number); the work
its first attempt already sent on is sent again, and a sink counts such
copies as duplicates. After `max_deliveries` failed deliveries the message
goes down the broker's `when: error` edges (a dead-letter queue:
`broker.dead`); with none, the item fails (unless its outcome is final
already: a synchronous request answered when it published; the message is
then lost, counted in its group's `dead_lettered`). The run does not end
while a message is still on its way (`Simulation.lingering`). A broker with
no consumer keeps what it receives (a parking lot, such as a dead-letter
queue): the item's branch ends there and the depth shows it.

Delivery takes the broker's `latency_ms` plus the latency of the edge to the
group (for a queue, its first edge); the message then waits in the group's
FIFO, whose depth is the broker's `queued` in the metrics.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, TypeGuard

from patterns import schema
from patterns.budget import too_many_hops
from patterns.distributions import M64, stable_hash
from patterns.nodes.base import (
    OK,
    Drawing,
    Link,
    Node,
    Reply,
    Request,
    Target,
    flow_metrics,
    flow_summary,
    register,
)
from patterns.nodes.service import UP, Instance, Job, Service
from patterns.schema import Field, Int, Num, gettext_noop

if TYPE_CHECKING:
    from patterns.engine import Simulation

# A copy's `branches` (unused otherwise: branches count on the root) marks it
# as held by a broker until its consumer acknowledges it.
HELD = 1


def pulls(node: Node) -> TypeGuard[Service]:
    """Whether `node`'s instances take messages from a group's FIFO (a service or filter pool)."""
    # A pool with a queue per instance: a function's shared queue and a
    # database's connections take each message as it comes.
    return isinstance(node, Service) and node.pooled and not node.shared_queue


class Delivery:
    """One message of one group, until it is acknowledged or dead-lettered."""

    __slots__ = ("group", "req", "attempts")

    def __init__(self, group: Group, req: Request):
        self.group = group
        self.req = req
        self.attempts = 0

    def answer(self, req: Request, outcome: int) -> None:
        self.group.answered(self, outcome)


class Group:
    """A consumer group: one FIFO, the nodes whose instances compete for it."""

    def __init__(self, broker: Broker, name: str, consumers: list[Node], latency: float):
        self.broker = broker
        self.name = name
        self.consumers = consumers
        self.latency = latency
        self.salt = stable_hash(broker.id, name) & M64
        self.pending: deque[Delivery] = deque()
        self.queue_max = 0
        self.delivered = 0
        self.acked = 0
        self.redelivered = 0
        self.dead = 0
        self.turn = 0
        self.pooled: list[Service] = [n for n in consumers if pulls(n)]
        self.pushed = [n.target_for_link() for n in consumers if not pulls(n)]

    # -- arrival ---------------------------------------------------------
    def offer(self, delivery: Delivery, first: bool = False) -> None:
        """Hand `delivery` to a free consumer, or keep it (first in line when redelivered)."""
        if self.pushed and not self.pooled:
            target = self.pushed[self.turn % len(self.pushed)]
            self.turn += 1
            self.hand(delivery, target)
            return
        inst = self.free_instance()
        if inst is not None:
            self.dispatch(delivery, inst)
            return
        if first:
            self.pending.appendleft(delivery)
        else:
            self.pending.append(delivery)
        if len(self.pending) > self.queue_max:
            self.queue_max = len(self.pending)

    def free_instance(self) -> Instance | None:
        members = [i for n in self.pooled for i in n.members]
        count = len(members)
        for k in range(count):
            inst: Instance = members[(self.turn + k) % count]
            free = inst.busy < inst.workers and not inst.queue
            if free and inst.state is UP and not inst.crashed:
                self.turn += k + 1
                return inst
        return None

    def dispatch(self, delivery: Delivery, inst: Instance) -> None:
        delivery.attempts += 1
        self.delivered += 1
        inst.begin(Job(delivery.req, delivery.answer, "read", inst))

    def hand(self, delivery: Delivery, target: Target) -> None:
        delivery.attempts += 1
        self.delivered += 1
        target.accept(delivery.req, delivery.answer, "read")

    def take(self) -> Delivery | None:
        return self.pending.popleft() if self.pending else None

    # -- the consumer's answer -------------------------------------------
    def answered(self, delivery: Delivery, outcome: int) -> None:
        broker = self.broker
        sim = broker.sim
        req = delivery.req
        if sim.finished:
            return  # the run gave up on it at the drain limit: nothing after the end counts
        # The item may be done already (a synchronous request answered when
        # it published): the message is still delivered at least once.
        if outcome == OK:
            self.acked += 1
            sim.copy_done(req, OK)
            return
        now = broker.kernel.now
        if delivery.attempts < broker.max_deliveries:
            self.redelivered += 1
            if broker.log is not None:
                broker.log.append(
                    (
                        "broker.redeliver",
                        now,
                        req.id,
                        broker.id,
                        self.name,
                        delivery.attempts + 1,
                        "consumer failed the message",
                    )
                )
            else:
                broker.sim.seq += 1
            self.offer(delivery, first=True)
            return
        self.dead += 1
        if broker.log is not None:
            broker.log.append(("broker.dead", now, req.id, broker.id, self.name, delivery.attempts))
        else:
            broker.sim.seq += 1
        if broker.errors:
            for link in broker.errors:
                link.send(req)
            sim.copy_done(req, OK)  # this copy ends here; the dead-lettered ones go on
        else:
            sim.copy_done(req, outcome)  # fails the item, unless its outcome is final


BROKER_FIELDS: dict[str, Field] = {
    "latency_ms": Num(
        1, 0, schema.MAX_MS, help=gettext_noop("How long a message takes to arrive, in ms.")
    ),
    # Extension: failed deliveries before a message is dead-lettered.
    "max_deliveries": Int(
        5,
        1,
        schema.MAX_DELIVERIES,
        help=gettext_noop("failed deliveries before a message is dead-lettered"),
    ),
}


class Broker(Node):
    """A topic or a queue; see the module docstring."""

    fields = BROKER_FIELDS
    broker = True
    sends_async = True
    receives_async = True
    events = {
        # Extensions: a message delivered again after its consumer failed it
        # (`attempt` counts from 1), and a message dead-lettered after
        # `deliveries` failed deliveries.
        "broker.redeliver": ("req", "node", "group", "attempt", "reason"),
        "broker.dead": ("req", "node", "group", "deliveries"),
    }

    point_to_point = False

    def __init__(self, sim: Simulation, spec: dict[str, Any]):
        super().__init__(sim, spec)
        self.latency = float(spec.get("latency_ms", 1))
        self.max_deliveries = int(spec.get("max_deliveries", 5))
        self.groups: list[Group] = []
        self.published = 0
        self.parked = 0
        self.acked_at_snapshot = 0

    def wire(self, links: list[tuple[Node, dict[str, Any]]]) -> None:
        consumers: list[tuple[Node, float]] = []
        for node, edge in links:
            if edge.get("when", "ok") == "error":
                link = Link(self.sim, self.id, node.target_for_link(), edge)
                link.asynchronous = True
                link.salt = stable_hash(self.id, node.id, "error") & M64
                self.errors.append(link)
            elif all(node is not n for n, _ in consumers):
                consumers.append((node, float(edge.get("latency_ms", 1))))
        if not consumers:
            return
        if self.point_to_point:
            self.groups.append(Group(self, self.id, [n for n, _ in consumers], consumers[0][1]))
        else:
            self.groups.extend(Group(self, n.id, [n], lat) for n, lat in consumers)
        for group in self.groups:
            for node in group.pooled:
                subscribe(node, group)

    def accept(self, req: Request, reply: Reply, op: str) -> None:
        self.published += 1
        if not self.groups:
            self.parked += 1
            reply(req, OK)
            return
        now = self.kernel.now
        root = req.root
        log = self.log
        if req.tag.count("/") >= self.sim.budget.hops:
            too_many_hops(self.sim, self.id, req.tag)
        for group in self.groups:
            tag = f"{req.tag}/{self.id}>{group.name}"
            # The same key for every group: each consumer draws with its own
            # salt, and a request fails at a node whichever route brought it.
            copy = req.fork(tag, req.key)
            # Held until acknowledged: a sink the consumer calls does not end
            # this copy's branch; the acknowledgement does (Sink.accept).
            copy.branches = HELD
            root.branches += 1
            arrive = now + self.latency + group.latency
            if log is not None:
                log.append(("msg.send", now, req.id, self.id, group.name, arrive))
            else:
                self.sim.seq += 1
            self.kernel.at(arrive, group.offer, Delivery(group, copy), False)
        reply(req, OK)  # the published copy's branch ends: the group copies go on

    def depth(self) -> int:
        return sum(len(g.pending) for g in self.groups)

    def backlog(self) -> int:
        return self.depth()

    def snapshot(self) -> dict[str, Any]:
        acked = sum(g.acked for g in self.groups)
        done = acked - self.acked_at_snapshot
        self.acked_at_snapshot = acked
        depth = self.depth()
        return {
            **flow_metrics(depth, done, queued=depth + self.parked),
            "depth": {g.name: len(g.pending) for g in self.groups},
        }

    def summary(self) -> dict[str, Any]:
        return {
            **flow_summary(
                self.published,
                failed=sum(g.dead for g in self.groups),
                queue_max=max([g.queue_max for g in self.groups] + [self.parked]),
            ),
            "published": self.published,
            "parked": self.parked,
            "groups": {
                g.name: {
                    "delivered": g.delivered,
                    "acked": g.acked,
                    "redelivered": g.redelivered,
                    "dead_lettered": g.dead,
                    "queue_max": g.queue_max,
                    "depth": len(g.pending),
                }
                for g in self.groups
            },
        }


class Topic(Broker):
    """Publish/subscribe: a copy per downstream node."""

    kind = "topic"
    drawing = Drawing("✉", "#f5dcea", "#8e3d6b", gettext_noop("topic"), 80)


register(Topic)


class Queue(Broker):
    """Point-to-point: each message to one consumer instance."""

    kind = "queue"
    drawing = Drawing("☰", "#f5dcea", "#8e3d6b", gettext_noop("queue"), 90)
    point_to_point = True


register(Queue)


class Feed:
    """A consumer's `Service.feed`: its instances take messages from its groups when free."""

    __slots__ = ("groups", "turn")

    def __init__(self) -> None:
        self.groups: list[Group] = []
        self.turn = 0

    def __call__(self, inst: Instance) -> None:
        groups = self.groups
        # Round robin over the groups, so one busy topic cannot starve another.
        while inst.busy < inst.workers and inst.state is UP and not inst.crashed:
            for k in range(len(groups)):
                g = groups[(self.turn + k) % len(groups)]
                delivery = g.take()
                if delivery is not None:
                    self.turn += k + 1
                    g.dispatch(delivery, inst)
                    break
            else:
                return


def groups_feeding(node: Service) -> list[Group]:
    """The consumer groups whose FIFOs `node`'s instances take messages from."""
    feed = node.feed
    return feed.groups if isinstance(feed, Feed) else []


def subscribe(node: Service, group: Group) -> None:
    """Make `node`'s instances take messages from `group` (and its other groups) when free."""
    feed = node.feed
    if not isinstance(feed, Feed):
        feed = node.feed = Feed()

        def pull_backlog() -> None:
            for inst in list(node.members):
                inst.pull()

        # New or recovered instances (scale, autoscale) start on the backlog at once.
        node.watch(pull_backlog)
    feed.groups.append(group)
