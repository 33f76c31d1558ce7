"""Load balancers: pick one target per call, and health-check the targets.

Targets are the instances of the pools downstream (their current members)
and any balancers downstream. The balancer keeps its own count of requests
in flight to each target, as a proxy does. Health checks every `interval_ms`
mark a target down after `unhealthy_after` failed checks in a row and up
again after one passing check; until then a crashed target keeps receiving
calls, which fail. With `zone_aware`, targets in the balancer's own zone are
preferred while any of them is usable.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any, Final

from patterns import schema
from patterns.balancing import ALGORITHMS, Algorithm, Pick
from patterns.distributions import stable_hash
from patterns.events import build_with
from patterns.nodes.base import (
    FAILED,
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
from patterns.schema import INSTANCE, Bool, Enum, Field, Record, Str, gettext_noop, show

if TYPE_CHECKING:
    from patterns.engine import Simulation
    from patterns.topology import Graph, Location

# How many `lb.pick` reasons a balancer's algorithm keeps for reuse (_pick).
REASONS_KEPT: Final = 4096


class LoadBalancer(Node):
    """Spreads calls over its targets with one of the algorithms in `patterns.balancing`."""

    kind = "load_balancer"
    fields = {
        "algorithm": Enum(
            "round_robin",
            schema.ALGORITHMS,
            help=gettext_noop("How the balancer picks an instance for each request."),
        ),
        "weights": Field(
            "weights",
            {},
            help=gettext_noop(
                "How much of the traffic each target gets, for weighted round"
                ' robin, e.g. {"api": 3, "api#2": 1}.'
            ),
        ),
        "zone": Str(
            None,
            schema.MAX_ZONE_NAME,
            nullable=True,
            help=gettext_noop("The zone this balancer sits in."),
        ),
        "zone_aware": Bool(False, help=gettext_noop("Prefer instances in its own zone.")),
        "health_check": Record(
            schema.HEALTH_CHECK,
            nullable=False,
            default={},
            help=gettext_noop(
                "How often it checks its targets, and after how many failed "
                "checks in a row it stops sending to one."
            ),
        ),
    }
    events = {
        "lb.pick": ("req", "lb", "session", "chosen", "candidates", "reason"),
        # Extension: a balancer's health checks changed their view of a target.
        "lb.health": ("lb", "target", "healthy", "reason"),
    }
    section = "load_balancers"
    drawing = Drawing("⚖", "#fbe7bf", "#8a5a00", gettext_noop("load balancer"), 70)

    @staticmethod
    def check_graph(graph: Graph, node: dict[str, Any], at: Location) -> None:
        targets = graph.targets(node["id"])
        if not targets:
            graph.add(at, "load_balancer has no downstream target")
        if node["zone_aware"] and node["zone"] is None:
            graph.add(at.child("zone_aware"), "needs the balancer's own zone (zone)")
        for target in node["weights"]:
            sub = at.child("weights").item(show(target))
            match = INSTANCE.fullmatch(target) if isinstance(target, str) else None
            name = match.group(1) if match else target
            if name not in targets:
                graph.add(
                    sub,
                    "must be a downstream target of this balancer, a node id or an instance "
                    f"such as api#0 (targets: {', '.join(targets) or 'none'})",
                )
            elif match:
                count = graph.instance_count(name)
                if int(match.group(2)) >= count:
                    graph.add(sub, f"{name} has instances {name}#0 to {name}#{count - 1}")

    def __init__(self, sim: Simulation, spec: dict[str, Any]):
        super().__init__(sim, spec)
        self.rng = random.Random(stable_hash(sim.seed, "node", self.id))
        self.zone = spec.get("zone")
        self.zone_aware = bool(spec.get("zone_aware", False))
        check = spec.get("health_check") or {}
        self.check_ms = float(check.get("interval_ms", 1000))
        self.unhealthy_after = int(check.get("unhealthy_after", 2))
        self.raw_weights: dict[str, float] = dict(spec.get("weights") or {})
        self.algorithm = ALGORITHMS[spec.get("algorithm", "round_robin")](self)
        self.down = 0
        # Per target, by index; targets are only ever appended, so indices are stable.
        self.all_targets: list[Target] = []
        self.names: list[str] = []
        self.links: list[Link] = []
        self.direct: list[bool] = []
        self.inflight: list[int] = []
        self.picks: list[int] = []
        self.weights: list[float] = []
        self.healthy: list[bool] = []
        self.fails: list[int] = []
        self.registered: list[bool] = []
        self.usable: list[bool] = []
        # Per target, the last caller's reply and the answer path built for
        # it: a caller that passes the same callable every time (a client's
        # bound `on_answer`) gets the same path, not a new one per call.
        self.last_reply: list[Reply | None] = []
        self.last_back: list[Reply] = []
        self.live: list[int] = []
        self.cands: list[int] = []
        self.local: list[int] = []
        self.downstream: list[tuple[Node, dict[str, Any]]] = []
        self.done_at_snapshot = 0
        self.failed = 0

    def wire(self, links: list[tuple[Node, dict[str, Any]]]) -> None:
        self.downstream = [(n, e) for n, e in links if e.get("when", "ok") == "ok"]
        for node, _ in self.downstream:
            node.watch(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Bring the target list in line with the pools' current members."""
        current: set[int] = set()
        for node, edge in self.downstream:
            for target in node.targets():
                try:
                    i = self.all_targets.index(target)
                except ValueError:
                    i = self.add_target(target, edge)
                current.add(i)
        for i in range(len(self.all_targets)):
            self.registered[i] = i in current
        self.recompute()

    def add_target(self, target: Target, edge: dict[str, Any]) -> int:
        i = len(self.all_targets)
        self.all_targets.append(target)
        self.names.append(target.name)
        link = Link(self.sim, self.id, target, edge)
        self.links.append(link)
        # Without latency, a call is just the target's accept (and its
        # `msg.send`, when recording): Link.call's own common case.
        self.direct.append(link.latency == 0 and not link.oneway and not link.asynchronous)
        self.inflight.append(0)
        self.picks.append(0)
        node_id = target.name.split("#")[0]
        self.weights.append(
            float(self.raw_weights.get(target.name, self.raw_weights.get(node_id, 1)))
        )
        self.healthy.append(True)
        self.fails.append(0)
        self.registered.append(True)
        self.usable.append(True)
        self.last_reply.append(None)
        self.last_back.append(_never)  # used only once last_reply is set
        return i

    def recompute(self) -> None:
        n = len(self.all_targets)
        self.usable = [self.registered[i] and self.healthy[i] for i in range(n)]
        self.live = [i for i in range(n) if self.usable[i]]
        self.local = [i for i in self.live if self.all_targets[i].zone == self.zone]
        # What a pick chooses from: the balancer's own zone while any target
        # there is usable (zone_aware), else every usable target.
        self.cands = self.local if self.zone_aware and self.local else self.live
        self.algorithm.changed()

    def start(self) -> None:
        self.kernel.after(self.check_ms, self.check, None, None)

    def alive(self) -> bool:
        return not self.down

    def zones(self) -> set[str]:
        return {self.zone} if self.zone else set()

    # -- the request path --------------------------------------------------
    def accept(self, req: Request, reply: Reply, op: str) -> None:
        if self.down:
            self.fail(req, reply, "balancer is down")
            return
        cands = self.cands
        if not cands:
            self.fail(req, reply, "no healthy target")
            return
        algorithm = self.algorithm
        i = algorithm.pick(cands, req)
        inflight = self.inflight
        log = self.log
        if log is not None:
            # Every target's load as it is now, copied in one go (`cands` is
            # never mutated, only replaced); the candidates, their loads and
            # the reason are built later, per batch (events.to_dicts).
            log.append(
                (
                    "lb.pick",
                    self.kernel.now,
                    req.id,
                    self.id,
                    req.session,
                    self.names[i],
                    algorithm,
                    cands,
                    inflight[:],
                    i,
                    algorithm.note,
                )
            )
        else:
            self.sim.seq += 1
        inflight[i] += 1
        self.picks[i] += 1
        if self.last_reply[i] is reply:
            back = self.last_back[i]
        else:
            back = self.last_back[i] = _Pending(self, i, reply).back
            self.last_reply[i] = reply
        link = self.links[i]
        if self.direct[i]:
            if log is not None:
                now = self.kernel.now
                log.append(("msg.send", now, req.id, self.id, link.target.name, now + link.latency))
            else:
                self.sim.seq += 1
            link.target.accept(req, back, link.op)
        else:
            link.call(req, back)

    def fail(self, req: Request, reply: Reply, reason: str) -> None:
        self.failed += 1
        if self.log is not None:
            self.log.append(("node.fail", self.kernel.now, req.id, self.id, self.id, reason))
        else:
            self.sim.seq += 1
        reply(req, FAILED)

    # -- health checks -----------------------------------------------------
    def check(self, _a: object, _b: object) -> None:
        changed = False
        for i, target in enumerate(self.all_targets):
            if not self.registered[i]:
                continue
            if target.alive():
                self.fails[i] = 0
                if not self.healthy[i]:
                    self.healthy[i] = True
                    changed = True
                    self.note(i, True, "health check passed")
            else:
                self.fails[i] += 1
                if self.healthy[i] and self.fails[i] >= self.unhealthy_after:
                    self.healthy[i] = False
                    changed = True
                    self.note(i, False, f"{self.fails[i]} health checks failed in a row")
        if changed:
            self.recompute()
        if not self.sim.finished:
            self.kernel.after(self.check_ms, self.check, None, None)

    def note(self, i: int, healthy: bool, reason: str) -> None:
        if self.log is not None:
            self.log.append(("lb.health", self.kernel.now, self.id, self.names[i], healthy, reason))
        else:
            self.sim.seq += 1

    # -- faults and statistics ---------------------------------------------
    def crash(self, instance: int | None, reason: str) -> None:
        self.down += 1
        if self.down == 1:
            if self.log is not None:
                self.log.append(("instance.down", self.kernel.now, self.id, reason))
            else:
                self.sim.seq += 1

    def recover(self, instance: int | None, reason: str) -> None:
        if self.down:
            self.down -= 1
            if not self.down:
                if self.log is not None:
                    self.log.append(("instance.up", self.kernel.now, self.id, reason))
                else:
                    self.sim.seq += 1

    @property
    def in_flight(self) -> int:
        return sum(self.inflight)

    @property
    def processed(self) -> int:
        """Calls answered: every pick is in flight until its answer comes back.

        Derived, not counted per request: the request path keeps only the
        per-target counts it needs to pick."""
        return sum(self.picks) - sum(self.inflight)

    def snapshot(self) -> dict[str, Any]:
        processed = self.processed
        done = processed - self.done_at_snapshot
        self.done_at_snapshot = processed
        return {
            **flow_metrics(self.in_flight, done, up=not self.down),
            "targets_healthy": len(self.live),
        }

    def summary(self) -> dict[str, Any]:
        return flow_summary(self.processed, self.failed)

    def pick_counts(self) -> dict[str, int]:
        return {name: self.picks[i] for i, name in enumerate(self.names)}

    def section_entry(self) -> Any:
        return self.pick_counts()


register(LoadBalancer)


# -- the lb.pick event, built from what `accept` logged --------------------------
_CANDIDATE_KEYS: Final = ("target", "load")


def _pick(r: tuple[Any, ...]) -> tuple[Any, ...]:
    """The fields of a logged `lb.pick` (FIELDS' order), its candidates as rows of their
    names and loads (events.build_with), and its reason."""
    # Logged by LoadBalancer.accept as (..., chosen, algorithm, candidate
    # indices, every target's load, chosen index, the algorithm's note).
    # Typed, so that the compiled build reads them natively (r is a tuple of Any).
    algorithm: Algorithm = r[6]
    cands: list[int] = r[7]
    loads: list[int] = r[8]
    names = algorithm.lb.names
    every = len(cands) == len(loads)
    if every:
        # Every target is a candidate (cands[j] == j), the common case: the
        # logged copy of the loads is the candidates' loads, in order, and
        # nothing else holds it. `names` may have grown since (targets added
        # after the pick): the first len(loads) of them are those targets.
        cand_loads = loads
        cand_names = names if len(names) == len(loads) else names[: len(loads)]
    else:
        cand_loads = [loads[c] for c in cands]
        cand_names = [names[c] for c in cands]
    reasons = algorithm.reasons
    if reasons is None:
        reason = algorithm.explain(Pick(algorithm, cands, cand_loads, r[9], r[4], r[10]))
    else:
        # Picks alike in what the algorithm's words depend on get the same words: a
        # balancer sees few such combinations (Algorithm.reason_key).
        key = algorithm.reason_key(cands, cand_loads, r[9], r[10], every)
        kept = reasons.get(key)
        if kept is None:
            if len(reasons) >= REASONS_KEPT:
                reasons.clear()
            reason = reasons[key] = algorithm.explain(
                Pick(algorithm, cands, cand_loads, r[9], r[4], r[10])
            )
        else:
            reason = kept
    return (r[2], r[3], r[4], r[5], (_CANDIDATE_KEYS, cand_names, cand_loads), reason)


build_with("lb.pick", _pick)


def _never(req: Request, outcome: int) -> None:
    raise AssertionError("no call was passed to this target yet")


class _Pending:
    """A call the balancer passed to target `i`; its answer goes back to the caller.

    A small object rather than a closure: a closure over the balancer, the
    target and the reply would build a cell per captured name for every call.
    It holds no state of its own call, so the balancer reuses it for the next
    call to the same target with the same reply.
    """

    __slots__ = ("lb", "i", "reply")

    def __init__(self, lb: LoadBalancer, i: int, reply: Reply):
        self.lb = lb
        self.i = i
        self.reply = reply

    def back(self, req: Request, outcome: int) -> None:
        lb = self.lb
        lb.inflight[self.i] -= 1
        self.reply(req, outcome)
