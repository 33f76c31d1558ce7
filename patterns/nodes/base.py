"""What every node shares: the request, the call protocol, links, the registry of kinds.

A node (or one of its instances) is called with `accept(req, reply, op)` and
answers, when it is done, with `reply(req, outcome)`, outcome being one of
`OK`, `FAILED`, `REJECTED`, `TIMED_OUT`. A `Link` is one edge seen from its
sender: it carries the call to the receiver after the edge's latency and the
answer back after the same latency, logging both as `msg.send`.

A node kind is a `Node` subclass naming its `kind`, registered with
`register(Cls)` after the class. The class declares everything the rest of
the project knows of the kind (class attributes, see `Node`): its fields, its
graph checks, its roles (pool, scalable, broker, stage...), its summary
section, the events only it emits, and how the browser draws it. The
validator, the engine, the event builder, the editor and the run view read
these from `KINDS`, so a new kind is a new module and nothing else
(docs/adding-a-kind.md). (A call after the class, not a class decorator:
mypyc compiles a decorated class as a plain Python class, which may not
inherit from the compiled `Node`; docs/engine-builds.md.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Final

from patterns import events
from patterns.budget import too_many_hops
from patterns.schema import Field

if TYPE_CHECKING:
    from patterns.engine import Simulation
    from patterns.topology import Graph, Location

OK: Final = 0
FAILED: Final = 1
REJECTED: Final = 2
TIMED_OUT: Final = 3
OUTCOMES: Final = ("ok", "failed", "rejected", "timed_out")

Reply = Callable[["Request", int], object]


class Request:
    """One request of a client (or item of a source), followed end to end."""

    __slots__ = (
        "id",
        "origin",
        "t0",
        "session",
        "key",
        "n",
        "done",
        "sync",
        "branches",
        "step",
        "parent",
        "tag",
        "emitting",
        "tries",
        "delivered",
    )

    def __init__(self, rid: int, origin: str, t0: float, session: str, key: int, sync: bool):
        self.id = rid
        self.origin = origin
        self.t0 = t0
        self.session = session
        self.key = key  # seeds this request's draws (distributions.draw)
        self.n = 0  # draws taken so far
        self.done = False
        self.sync = sync  # False for a source's item: nobody waits for it
        self.branches = 1  # pipe branches of an item still going
        self.step = 0  # which of its origin's outgoing edges it is on
        # A copy of an item down a pipe or through a topic (`fork`) points at
        # the item it came from (`root`); `tag` names the copy's path, so a
        # copy that a redelivery makes again has the same tag (a duplicate, to
        # a sink). None for the item itself, not a pointer to itself: such a
        # cycle would leave every request to the cyclic garbage collector
        # instead of freeing it the moment the run is done with it.
        self.parent: Request | None = None
        self.tag = ""
        # Whether the request's own branch (its emission, one of `branches`)
        # is still open: it ends when its origin has sent everything
        # (`Simulation.emission_end`), or with the request's outcome.
        self.emitting = True
        # How many times it has been tried at each node with a `failure_rate`
        # (by the node's failure salt; Service.fails), made when first needed.
        self.tries: dict[int, int] | None = None
        # Of an item: how many of its copies reached a sink (Sink.accept).
        self.delivered = 0

    @property
    def root(self) -> Request:
        """The item this request is a copy of, or the request itself."""
        return self.parent or self

    def fork(self, tag: str, key: int) -> Request:
        """A copy of this item sent down an asynchronous edge; its branch counts on the root."""
        copy = Request(self.id, self.origin, self.t0, self.session, key, False)
        copy.parent = self.root
        copy.tag = tag
        copy.branches = 0
        copy.emitting = False
        # The draws go on from where the item is: a copy that comes back to a
        # node the item has been at (a cycle) does not repeat its draws there.
        copy.n = self.n
        if self.tries:
            copy.tries = dict(self.tries)
        return copy


class Target:
    """Anything a link can deliver to: a node, an instance, a round-robin spread."""

    name: str = ""
    zone: str | None = None
    # One-way receivers (an aggregator's inbox): the sender goes on at once
    # and no answer comes back (docs/topology.md, "Edges": "goes on at once").
    oneway = False
    # The longest latency of a link into this target: how long after it
    # leaves a pool a call sent to it before may still arrive (draining).
    inbound_ms = 0.0

    def accept(self, req: Request, reply: Reply, op: str) -> None:
        raise NotImplementedError

    def alive(self) -> bool:
        """Whether a health check would pass now."""
        return True


class Link:
    """One edge as its sender sees it: delivers calls after the latency, answers back."""

    __slots__ = (
        "kernel",
        "log",
        "source",
        "target",
        "latency",
        "op",
        "when",
        "oneway",
        "sim",
        "asynchronous",
        "copies",
        "salt",
    )

    def __init__(self, sim: Simulation, source: str, target: Target, edge: dict[str, Any]):
        self.kernel = sim.kernel
        self.log = sim.log
        self.source = source
        self.target = target
        self.latency = float(edge.get("latency_ms", 1))
        if self.latency > target.inbound_ms:
            target.inbound_ms = self.latency
        self.op = edge.get("op", "read")
        self.when = edge.get("when", "ok")
        self.oneway = target.oneway
        # Pipes and publishes (patterns.nodes.pipes.configure): `call` sends
        # `copies` forks of the item (`send`) and answers OK at once.
        self.sim = sim
        self.asynchronous = False
        self.copies = 1
        self.salt = 0

    def call(self, req: Request, reply: Reply) -> None:
        """Send `req` to the target; `reply(req, outcome)` runs when the answer is back."""
        if self.asynchronous:
            self.send(req)
            reply(req, OK)
            return
        lat = self.latency
        kernel = self.kernel
        if not lat and not self.oneway:
            # The common case of a balancer's or a benchmark's edge: no latency, an answer.
            if self.log is not None:
                now = kernel.now
                self.log.append(("msg.send", now, req.id, self.source, self.target.name, now + lat))
            else:
                self.sim.seq += 1
            self.target.accept(req, reply, self.op)
            return
        if self.log is not None:
            now = kernel.now
            self.log.append(("msg.send", now, req.id, self.source, self.target.name, now + lat))
        else:
            self.sim.seq += 1
        if self.oneway:
            kernel.at(kernel.now + lat, self._deliver, req, None)
            reply(req, OK)
            return
        if lat:
            kernel.at(kernel.now + lat, self._arrive, req, reply)
        else:
            self.target.accept(req, reply, self.op)

    def _deliver(self, req: Request, _: object) -> None:
        self.target.accept(req, _ignore, self.op)

    def _arrive(self, req: Request, reply: Reply) -> None:
        self.target.accept(req, _Return(self, reply).back, self.op)

    def send(self, req: Request) -> None:
        """Send `copies` forks of `req` down this edge without waiting for them.

        Each fork is one more branch of the item; it ends when the receiver
        answers, and the item fails when the receiver fails the fork while
        the item is still open (`Simulation.copy_done`).
        """
        root = req.root
        kernel = self.kernel
        log = self.log
        now = kernel.now
        arrive = now + self.latency
        if req.tag.count("/") >= self.sim.budget.hops:
            too_many_hops(self.sim, self.source, req.tag)
        for k in range(self.copies):
            tag = f"{req.tag}/{self.source}>{self.target.name}.{k}"
            # The first copy keeps the item's key: a message published to a
            # topic is the same request to its consumers, which fail it as they
            # would if it were called (Service.fails); a split's other copies
            # are other chunks, with keys of their own.
            key = req.key
            if k:
                key = (key * 0x9E3779B97F4A7C15 + self.salt + k) & 0xFFFFFFFFFFFFFFFF
            copy = req.fork(tag, key)
            root.branches += 1
            if log is not None:
                log.append(("msg.send", now, req.id, self.source, self.target.name, arrive))
            else:
                self.sim.seq += 1
            kernel.at(arrive, self._deliver_copy, copy, None)

    def _deliver_copy(self, copy: Request, _: object) -> None:
        self.target.accept(copy, self.sim.copy_done, self.op)


class _Return:
    """A call delivered over a link with latency: its answer travels back the same way.

    A small object rather than a closure: a closure over the link and the
    reply would build a cell per captured name for every call.
    """

    __slots__ = ("link", "reply")

    def __init__(self, link: Link, reply: Reply):
        self.link = link
        self.reply = reply

    def back(self, req: Request, outcome: int) -> None:
        link = self.link
        kernel = link.kernel
        now = kernel.now
        lat = link.latency
        if link.log is not None:
            # The answer comes from the receiver, named as it was called.
            link.log.append(("msg.send", now, req.id, link.target.name, link.source, now + lat))
        else:
            link.sim.seq += 1
        kernel.at(now + lat, self.reply, req, outcome)


def flow_metrics(
    in_flight: int, completed: int, queued: int = 0, up: bool = True
) -> dict[str, Any]:
    """The `metrics` entry of a node without a pool: one instance, no utilisation.

    Dispatchers, aggregators, balancers, brokers and sinks pass work on rather
    than serve it; a node adds its own fields after these.
    """
    return {
        "in_flight": in_flight,
        "queued": queued,
        "utilization": 0.0,
        "completed": completed,
        "instances_up": 1 if up else 0,
    }


def flow_summary(processed: int, failed: int = 0, queue_max: int = 0) -> dict[str, Any]:
    """The summary entry of a node without a pool (see `flow_metrics`)."""
    return {
        "processed": processed,
        "failed": failed,
        "rejected": 0,
        "utilization": 0.0,
        "queue_max": queue_max,
        "instances": {},
    }


class Drawing:
    """How the browser draws a kind: its glyph, its colours, its name and its palette place.

    `label` is English; the web app translates it (docs/api.md, "Node kinds").
    `order` sorts the kinds in the editor's palette and in messages that list
    them; leave gaps, so that a new kind finds a place between two others.
    """

    __slots__ = ("icon", "fill", "stroke", "label", "order")

    def __init__(self, icon: str, fill: str, stroke: str, label: str, order: int) -> None:
        self.icon = icon
        self.fill = fill
        self.stroke = stroke
        self.label = label
        self.order = order

    def as_dict(self) -> dict[str, Any]:
        return {"icon": self.icon, "fill": self.fill, "stroke": self.stroke, "label": self.label}


class Node(Target):
    """A node of the topology. Subclasses name their kind and are registered under it.

    The class attributes below are the kind's declaration (the module
    docstring); a subclass of another kind inherits them, so it says again
    those that differ (a database is a service without a pool, say).
    """

    kind: ClassVar[str] = ""
    # Its fields in a document, besides id, kind and schema.COMMON, in the
    # order the editor shows them (docs/topology.md).
    fields: ClassVar[dict[str, Field]] = {}
    # Roles, read instead of lists of kinds. An emitter emits work and
    # receives no edges; a pool has instances named NODE#INDEX; a scalable
    # pool can be resized by hand (Simulation.scale); a stage is a pipeline
    # stage in the summary and the run view (patterns/pipeline.py); a
    # broker is a topic or a queue; edges among pipe kinds carry items down
    # a pipe; `faultable` kinds have something a fault can crash or slow.
    emitter: ClassVar[bool] = False
    pooled: ClassVar[bool] = False
    scalable: ClassVar[bool] = False
    stage: ClassVar[bool] = False
    broker: ClassVar[bool] = False
    pipe: ClassVar[bool] = False
    faultable: ClassVar[bool] = True
    # Whether its outgoing (`sends_async`) or incoming (`receives_async`)
    # edges are messages rather than calls whose sender waits (a dispatcher's
    # scatter, an aggregator's replies, a broker's publishes and deliveries).
    sends_async: ClassVar[bool] = False
    receives_async: ClassVar[bool] = False
    # The events only this kind emits, each with its fields after seq, t and
    # type (patterns/events.py adds them to FIELDS when the kind registers).
    events: ClassVar[dict[str, tuple[str, ...]]] = {}
    # The summary's section this kind fills, or "" (docs/events.md, "The
    # summary"); `summarize_section` builds it from the nodes of the kind.
    section: ClassVar[str] = ""
    drawing: ClassVar[Drawing] = Drawing("?", "#eeeeee", "#444444", "node", 1000)

    @staticmethod
    def check_graph(graph: Graph, node: dict[str, Any], at: Location) -> None:
        """Add the problems of a loaded node that relate it to the rest of the graph."""

    @staticmethod
    def instances_of(node: dict[str, Any]) -> int:
        """How many instances a normalised node of this kind can ever have (its NODE#i range)."""
        return 1

    @staticmethod
    def summarize_section(nodes: list[Node]) -> Any:
        """The summary's `section` from every node that fills it: an entry per node by default."""
        out: dict[str, Any] = {}
        for node in nodes:
            entry = node.section_entry()
            if entry is not None:
                out[node.id] = entry
        return out

    def section_entry(self) -> Any:
        """This node's entry in its kind's summary section, or None for no entry."""
        return None

    def __init__(self, sim: Simulation, spec: dict[str, Any]):
        self.sim = sim
        self.kernel = sim.kernel
        self.log = sim.log
        self.spec = spec
        self.id: str = spec["id"]
        self.name = self.id
        self.calls: list[Link] = []  # outgoing `when: ok` edges, in order
        self.errors: list[Link] = []  # outgoing `when: error` edges, in order

    def targets(self) -> list[Target]:
        """What a load balancer in front of this node balances over."""
        return [self]

    def target_for_link(self) -> Target:
        """What a plain (non-balancer) edge into this node delivers to."""
        return self

    def target_from(self, source: Node) -> Target:
        """What an edge from `source` delivers to; the same for every sender unless overridden."""
        return self.target_for_link()

    def wire(self, links: list[tuple[Node, dict[str, Any]]]) -> None:
        """Connect the outgoing edges, once every node exists."""
        from patterns.nodes.pipes import configure

        for node, edge in links:
            link = Link(self.sim, self.id, node.target_from(self), edge)
            configure(link, self, node)
            (self.errors if link.when == "error" else self.calls).append(link)

    def start(self) -> None:
        """Schedule what the node does on its own (arrivals, checks)."""

    def watch(self, callback: Callable[[], None]) -> None:
        """Call `callback` whenever the set of this node's targets changes."""

    # -- faults ---------------------------------------------------------
    def crash(self, instance: int | None, reason: str) -> None:
        """Make the node (or one instance) fail everything until `recover`."""

    def recover(self, instance: int | None, reason: str) -> None:
        """Undo one `crash`."""

    def set_slow(self, instance: int | None, factor: float) -> None:
        """Multiply service times by `factor` (1 undoes it)."""

    def zones(self) -> set[str]:
        return set()

    # -- statistics -----------------------------------------------------
    def snapshot(self) -> dict[str, Any] | None:
        """The node's `metrics` entry, or None for nodes that hold no work."""
        return None

    def summary(self) -> dict[str, Any] | None:
        """The node's entry in the summary's `nodes`, or None."""
        return None

    def backlog(self) -> int:
        """Messages the node holds now, queued or in service (what a run's budget counts)."""
        return 0


def _ignore(req: Request, outcome: int) -> None:
    """The answer to a one-way message: nobody waits for it."""


KINDS: dict[str, type[Node]] = {}


def register(cls: type[Node]) -> None:
    """Build the nodes of `cls.kind` with `cls`, and declare the events only it emits."""
    KINDS[cls.kind] = cls
    events.declare(cls.events)


def unregister(kind: str) -> None:
    """Forget a kind (a test's kind, once the test is done); its events stay declared."""
    del KINDS[kind]


def listed() -> list[type[Node]]:
    """The registered kinds in palette order (`Drawing.order`)."""
    return sorted(KINDS.values(), key=lambda cls: cls.drawing.order)


def kind_names() -> list[str]:
    """The names of the registered kinds, in palette order."""
    return [cls.kind for cls in listed()]
