"""Orchestrators: a central coordinator that runs one saga per request.

A saga calls the nodes its `steps` name, one step after another (a
`parallel` step calls its branches at once and waits for all of them). A
call that fails or outlasts its `timeout_ms` is tried again `retries` times,
`backoff_ms` apart, the wait doubling each time. When a step has failed for
good, the `compensate` calls of the steps that had completed run, one at a
time, in reverse step order; the failed step itself is not compensated (it
did not complete). The caller gets OK when the saga completes and FAILED when
it ends compensated or failed. The orchestrator holds no business logic and
spends no time of its own: every millisecond of a saga is a call.

Steps are numbered in one flat list, parallel branches in order: for
`[auth, pay, {"parallel": [email, unlock]}, recommend]` step 2 is `email`
and step 3 is `unlock`. Every change of a saga's state is a `saga` event
(`req`, `node`, `state`, `step`, `attempt`, and the extensions `replica`
and `call`): `running` when a call attempt starts, `compensating` when a
compensation call starts, then `completed`, `compensated` or `failed`; and,
around a crash, `lost` or `resumed`. Each call's result is a `saga.step`
event (`outcome`: `ok`, `failed`, `timed_out`).

Replicas (`replicas`, named `NODE#i`) share the sagas: a plain edge into the
orchestrator starts each saga on the next live replica, round robin; a load
balancer in front balances over the replicas as over any pool. With `store`,
the saga's state is written to that database when it starts and after every
step (and every compensation), and the saga waits for the write. When a
replica crashes, its sagas stop; `failover_ms` later a live replica reads
each one's last record from the store and carries on from there, so the step
that was in flight runs again (steps must be idempotent: the card may be
charged twice otherwise). A write already sent when its writer crashes still
lands: the database does not know the writer died. The caller keeps waiting
and gets its answer from the replica that finishes the saga; the taking-over
replica logs a `node.start` for it, so each saga's work is counted on the
replica it runs on. Without a store
a crashed replica's sagas are lost: the caller gets FAILED at once and the
summary counts them in `sagas.lost`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from patterns import schema
from patterns.nodes.base import (
    FAILED,
    OK,
    TIMED_OUT,
    Drawing,
    Link,
    Node,
    Reply,
    Request,
    Target,
    register,
)
from patterns.schema import Field, Int, Num, Str, gettext_noop

if TYPE_CHECKING:
    from patterns.engine import Simulation
    from patterns.topology import Graph, Location

SAGA_OUTCOMES = ("completed", "compensated", "failed", "resumed", "lost")

FORWARD, COMPENSATING = "forward", "compensating"


class Step:
    """One call step of the flat list."""

    __slots__ = ("index", "call", "timeout", "retries", "backoff", "compensate", "link", "undo")

    def __init__(self, index: int, spec: dict[str, Any]):
        self.index = index
        self.call: str = spec["call"]
        timeout = spec.get("timeout_ms")
        self.timeout: float | None = float(timeout) if timeout is not None else None
        self.retries = int(spec.get("retries", 0))
        self.backoff = float(spec.get("backoff_ms", 100))
        self.compensate: str | None = spec.get("compensate")
        self.link: Link | None = None
        self.undo: Link | None = None


class Saga:
    """One request's saga: where it is, what has completed, what the store holds."""

    __slots__ = (
        "req",
        "reply",
        "replica",
        "token",
        "stage",
        "completed",
        "phase",
        "undo",
        "waiting",
        "failed_step",
        "recorded",
        "writing",
    )

    def __init__(self, req: Request, reply: Reply, replica: Replica):
        self.req = req
        self.reply = reply
        self.replica = replica
        self.token = 0  # bumped when its replica crashes: late callbacks are ignored
        self.stage = 0  # index into Orchestrator.stages
        self.completed: list[int] = []  # step indices, in completion order
        self.phase = FORWARD
        self.undo: list[int] = []  # steps still to compensate, next first
        self.waiting = 0  # calls of the current stage not yet settled
        self.failed_step: int | None = None  # the step that failed for good
        # The last state the store holds: (stage, completed, phase, undo), or None.
        self.recorded: tuple[int, tuple[int, ...], str, tuple[int, ...]] | None = None
        self.writing = False

    def snapshot(self) -> tuple[int, tuple[int, ...], str, tuple[int, ...]]:
        return (self.stage, tuple(self.completed), self.phase, tuple(self.undo))


class Replica(Target):
    """One replica `NODE#i` of an orchestrator."""

    def __init__(self, node: Orchestrator, index: int):
        self.node = node
        self.index = index
        self.name = f"{node.id}#{index}"
        self.crashed = 0
        self.sagas: set[Saga] = set()
        self.processed = 0
        self.failed = 0
        self.resumed = 0

    def accept(self, req: Request, reply: Reply, op: str) -> None:
        node = self.node
        if self.crashed:
            self.failed += 1
            if node.log is not None:
                node.log.append(
                    ("node.fail", node.kernel.now, req.id, node.id, self.name, "instance is down")
                )
            else:
                node.sim.seq += 1
            reply(req, FAILED)
            return
        node.begin(Saga(req, reply, self))

    def alive(self) -> bool:
        return not self.crashed


class Entry(Target):
    """A plain edge into the orchestrator: each saga starts on the next live replica."""

    def __init__(self, node: Orchestrator):
        self.node = node
        self.name = node.id
        self.turn = 0

    def accept(self, req: Request, reply: Reply, op: str) -> None:
        replica = self.node.next_live()
        if replica is None:
            replica = self.node.replicas[0]  # every replica is down: it fails the call
        replica.accept(req, reply, op)


class Orchestrator(Node):
    """Runs a saga per request over its replicas; see the module docstring."""

    kind = "orchestrator"
    fields = {
        "steps": Field(
            "steps",
            [],
            help=gettext_noop(
                'The calls of the saga, in order, e.g. [{"call": "payment", '
                '"retries": 2, "compensate": "refund"}, ...].'
            ),
        ),
        "replicas": Int(
            1,
            1,
            schema.MAX_INSTANCES,
            help=gettext_noop("How many copies of the orchestrator run."),
        ),
        "store": Str(
            None,
            40,
            nullable=True,
            help=gettext_noop("The id of a database node keeping each saga's state."),
        ),
        "failover_ms": Num(
            5000,
            0,
            schema.MAX_MS,
            help=gettext_noop("How long before another replica carries on, in ms."),
        ),
    }
    events = {
        # Extended with the replica running the saga and the node the step
        # calls (none for the saga's end states); `step` indexes the flat
        # list of call steps.
        "saga": ("req", "node", "state", "step", "attempt", "replica", "call"),
        # Extension: the result of one call of a saga step (ok, failed, timed_out).
        "saga.step": ("req", "node", "replica", "step", "call", "attempt", "outcome"),
    }
    section = "sagas"
    drawing = Drawing("♪", "#faf6c4", "#6b6400", gettext_noop("orchestrator"), 120)

    @staticmethod
    def check_graph(graph: Graph, node: dict[str, Any], at: Location) -> None:
        called = {e["to"] for _, e in graph.out[node["id"]]}
        if not node["steps"]:
            graph.add(at.child("steps"), "an orchestrator needs at least one step")
        for i, step in enumerate(node["steps"]):
            sub = at.child("steps").item(i)
            if "parallel" in step:
                for j, branch in enumerate(step["parallel"]):
                    _check_step(graph, branch, sub.child("parallel").item(j), called)
            else:
                _check_step(graph, step, sub, called)
        if node["store"] is not None:
            graph.check_store(node["store"], at.child("store"))

    @staticmethod
    def instances_of(node: dict[str, Any]) -> int:
        return int(node["replicas"])

    @staticmethod
    def summarize_section(nodes: list[Node]) -> Any:
        """Saga outcomes summed over the orchestrators (`lost`: gone with a replica, no store)."""
        total = dict.fromkeys(SAGA_OUTCOMES, 0)
        for node in nodes:
            if isinstance(node, Orchestrator):
                for key, n in node.saga_counts().items():
                    total[key] += n
        return total

    def __init__(self, sim: Simulation, spec: dict[str, Any]):
        super().__init__(sim, spec)
        self.steps: list[Step] = []
        self.stages: list[list[int]] = []
        for raw in spec.get("steps", []):
            branches = raw["parallel"] if "parallel" in raw else [raw]
            stage = []
            for branch in branches:
                stage.append(len(self.steps))
                self.steps.append(Step(len(self.steps), branch))
            self.stages.append(stage)
        self.replicas = [Replica(self, i) for i in range(int(spec.get("replicas", 1)))]
        self.entry = Entry(self)
        self.turn = 0
        self.store_id: str | None = spec.get("store")
        self.failover_ms = float(spec.get("failover_ms", 5000))
        self.write: Link | None = None
        self.read: Link | None = None
        self.counts = {"completed": 0, "compensated": 0, "failed": 0, "resumed": 0, "lost": 0}
        self.done_at_snapshot = 0
        self.orphans: list[tuple[float, Saga]] = []  # (when to hand over, saga)

    # -- wiring ------------------------------------------------------------
    def targets(self) -> list[Target]:
        return list(self.replicas)

    def target_for_link(self) -> Target:
        return self.entry

    def wire(self, links: list[tuple[Node, dict[str, Any]]]) -> None:
        super().wire(links)
        # super().wire made one link per `when: ok` edge, in the order of `links`.
        ok = [node.id for node, edge in links if edge.get("when", "ok") != "error"]
        by_id = dict(zip(ok, self.calls, strict=True))
        for step in self.steps:
            step.link = by_id[step.call]
            if step.compensate is not None:
                step.undo = by_id[step.compensate]
        if self.store_id is not None:
            store = self.sim.nodes[self.store_id]
            # The store's edge, if drawn, gives the latency; the writes need no edge.
            edge = next((e for n, e in links if n.id == self.store_id), {"latency_ms": 1})
            self.write = Link(self.sim, self.id, store.target_for_link(), {**edge, "op": "write"})
            self.read = Link(self.sim, self.id, store.target_for_link(), {**edge, "op": "read"})

    def next_live(self) -> Replica | None:
        replicas = self.replicas
        for k in range(len(replicas)):
            replica = replicas[(self.turn + k) % len(replicas)]
            if not replica.crashed:
                self.turn += k + 1
                return replica
        return None

    # -- the saga ------------------------------------------------------------
    def saga_event(
        self, saga: Saga, state: str, step: int | None, attempt: int, call: str | None
    ) -> None:
        if self.log is not None:
            self.log.append(
                (
                    "saga",
                    self.kernel.now,
                    saga.req.id,
                    self.id,
                    state,
                    step,
                    attempt,
                    saga.replica.name,
                    call,
                )
            )
        else:
            self.sim.seq += 1

    def begin(self, saga: Saga) -> None:
        saga.replica.sagas.add(saga)
        if self.log is not None:
            self.log.append(
                ("node.start", self.kernel.now, saga.req.id, self.id, saga.replica.name)
            )
        else:
            self.sim.seq += 1
        self.record(saga, self.run_stage)

    def record(self, saga: Saga, then: Callable[[Saga], None]) -> None:
        """Write the saga's state to the store (if any), then go on with `then`."""
        if self.write is None:
            then(saga)
            return
        state = saga.snapshot()
        token = saga.token
        saga.writing = True

        def written(req: Request, outcome: int) -> None:
            saga.writing = False
            if outcome == OK:
                saga.recorded = state  # it landed, even if the writer has crashed since
            if token == saga.token:
                then(saga)

        self.write.call(saga.req, written)

    def run_stage(self, saga: Saga) -> None:
        if saga.stage >= len(self.stages):
            self.finish(saga, "completed")
            return
        stage = self.stages[saga.stage]
        saga.waiting = len(stage)
        saga.failed_step = None
        for index in stage:
            self.attempt(saga, self.steps[index], 1, False)

    def attempt(self, saga: Saga, step: Step, n: int, undo: bool) -> None:
        """Call `step` (or its compensation) for the `n`th time, with its timeout."""
        link = step.undo if undo else step.link
        assert link is not None
        self.saga_event(
            saga,
            COMPENSATING if undo else "running",
            step.index,
            n,
            step.compensate if undo else step.call,
        )
        token = saga.token
        settled = [False]

        def answer(req: Request, outcome: int) -> None:
            if settled[0] or token != saga.token:
                return  # timed out already, or the replica crashed meanwhile
            settled[0] = True
            self.result(saga, step, n, undo, outcome)

        def expire(_a: object, _b: object) -> None:
            if settled[0] or token != saga.token:
                return
            settled[0] = True
            self.result(saga, step, n, undo, TIMED_OUT)

        link.call(saga.req, answer)
        if step.timeout is not None:
            self.kernel.after(step.timeout, expire, None, None)

    def result(self, saga: Saga, step: Step, n: int, undo: bool, outcome: int) -> None:
        if self.log is not None:
            label = "ok" if outcome == OK else "timed_out" if outcome == TIMED_OUT else "failed"
            self.log.append(
                (
                    "saga.step",
                    self.kernel.now,
                    saga.req.id,
                    self.id,
                    saga.replica.name,
                    step.index,
                    step.compensate if undo else step.call,
                    n,
                    label,
                )
            )
        else:
            self.sim.seq += 1
        if outcome != OK and n <= step.retries:
            token = saga.token
            wait = step.backoff * 2 ** (n - 1)

            def again(_a: object, _b: object) -> None:
                if token == saga.token:
                    self.attempt(saga, step, n + 1, undo)

            self.kernel.after(wait, again, None, None)
            return
        if undo:
            if outcome != OK:
                self.finish(saga, "failed")
                return
            saga.undo.pop(0)
            self.record(saga, self.compensate_next)
            return
        if outcome == OK:
            saga.completed.append(step.index)
        elif saga.failed_step is None:
            saga.failed_step = step.index
        saga.waiting -= 1
        if saga.waiting:
            return
        if saga.failed_step is not None:
            # Compensate what completed, latest step first; the failed step did not complete.
            saga.phase = COMPENSATING
            done = sorted(saga.completed, reverse=True)
            saga.undo = [i for i in done if self.steps[i].undo is not None]
            if not saga.undo:
                self.finish(saga, "failed")
                return
            self.compensate_next(saga)
            return
        saga.stage += 1
        self.record(saga, self.run_stage)

    def compensate_next(self, saga: Saga) -> None:
        if not saga.undo:
            self.finish(saga, "compensated")
            return
        self.attempt(saga, self.steps[saga.undo[0]], 1, True)

    def finish(self, saga: Saga, state: str) -> None:
        replica = saga.replica
        replica.sagas.discard(saga)
        self.counts[state] += 1
        if state == "completed":
            at = saga.completed[-1] if saga.completed else None
        else:
            at = saga.failed_step
        self.saga_event(saga, state, at, 0, None)
        req = saga.req
        if state == "completed":
            replica.processed += 1
            if self.log is not None:
                self.log.append(("node.finish", self.kernel.now, req.id, self.id, replica.name))
            else:
                self.sim.seq += 1
            saga.reply(req, OK)
        else:
            replica.failed += 1
            if self.log is not None:
                self.log.append(
                    ("node.fail", self.kernel.now, req.id, self.id, replica.name, f"saga {state}")
                )
            else:
                self.sim.seq += 1
            saga.reply(req, FAILED)

    # -- crashes and failover -------------------------------------------------
    def crash(self, instance: int | None, reason: str) -> None:
        for replica in self.pick(instance):
            replica.crashed += 1
            if replica.crashed > 1:
                continue
            if self.log is not None:
                self.log.append(("instance.down", self.kernel.now, replica.name, reason))
            else:
                self.sim.seq += 1
            sagas = sorted(replica.sagas, key=lambda s: s.req.id)
            replica.sagas.clear()
            for saga in sagas:
                saga.token += 1
                if self.write is None:
                    self.lose(saga)
                else:
                    self.orphans.append((self.kernel.now + self.failover_ms, saga))
            if sagas and self.write is not None:
                self.kernel.after(self.failover_ms, self.fail_over, None, None)

    def lose(self, saga: Saga) -> None:
        self.counts["lost"] += 1
        saga.replica.failed += 1
        self.saga_event(saga, "lost", saga.completed[-1] if saga.completed else None, 0, None)
        if self.log is not None:
            self.log.append(
                (
                    "node.fail",
                    self.kernel.now,
                    saga.req.id,
                    self.id,
                    saga.replica.name,
                    "saga lost with its replica",
                )
            )
        else:
            self.sim.seq += 1
        saga.reply(saga.req, FAILED)

    def fail_over(self, _a: object, _b: object) -> None:
        """Hand the orphaned sagas to live replicas; wait again if none is up."""
        now = self.kernel.now
        due = [saga for t, saga in self.orphans if t <= now]
        self.orphans = [(t, saga) for t, saga in self.orphans if t > now]
        waiting = []
        for saga in due:
            if saga.recorded is None:
                if saga.writing:
                    waiting.append(saga)  # its first write is still on its way
                else:
                    self.lose(saga)
                continue
            replica = self.next_live()
            if replica is None:
                waiting.append(saga)
                continue
            self.resume(saga, replica)
        if waiting:
            self.orphans.extend((now + self.failover_ms, saga) for saga in waiting)
            self.kernel.after(self.failover_ms, self.fail_over, None, None)

    def resume(self, saga: Saga, replica: Replica) -> None:
        assert saga.recorded is not None
        saga.replica = replica
        saga.token += 1
        replica.sagas.add(saga)
        replica.resumed += 1
        self.counts["resumed"] += 1
        stage, completed, phase, undo = saga.recorded
        saga.stage, saga.completed, saga.phase, saga.undo = (
            stage,
            list(completed),
            phase,
            list(undo),
        )
        nxt = (
            self.stages[stage][0]
            if phase == FORWARD and stage < len(self.stages)
            else (undo[0] if undo else None)
        )
        if self.log is not None:
            # The saga now occupies this replica: its work starts here as begin()'s did on
            # the crashed one (whose instance.down ended it there), so a fold of node.start
            # and node.finish counts it where it runs and ends.
            self.log.append(("node.start", self.kernel.now, saga.req.id, self.id, replica.name))
        else:
            self.sim.seq += 1
        self.saga_event(saga, "resumed", nxt, 0, None)
        token = saga.token
        assert self.read is not None

        def loaded(req: Request, outcome: int) -> None:
            if token != saga.token:
                return
            if saga.phase == FORWARD:
                self.run_stage(saga)
            else:
                self.compensate_next(saga)

        self.read.call(saga.req, loaded)

    def recover(self, instance: int | None, reason: str) -> None:
        for replica in self.pick(instance):
            if not replica.crashed:
                continue
            replica.crashed -= 1
            if not replica.crashed:
                if self.log is not None:
                    self.log.append(("instance.up", self.kernel.now, replica.name, reason))
                else:
                    self.sim.seq += 1

    def pick(self, instance: int | None) -> list[Replica]:
        if instance is None:
            return list(self.replicas)
        return [self.replicas[instance]] if instance < len(self.replicas) else []

    # -- statistics ------------------------------------------------------------
    def saga_counts(self) -> dict[str, int]:
        return dict(self.counts)

    def snapshot(self) -> dict[str, Any]:
        processed = sum(r.processed for r in self.replicas)
        done = processed - self.done_at_snapshot
        self.done_at_snapshot = processed
        return {
            "in_flight": sum(len(r.sagas) for r in self.replicas) + len(self.orphans),
            "queued": len(self.orphans),
            "utilization": 0.0,
            "completed": done,
            "instances_up": sum(1 for r in self.replicas if not r.crashed),
        }

    def summary(self) -> dict[str, Any]:
        return {
            "processed": sum(r.processed for r in self.replicas),
            "failed": sum(r.failed for r in self.replicas),
            "rejected": 0,
            "utilization": 0.0,
            "queue_max": 0,
            "instances": {
                r.name: {
                    "processed": r.processed,
                    "failed": r.failed,
                    "rejected": 0,
                    "queue_max": 0,
                    "utilization": 0.0,
                    "resumed": r.resumed,
                }
                for r in self.replicas
            },
        }


register(Orchestrator)


def _check_step(graph: Graph, step: dict[str, Any], at: Location, called: set[str]) -> None:
    for name in ("call", "compensate"):
        target = step.get(name)
        if target is None:
            continue
        sub = at.child(name)
        if graph.missing(target):
            graph.add(sub, f'no node "{target}"')
        elif graph.known(target) and target not in called:
            graph.add(sub, f'"{target}" needs an edge from this orchestrator')
