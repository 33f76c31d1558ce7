"""Capacity on paper: an analytic estimate of a topology under a target load.

`estimate(doc, load_per_s=...)` takes any topology document and answers, in
milliseconds, per node: the arrival rate (from the traffic equations, with
every split, copy and fan-out of the format), the utilisation with the
instances the document has, the instances needed for a target utilisation
(or a target p99), the wait, response and p99 per visit, and the cost per
month; then the end-to-end latency per client, the bottleneck (the busiest
node at the target load) and the first node to saturate as load grows. The
formulas are in `patterns.theory`; which of them hold exactly for each node,
and which only as an approximation or a bound, is `applicability`, with the
reasons in words. docs/capacity.md explains the model.

How a node is modelled (the engine's behaviour, patterns/nodes/):

- A service or filter instance is one FIFO queue with `concurrency`
  workers (M/G/c per instance); the pool's instances share its traffic.
  Consumers of a topic or queue take messages from their group's one FIFO,
  so there the whole pool is one M/G/(instances·concurrency). A function is
  one queue over `max_instances`·`concurrency` workers; a database one queue
  over `concurrency` connections.
- A worker is held while it waits for its synchronous calls (a service
  calls its edges one after another after its own service time), so the
  holding time of a caller is its service time plus each call's round trip.
- Load balancers, brokers, dispatchers and orchestrators spend no time of
  their own: they route (brokers add their `latency_ms`). A scatter-gather
  is a fork-join (`theory.fork_join`), cut at the aggregator's deadline.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from patterns import schema, theory
from patterns.distributions import mean_of
from patterns.nodes.base import KINDS
from patterns.nodes.pipes import is_asynchronous
from patterns.scatter import aggregators_reached, producers_of
from patterns.topology import Problem, TopologyError, load


def _is_broker(kind: str) -> bool:
    return KINDS[kind].broker


def _is_emitter(kind: str) -> bool:
    return KINDS[kind].emitter


HOURS_PER_MONTH = 730.0  # 365 × 24 / 12
DEFAULT_TARGET_UTILISATION = 0.7
P99 = 0.99
SECONDS = {
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "min": 60.0,
    "minute": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
    "day": 86_400.0,
    "d": 86_400.0,
    "month": 86_400.0 * 30,
}
# Loads beyond this many requests a second are refused: far past any real system.
MAX_LOAD_PER_S = 1e12
MAX_PEAK_FACTOR = 1000.0
POOLS = ("service", "filter", "function", "database")

# How well the theory fits a node, from best to worst.
EXACT, BOUND, APPROXIMATE, NONE = "exact", "bound", "approximate", "none"
_RANK = {EXACT: 0, BOUND: 1, APPROXIMATE: 2, NONE: 3}

# Arrival processes, as they reach a node.
POISSON, REGULAR, BALANCED, HASHED, OTHER = "poisson", "regular", "balanced", "hashed", "other"


def gettext_noop(text: str) -> str:
    """Marks an English sentence for the web app's gettext catalog and returns it unchanged.

    The engine knows nothing of Django (docs/architecture.md); `make messages` collects the
    calls by this name, as it does Django's own marker, and playground/experiments/engine_text.py
    translates the sentences by their key (docs/i18n.md).
    """
    return text


# Why a node's fit is what it is: each reason by a stable key, its English sentence with
# %(name)s for the values put in. The CLI and the API's English say the sentence; the web
# app says it in the page's language from the key and its values
# (playground/experiments/engine_text.py).
REASONS: dict[str, str] = {
    "client.evenly_spaced": gettext_noop(
        "arrivals are evenly spaced, not Poisson: the queues downstream wait less than the "
        "theory says (an upper bound)"
    ),
    "client.polls": gettext_noop(
        "fetches its result by polling: the end-to-end latency rounds up to the next fetch, "
        "which the estimate leaves out"
    ),
    "saga.step_timeout": gettext_noop(
        'step "%(call)s" has a timeout: the saga time is at most the estimate, and timed-out '
        "calls are not modelled"
    ),
    "saga.step_retries": gettext_noop(
        'step "%(call)s" retries: the estimate counts one attempt per call (no failures, no '
        "backoff)"
    ),
    "saga.parallel": gettext_noop(
        "a parallel step is a fork-join: its mean is bounded above by taking the branches as "
        "independent"
    ),
    "scatter.fork_join": gettext_noop(
        "scatter-gather is a fork-join: the mean of the slowest reply is bounded above by "
        "taking the workers as independent (Nelson & Tantawi 1988)"
    ),
    "scatter.not_exponential": gettext_noop(
        "a worker's response time is not exponential (not a one-worker exponential pool): "
        "each branch is taken as exponential of its mean, so the bound is only approximate"
    ),
    "gather.deadline": gettext_noop(
        "a deadline cuts the gather: latency is at most the deadline, and partial answers are "
        "not counted"
    ),
    "balancer.session_key": gettext_noop(
        "%(algorithm)s routes by session key: the split over targets is taken as even, which "
        "a finite set of sessions only approaches"
    ),
    "queue.consumers": gettext_noop(
        "messages go to whichever consumer is free first: the split is taken in proportion to "
        "each consumer's workers"
    ),
    "node.faults": gettext_noop(
        "faults are scheduled on it: the theory assumes every instance is up all the time"
    ),
    "node.no_traffic": gettext_noop(
        "the estimate sends it no traffic: it is reached only by compensations or retries "
        "after failures, which it does not model"
    ),
    "pool.service_time_one": gettext_noop(
        "%(dist)s service time: the mean wait is exact (Pollaczek–Khinchine, M/G/1); "
        "percentiles use the exponential tail, an approximation"
    ),
    "pool.service_time_many": gettext_noop(
        "%(dist)s service time on %(servers)s workers: M/G/c by the Allen–Cunneen approximation"
    ),
    "pool.holds_calls": gettext_noop(
        "its workers wait for synchronous calls: the holding time (service plus calls) is not "
        "exponential"
    ),
    "pool.regular": gettext_noop(
        "round robin (or evenly spaced arrivals) makes its arrivals more regular than Poisson: "
        "the wait is at most the estimate"
    ),
    "pool.least_connections": gettext_noop(
        "least connections feeds it: modelled as one pooled queue over all its workers, which "
        "joining the shortest queue approaches (the true wait is a little longer)"
    ),
    "pool.least_loaded": gettext_noop(
        "a least-loaded balancer feeds it: the wait lies between the estimate (separate "
        "queues, an upper bound) and one pooled queue"
    ),
    "pool.hashed": gettext_noop("traffic is routed by session key: instances get uneven shares"),
    "pool.other_arrivals": gettext_noop(
        "its arrivals are not Poisson (copies, batches, or the departures of a node that is "
        "not M/M/c)"
    ),
    "pool.queue_limit": gettext_noop(
        "a queue limit rejects work when full: the theory assumes an unbounded queue "
        "(latency is then an upper bound)"
    ),
    "pool.autoscale": gettext_noop(
        "autoscaling changes its instances: the estimate sizes the pool for steady load and "
        "ignores start-up time"
    ),
    "pool.function": gettext_noop(
        "serverless: cold starts and idle stops are left out; it is modelled as one queue "
        "over max_instances"
    ),
    "pool.failures": gettext_noop(
        "failures take the error edges, whose time is counted in proportion"
    ),
}
# What every estimate assumes, by key (the estimate's `assumptions`, translated the same way).
ASSUMPTIONS: dict[str, str] = {
    "steady": gettext_noop(
        "Steady state at the peak rate: arrivals Poisson unless a node's fit says otherwise; "
        "every instance up; no faults, retries or timeouts firing; a client's request cap "
        "(a burst) taken as a steady rate."
    ),
    "queues": gettext_noop(
        "Each service or filter instance is its own FIFO queue with its concurrency in "
        "workers (M/G/c); topic and queue consumers share their group's one queue."
    ),
    "held": gettext_noop(
        "A worker is held while it waits for its synchronous calls, so a caller's holding "
        "time is its service time plus its calls' round trips."
    ),
    "fork_join": gettext_noop(
        "Scatter-gather is a fork-join taken as independent branches: an upper bound on "
        "its mean when the workers' response times are exponential. Asynchronous branches "
        "end to end are the longest by their means: a lower bound."
    ),
    "p99": gettext_noop(
        "End-to-end p99 is not given: per-hop p99s do not add up; see each node's p99."
    ),
}


def reason_text(key: str, args: dict[str, Any]) -> str:
    """A reason's English sentence with its values."""
    return REASONS[key] % args


@dataclass
class Fit:
    """Whether the formulas hold for one node: `status` and the reasons, in English words
    (`reasons`) and by key with their values (`keyed`, for a translation)."""

    status: str = EXACT
    reasons: list[str] = field(default_factory=list)
    keyed: list[dict[str, Any]] = field(default_factory=list)

    def worsen(self, status: str, key: str, **args: str | int) -> None:
        if _RANK[status] > _RANK[self.status]:
            self.status = status
        reason = reason_text(key, args)
        if reason not in self.reasons:
            self.reasons.append(reason)
            self.keyed.append({"key": key, "args": args})

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reasons": list(self.reasons),
            "reason_keys": [{"key": k["key"], "args": dict(k["args"])} for k in self.keyed],
        }


def parse_load(text: str) -> float:
    """Requests a second from "3e9/day", "3 billion/day", "1200/s", "50k/min" or "800".

    Raises ValueError with a message for anything else.
    """
    raw = text.strip().lower().replace(",", "").replace("_", "")
    match = re.fullmatch(
        r"([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*(k|m|thousand|million|billion|bn|b)?"
        r"\s*(?:(?:requests?|req|rps)\s*)?(?:(?:/|per|a)\s*([a-z]+))?",
        raw,
    )
    if not match:
        raise ValueError(f'cannot read a load from {text!r}: write e.g. "3e9/day" or "1200/s"')
    number = float(match.group(1))
    multiplier = {
        None: 1.0,
        "k": 1e3,
        "thousand": 1e3,
        "m": 1e6,
        "million": 1e6,
        "b": 1e9,
        "bn": 1e9,
        "billion": 1e9,
    }[match.group(2)]
    unit = match.group(3) or "s"
    unit = unit[:-1] if unit.endswith("s") and unit[:-1] in SECONDS else unit
    if unit not in SECONDS:
        raise ValueError(f"unknown time unit {unit!r}: use s, min, hour, day or month")
    rate = number * multiplier / SECONDS[unit]
    if not 0 < rate <= MAX_LOAD_PER_S or not math.isfinite(rate):
        raise ValueError(f"the load must be above 0 and at most {MAX_LOAD_PER_S:g} requests/s")
    return rate


@dataclass
class _Edge:
    to: str
    latency: float
    when: str
    op: str
    sync: bool


@dataclass
class _Result:
    """One node's figures with a given number of instances (or connections)."""

    servers: int  # workers in one queue
    queues: int  # how many such queues share the node's traffic
    holding_ms: float
    scv: float
    queue: theory.Queue | None
    response_ms: float  # per visit, calls included


class Network:
    """A normalised topology as a queueing network: routes, rates, fits."""

    def __init__(self, doc: dict[str, Any]):
        self.doc = doc
        self.nodes: dict[str, dict[str, Any]] = {n["id"]: n for n in doc["nodes"]}
        self.order = [n["id"] for n in doc["nodes"]]
        self.out: dict[str, list[_Edge]] = {n: [] for n in self.nodes}
        self.into: dict[str, list[str]] = {n: [] for n in self.nodes}
        for e in doc["edges"]:
            sender, receiver = self.nodes[e["from"]]["kind"], self.nodes[e["to"]]["kind"]
            sync = not _asynchronous(sender, receiver)
            self.out[e["from"]].append(
                _Edge(e["to"], float(e["latency_ms"]), e["when"], e["op"], sync)
            )
            if e["when"] == "ok":
                self.into[e["to"]].append(e["from"])
        self.faulted = {f.get("node") for f in doc.get("faults", [])}
        # Both depend on the document only; a model asks for them once per node and round.
        self._splits: dict[str, list[tuple[_Edge, float]]] = {}
        self._service: dict[str, tuple[float, float]] = {}
        self.producers = {
            n: producers_of(doc, n)
            for n, spec in self.nodes.items()
            if spec["kind"] == "aggregator"
        }

    # -- routing ---------------------------------------------------------
    def ok(self, node_id: str) -> list[_Edge]:
        return [e for e in self.out[node_id] if e.when == "ok"]

    def errors(self, node_id: str) -> list[_Edge]:
        return [e for e in self.out[node_id] if e.when == "error"]

    def targets(self, node_id: str) -> int:
        """How many balancing targets a node offers a load balancer (docs/topology.md)."""
        spec = self.nodes[node_id]
        if spec["kind"] in ("service", "filter"):
            return int(spec["instances"])
        if spec["kind"] == "orchestrator":
            return int(spec["replicas"])
        return 1

    def splits(self, node_id: str) -> list[tuple[_Edge, float]]:
        """Each outgoing edge with how many visits one visit to `node_id` sends down it."""
        known = self._splits.get(node_id)
        if known is None:
            known = self._splits[node_id] = self._split(node_id)
        return known

    def service(self, node_id: str) -> tuple[float, float]:
        """The mean (ms) and squared coefficient of variation of a pool's own work time."""
        known = self._service.get(node_id)
        if known is None:
            known = self._service[node_id] = _service(self.nodes[node_id], self, node_id)
        return known

    def _split(self, node_id: str) -> list[tuple[_Edge, float]]:
        spec = self.nodes[node_id]
        kind = spec["kind"]
        ok = self.ok(node_id)
        if kind == "load_balancer":
            weights = spec["weights"]
            shares = [
                sum(
                    float(weights.get(f"{e.to}#{i}", weights.get(e.to, 1)))
                    for i in range(self.targets(e.to))
                )
                for e in ok
            ]
            total = sum(shares) or 1.0
            return [(e, s / total) for e, s in zip(ok, shares, strict=True)]
        if kind == "queue":
            # Each message goes to one consumer instance, whichever is free first:
            # in the long run, in proportion to the workers each consumer has.
            caps = [float(self.workers(e.to)) for e in ok]
            total = sum(caps) or 1.0
            return [(e, c / total) for e, c in zip(ok, caps, strict=True)]
        if kind in ("topic", "dispatcher", "client", "source"):
            return [(e, 1.0) for e in ok]
        if kind == "aggregator":
            # One merged result per gather; a gather takes one reply per producer.
            per = 1.0 / max(1, len(self.producers[node_id]))
            return [(e, per) for e in ok]
        if kind == "orchestrator":
            calls: dict[str, int] = {}
            for step in spec["steps"]:
                for call in step.get("parallel", [step]):
                    calls[call["call"]] = calls.get(call["call"], 0) + 1
            out = [(e, float(calls.get(e.to, 0))) for e in ok]
            if spec["store"] is not None:
                # The saga's state is written when it starts and after every step.
                writes = float(len(_flat_steps(spec)) + 1)
                out = [(e, n + writes if e.to == spec["store"] else n) for e, n in out]
            return out
        if kind in POOLS:
            fail = float(spec.get("failure_rate", 0) or 0)
            copies = float(spec.get("split", 1)) if kind == "filter" else 1.0
            # A filter's pipes carry only the share it passes on (`pass_rate`).
            copies *= float(spec.get("pass_rate", 1)) if kind == "filter" else 1.0
            out = [(e, (1.0 - fail) * (1.0 if e.sync else copies)) for e in ok]
            return out + [(e, fail) for e in self.errors(node_id)]
        return []

    def workers(self, node_id: str) -> int:
        spec = self.nodes[node_id]
        kind = spec["kind"]
        if kind in ("service", "filter"):
            return int(spec["instances"]) * int(spec["concurrency"])
        if kind == "function":
            return int(spec["max_instances"]) * int(spec["concurrency"])
        if kind == "database":
            return int(spec["concurrency"])
        return 1

    def rates(self, emitters: dict[str, float]) -> dict[str, float]:
        """Visits per ms to every node, by the traffic equations."""
        routes = {n: [(e.to, p) for e, p in self.splits(n) if p] for n in self.nodes}
        solved = theory.traffic(emitters, routes)
        return {n: solved.get(n, 0.0) for n in self.nodes}

    def shared_queue(self, node_id: str) -> bool:
        """Whether the node's workers are modelled as one queue: consumers of a broker
        group and functions do take work from one FIFO; a pool fed only by
        least-connections balancers is close to one (join the shortest queue)."""
        kind = self.nodes[node_id]["kind"]
        if kind in ("function", "database"):
            return True
        feeders = self.into[node_id]
        return bool(feeders) and all(
            _is_broker(self.nodes[f]["kind"])
            or (
                self.nodes[f]["kind"] == "load_balancer"
                and self.nodes[f]["algorithm"] == "least_connections"
            )
            for f in feeders
        )


def _asynchronous(sender: str, receiver: str) -> bool:
    """Whether the sender goes on at once: a pipe or a publish (patterns/nodes/pipes.py),
    a broker's delivery, a scattered copy, or a reply into an aggregator."""
    if is_asynchronous(sender, receiver) or _is_broker(sender):
        return True
    return sender == "dispatcher" or receiver == "aggregator"


def _flat_steps(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [call for step in spec["steps"] for call in step.get("parallel", [step])]


def _service(spec: dict[str, Any], net: Network, node_id: str) -> tuple[float, float]:
    """The mean (ms) and squared coefficient of variation of a node's own work time."""
    kind = spec["kind"]
    if kind == "database":
        # Reads and writes in proportion to the edges into it (and stores' writes).
        reads, writes = 0.0, 0.0
        for sender in net.nodes:
            for e in net.out[sender]:
                if e.to == node_id:
                    if e.op == "write":
                        writes += 1
                    else:
                        reads += 1
        for other in net.nodes.values():
            if other["kind"] in ("aggregator", "orchestrator") and other["store"] == node_id:
                writes += 1
        total = reads + writes or 1.0
        r, w = float(spec["read_ms"]), float(spec["write_ms"])
        mean = (reads * r + writes * w) / total
        second = (reads * r * r + writes * w * w) / total
        return mean, (second - mean * mean) / (mean * mean) if mean > 0 else 0.0
    return mean_of(spec["service_time"]), _scv(spec["service_time"])


def _scv(duration: dict[str, Any]) -> float:
    """Variance over mean² of a duration (docs/topology.md, "Durations")."""
    dist = duration["dist"]
    if dist == "exponential":
        return 1.0
    if dist == "uniform":
        low, high = float(duration["min_ms"]), float(duration["max_ms"])
        mean = (low + high) / 2
        return ((high - low) ** 2 / 12) / (mean * mean) if mean > 0 else 0.0
    if dist == "lognormal":
        return math.exp(float(duration["sigma"]) ** 2) - 1.0
    return 0.0


class _Model:
    """One evaluation: rates fixed, instances per pool given; memoised per node."""

    def __init__(self, net: Network, rates: dict[str, float], sizes: dict[str, int]):
        self.net = net
        self.rates = rates
        self.sizes = sizes
        self.memo: dict[str, _Result] = {}
        self.done: dict[str, float] = {}

    def size(self, node_id: str) -> int:
        """Instances of a service/filter, max instances of a function, connections of a db."""
        if node_id in self.sizes:
            return self.sizes[node_id]
        spec = self.net.nodes[node_id]
        return {
            "function": int(spec.get("max_instances", 1)),
            "database": int(spec.get("concurrency", 1)),
        }.get(spec["kind"], int(spec.get("instances", 1)))

    def calls_ms(self, node_id: str) -> tuple[float, float]:
        """Mean and variance of the time a worker waits on its synchronous calls per visit."""
        mean, var = 0.0, 0.0
        for e, p in self.net.splits(node_id):
            if not e.sync or not p:
                continue
            r = self.result(e.to).response_ms
            mean += p * (2 * e.latency + r)
            # A response time taken as exponential (exact for M/M/1).
            var += p * r * r
        return mean, var

    def result(self, node_id: str) -> _Result:
        if node_id in self.memo:
            return self.memo[node_id]
        spec = self.net.nodes[node_id]
        kind = spec["kind"]
        lam = self.rates[node_id]
        if kind in POOLS:
            own, scv = self.net.service(node_id)
            calls, calls_var = self.calls_ms(node_id)
            hold = own + calls
            var = scv * own * own + calls_var
            hold_scv = var / (hold * hold) if hold > 0 else 0.0
            size = self.size(node_id)
            concurrency = int(spec.get("concurrency", 1))
            if kind == "database":
                servers, queues = size, 1
            elif self.net.shared_queue(node_id):
                servers, queues = size * concurrency, 1
            else:
                servers, queues = concurrency, size
            if math.isfinite(hold):
                q = theory.mgc(servers, lam / queues, hold, hold_scv)
            else:
                q = theory.Queue(
                    servers, lam / queues, hold, hold_scv, math.inf, 1.0, math.inf, math.inf
                )
            res = _Result(servers, queues, hold, hold_scv, q, q.response_ms)
        elif kind == "load_balancer":
            calls, _ = self.calls_ms(node_id)
            res = _Result(0, 0, 0.0, 0.0, None, calls)
        elif kind == "orchestrator":
            res = _Result(0, 0, 0.0, 0.0, None, self.saga_ms(spec))
        elif kind == "dispatcher":
            res = _Result(0, 0, 0.0, 0.0, None, self.gather_ms(node_id))
        else:
            # Brokers, aggregators and sinks answer a caller at once.
            res = _Result(0, 0, 0.0, 0.0, None, 0.0)
        self.memo[node_id] = res
        return res

    def saga_ms(self, spec: dict[str, Any]) -> float:
        """A saga's mean time: its steps in turn (a parallel step as a fork-join), and
        its state writes."""
        edges = {e.to: e for e in self.net.ok(spec["id"])}
        total = 0.0
        for step in spec["steps"]:
            calls = step.get("parallel", [step])
            branches = [
                theory.Branch(2 * edges[c["call"]].latency, self.result(c["call"]).response_ms)
                for c in calls
            ]
            total += (
                branches[0].delay_ms + branches[0].mean_ms
                if len(branches) == 1
                else (theory.fork_join(branches))
            )
        store = spec["store"]
        if store is not None and store in edges:
            write = 2 * edges[store].latency + self.result(store).response_ms
            total += write * (len(_flat_steps(spec)) + 1)
        elif store is not None:
            total += (len(_flat_steps(spec)) + 1) * self.result(store).response_ms
        return total

    def gather_ms(self, dispatcher: str) -> float:
        """Scatter to the workers, gather at the aggregator: a fork-join, cut at its deadline."""
        agg_id = aggregators_reached(self.net.doc, dispatcher)[0]
        agg = self.net.nodes[agg_id]
        branches = []
        for e in self.net.ok(dispatcher):
            back = self.reply_latency(e.to, agg_id)
            branches.append(theory.Branch(e.latency + back, self.result(e.to).response_ms))
        need = {"all": None, "deadline": None, "count": agg["count"]}[agg["completion"]]
        gather = theory.fork_join(branches, need, agg["timeout_ms"])
        if agg["store"] is not None:
            gather += self.store_ms(agg_id, agg["store"])
        return gather

    def store_ms(self, writer: str, store: str) -> float:
        edge = next((e for e in self.net.out[writer] if e.to == store), None)
        # patterns/nodes/aggregator.py: 1 ms each way without an edge.
        latency = edge.latency if edge is not None else 1.0
        return 2 * latency + self.result(store).response_ms

    def reply_latency(self, worker: str, agg: str) -> float:
        """The edge latency from a worker to its aggregator (through a broker: both hops)."""
        for e in self.net.ok(worker):
            if e.to == agg:
                return e.latency
            if _is_broker(self.net.nodes[e.to]["kind"]):
                for f in self.net.ok(e.to):
                    if f.to == agg:
                        return e.latency + float(self.net.nodes[e.to]["latency_ms"]) + f.latency
        return 0.0

    def completion_ms(self, node_id: str, seen: frozenset[str]) -> float:
        """Mean time from an item's arrival at `node_id` until all its branches end
        (the longest branch by its mean: a lower bound of the mean of the longest)."""
        if node_id in seen:
            return 0.0
        seen = seen | {node_id}
        spec = self.net.nodes[node_id]
        own = self.result(node_id).response_ms if spec["kind"] in POOLS else 0.0
        if _is_broker(spec["kind"]):
            own = float(spec["latency_ms"])
        later = 0.0
        for e, p in self.net.splits(node_id):
            if e.sync or not p or e.when != "ok":
                continue
            later = max(later, e.latency + self.completion_ms(e.to, seen))
        return own + later

    def end_to_end(self, emitter: str) -> float:
        total = 0.0
        branches = 0.0
        for e in self.net.ok(emitter):
            if e.sync:
                total += 2 * e.latency + self.result(e.to).response_ms
            else:
                branches = max(branches, e.latency + self.completion_ms(e.to, frozenset()))
        return total + branches


def applicability(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per node, whether the theory applies exactly, as a bound, approximately or not at all,
    with the reasons in words (the same fits `estimate` reports, without a load)."""
    net = Network(load(doc))
    return {n: fit.to_dict() for n, fit in _fits(net).items()}


def _fits(net: Network) -> dict[str, Fit]:
    arrivals = _arrivals(net)
    fits: dict[str, Fit] = {}
    for node_id, spec in net.nodes.items():
        fit = Fit()
        kind = spec["kind"]
        arriving = arrivals.get(node_id, POISSON)
        if kind in POOLS:
            _pool_fit(net, node_id, spec, arriving, fit)
        elif kind == "client":
            if spec["arrival"] == "constant":
                fit.worsen(BOUND, "client.evenly_spaced")
            if spec["fetch_after_ms"] is not None:
                fit.worsen(APPROXIMATE, "client.polls")
        elif kind == "orchestrator":
            for step in _flat_steps(spec):
                if step["timeout_ms"] is not None:
                    fit.worsen(BOUND, "saga.step_timeout", call=step["call"])
                if step["retries"]:
                    fit.worsen(APPROXIMATE, "saga.step_retries", call=step["call"])
            if any("parallel" in s for s in spec["steps"]):
                fit.worsen(BOUND, "saga.parallel")
        elif kind == "dispatcher":
            fit.worsen(BOUND, "scatter.fork_join")
            if not all(_exponential_response(net, e.to) for e in net.ok(node_id)):
                fit.worsen(APPROXIMATE, "scatter.not_exponential")
        elif kind == "aggregator":
            if spec["timeout_ms"] is not None:
                fit.worsen(BOUND, "gather.deadline")
        elif kind == "load_balancer" and spec["algorithm"] in (
            "sticky",
            "ip_hash",
            "consistent_hash",
        ):
            fit.worsen(APPROXIMATE, "balancer.session_key", algorithm=spec["algorithm"])
        elif kind == "queue" and len(net.ok(node_id)) > 1:
            fit.worsen(APPROXIMATE, "queue.consumers")
        if node_id in net.faulted:
            fit.worsen(APPROXIMATE, "node.faults")
        fits[node_id] = fit
    return fits


def _exponential_response(net: Network, node_id: str) -> bool:
    """Whether a node's response time is exponential: an M/M/1 queue (one worker, an
    exponential service time, no calls held), whose response is Exp(μ - λ)."""
    spec = net.nodes[node_id]
    if spec["kind"] not in ("service", "filter"):
        return False
    one = (net.workers(node_id) if net.shared_queue(node_id) else spec["concurrency"]) == 1
    held = any(e.sync and e.when == "ok" for e in net.out[node_id])
    return one and not held and spec["service_time"]["dist"] == "exponential"


def _pool_fit(net: Network, node_id: str, spec: dict[str, Any], arriving: str, fit: Fit) -> None:
    kind = spec["kind"]
    dist = spec["service_time"]["dist"] if kind != "database" else "constant"
    shared = net.shared_queue(node_id)
    servers = net.workers(node_id) if shared else int(spec["concurrency"])
    if dist != "exponential":
        if servers == 1:
            fit.worsen(EXACT, "pool.service_time_one", dist=dist)
        else:
            fit.worsen(APPROXIMATE, "pool.service_time_many", dist=dist, servers=servers)
    if any(e.sync and e.when == "ok" for e in net.out[node_id]):
        fit.worsen(APPROXIMATE, "pool.holds_calls")
    if arriving == REGULAR:
        fit.worsen(BOUND, "pool.regular")
    elif arriving == BALANCED and shared:
        fit.worsen(APPROXIMATE, "pool.least_connections")
    elif arriving == BALANCED:
        fit.worsen(APPROXIMATE, "pool.least_loaded")
    elif arriving == HASHED:
        fit.worsen(APPROXIMATE, "pool.hashed")
    elif arriving == OTHER:
        fit.worsen(APPROXIMATE, "pool.other_arrivals")
    if spec.get("queue_limit") is not None:
        fit.worsen(APPROXIMATE, "pool.queue_limit")
    if spec.get("autoscale"):
        fit.worsen(APPROXIMATE, "pool.autoscale")
    if kind == "function":
        fit.worsen(APPROXIMATE, "pool.function")
    if float(spec.get("failure_rate", 0) or 0) and net.errors(node_id):
        fit.worsen(APPROXIMATE, "pool.failures")


def _arrivals(net: Network) -> dict[str, str]:
    """How each node's arrivals look: Poisson, more regular, balanced, hashed or other."""
    worst = {POISSON: 0, REGULAR: 1, BALANCED: 2, HASHED: 2, OTHER: 3}
    flows: dict[str, str] = {}
    ranks: dict[str, int] = {}

    def put(node_id: str, kind: str) -> bool:
        if worst[kind] > ranks.get(node_id, -1):
            ranks[node_id] = worst[kind]
            flows[node_id] = kind
            return True
        return False

    todo: list[str] = []
    for n, spec in net.nodes.items():
        if _is_emitter(spec["kind"]):
            put(n, POISSON if spec["arrival"] == "poisson" else REGULAR)
            todo.append(n)
    steps = 0
    while todo and steps < 100_000:
        steps += 1
        u = todo.pop()
        spec = net.nodes[u]
        kind = spec["kind"]
        here = flows[u]
        for i, (e, p) in enumerate(net.splits(u)):
            if not p:
                continue
            flow = here
            if kind == "load_balancer":
                total = sum(net.targets(f.to) for f in net.ok(u))
                algorithm = spec["algorithm"]
                if total > 1 and algorithm not in ("random",):
                    flow = {
                        "round_robin": REGULAR,
                        "weighted_round_robin": REGULAR,
                        "least_connections": BALANCED,
                        "power_of_two": BALANCED,
                    }.get(algorithm, HASHED)
                    if here != POISSON:
                        flow = OTHER if flow == REGULAR else flow
            elif kind in POOLS:
                exp = kind != "database" and spec["service_time"]["dist"] == "exponential"
                holds = any(f.sync and f.when == "ok" for f in net.out[u])
                if not exp or holds or (kind == "filter" and spec["split"] > 1 and not e.sync):
                    flow = OTHER
            elif kind in ("aggregator", "orchestrator") and not (kind == "orchestrator" and i == 0):
                flow = OTHER
            elif kind == "client" and i > 0:
                flow = OTHER  # called after the first call's answer
            to_kind = net.nodes[e.to]["kind"]
            if (
                kind != "load_balancer"
                and not _is_broker(kind)
                and to_kind in ("service", "filter")
                and net.targets(e.to) > 1
                and not net.shared_queue(e.to)
            ):
                # A plain edge spreads its calls round robin over the instances.
                flow = REGULAR if flow == POISSON else OTHER
            if put(e.to, flow):
                todo.append(e.to)
    return flows


def _emitter_rates(net: Network, load_per_s: float | None, peak: float) -> dict[str, float]:
    """Emission per ms of every client and source: the document's, or scaled to the load."""
    own = {n: float(s["rate"]) for n, s in net.nodes.items() if _is_emitter(s["kind"])}
    total = sum(own.values())
    scale = (load_per_s / total if load_per_s is not None and total else 1.0) * peak
    return {n: r * scale / 1000.0 for n, r in own.items()}


def estimate(
    doc: Any,
    load_per_s: float | None = None,
    peak_factor: float = 1.0,
    target_utilisation: float = DEFAULT_TARGET_UTILISATION,
    target_p99_ms: float | None = None,
    cost_per_hour: dict[str, float] | None = None,
    default_cost_per_hour: float = 0.0,
) -> dict[str, Any]:
    """The capacity estimate of `doc` at `load_per_s` requests a second on average (spread
    over the clients and sources in proportion to their rates; None: the document's own
    rates), times `peak_factor` at the peak. See the module docstring and docs/capacity.md.

    Raises TopologyError (each problem naming its field) for a bad document or input.
    """
    problems = _check_inputs(
        load_per_s,
        peak_factor,
        target_utilisation,
        target_p99_ms,
        cost_per_hour,
        default_cost_per_hour,
    )
    if problems:
        raise TopologyError(problems)
    normal = load(doc)
    net = Network(normal)
    for node_id in cost_per_hour or {}:
        if node_id not in net.nodes:
            problems.append(Problem(f"cost_per_hour.{node_id}", f'no node "{node_id}"'))
    if problems:
        raise TopologyError(problems)
    emitters = _emitter_rates(net, load_per_s, peak_factor)
    try:
        rates = net.rates(emitters)
    except ValueError as exc:
        raise TopologyError([Problem("edges", str(exc))]) from exc
    fits = _fits(net)
    for node_id, lam in rates.items():
        if not lam and net.into[node_id] and net.nodes[node_id]["kind"] in POOLS:
            fits[node_id].worsen(NONE, "node.no_traffic")
    now = _Model(net, rates, {})
    sized = _size(net, rates, target_utilisation, target_p99_ms)
    plan = _Model(net, rates, sized)
    costs = cost_per_hour or {}
    nodes: dict[str, Any] = {}
    for node_id in net.order:
        spec = net.nodes[node_id]
        kind = spec["kind"]
        cur = now.result(node_id)
        row: dict[str, Any] = {
            "kind": kind,
            "rate_per_s": _r(rates[node_id] * 1000.0),
            "fit": fits[node_id].to_dict(),
        }
        if kind in POOLS and cur.queue is not None:
            planned = plan.result(node_id)
            assert planned.queue is not None
            hourly = costs.get(
                node_id, float(spec.get("cost_per_hour", 0) or 0) or default_cost_per_hour
            )
            unit = {"database": "connections", "function": "max_instances"}.get(kind, "instances")
            needed = sized[node_id]
            # A function pays for the instances it keeps busy; a pool for all it runs.
            concurrency = int(spec.get("concurrency", 1))
            billed_now = now.size(node_id) if kind != "function" else _busy(cur, concurrency)
            billed_plan = needed if kind != "function" else _busy(planned, concurrency)
            row.update(
                unit=unit,
                size=now.size(node_id),
                servers_per_queue=cur.servers,
                queues=cur.queues,
                service_ms=_r(net.service(node_id)[0]),
                holding_ms=_r(cur.holding_ms),
                utilisation=_r(cur.queue.utilisation),
                saturated=not cur.queue.stable,
                wait_ms=_r(cur.queue.wait_ms),
                response_ms=_r(cur.response_ms),
                p99_ms=_r(cur.queue.response_quantile(P99)),
                needed=needed,
                planned={
                    "utilisation": _r(planned.queue.utilisation),
                    "wait_ms": _r(planned.queue.wait_ms),
                    "response_ms": _r(planned.response_ms),
                    "p99_ms": _r(planned.queue.response_quantile(P99)),
                },
                cost_per_hour=hourly,
                cost_per_month=_r(hourly * billed_now * HOURS_PER_MONTH)
                if kind != "database"
                else _r(hourly * HOURS_PER_MONTH),
                planned_cost_per_month=_r(hourly * billed_plan * HOURS_PER_MONTH)
                if kind != "database"
                else _r(hourly * HOURS_PER_MONTH),
            )
        else:
            row.update(
                response_ms=_r(cur.response_ms),
                planned={"response_ms": _r(plan.result(node_id).response_ms)},
            )
        nodes[node_id] = row
    clients = {
        n: {
            "rate_per_s": _r(emitters[n] * 1000.0),
            "latency_ms": _r(now.end_to_end(n)),
            "planned_latency_ms": _r(plan.end_to_end(n)),
        }
        for n in net.order
        if _is_emitter(net.nodes[n]["kind"])
    }
    pools = {n: r for n, r in nodes.items() if "utilisation" in r}
    # The pool busiest by its own work (a caller waiting on a saturated callee is not it).
    bottleneck = max(
        pools,
        key=lambda n: (
            pools[n]["holding_ms"] is not None,
            math.inf if pools[n]["utilisation"] is None else pools[n]["utilisation"],
        ),
        default=None,
    )
    first, factor, waiting = _first_to_saturate(net, rates)
    status = max((f.status for f in fits.values()), key=_RANK.__getitem__, default=EXACT)
    total_rate = sum(emitters.values()) * 1000.0
    return {
        "load": {
            "average_per_s": _r(total_rate / peak_factor),
            "peak_factor": peak_factor,
            "peak_per_s": _r(total_rate),
            "per_day": _r(total_rate / peak_factor * 86_400.0),
        },
        "targets": {"utilisation": target_utilisation, "p99_ms": target_p99_ms},
        "nodes": nodes,
        "clients": clients,
        "bottleneck": bottleneck,
        # Pools with no steady state at this load as the document sizes them.
        "saturated": [n for n, r in pools.items() if r["saturated"]],
        "first_to_saturate": {"node": first, "at_load_factor": _r(factor), "waiting_on": waiting},
        "cost_per_month": _r(sum(r.get("cost_per_month", 0.0) or 0.0 for r in nodes.values())),
        "planned_cost_per_month": _r(
            sum(r.get("planned_cost_per_month", 0.0) or 0.0 for r in nodes.values())
        ),
        "fit": status,
        "assumptions": _assumptions(),
    }


def _busy(res: _Result, concurrency: int) -> float:
    """Instances a function keeps busy on average: its offered load over its concurrency."""
    if res.queue is None or not res.queue.stable:
        return float(res.servers) / concurrency
    return res.queue.arrival_rate * res.holding_ms * res.queues / concurrency


def _size(
    net: Network, rates: dict[str, float], target: float, p99: float | None
) -> dict[str, int]:
    """Instances (connections, max instances) per pool for the targets, callees first:
    a caller's holding time includes its calls at their planned size."""
    sizes: dict[str, int] = {}
    # One model throughout: a node's figures are asked for (and kept) only once it is
    # sized, as every node's callees come before it.
    model = _Model(net, rates, sizes)
    for node_id in _callees_first(net):
        spec = net.nodes[node_id]
        if spec["kind"] not in POOLS:
            continue
        own, scv = net.service(node_id)
        calls, calls_var = model.calls_ms(node_id)
        hold = own + calls
        if not math.isfinite(hold):
            sizes[node_id] = model.size(node_id)
            continue
        hold_scv = (scv * own * own + calls_var) / (hold * hold) if hold > 0 else 0.0
        lam = rates[node_id]
        # Workers one unit brings: a connection, or an instance's `concurrency`.
        per = 1 if spec["kind"] == "database" else int(spec.get("concurrency", 1))
        shared = net.shared_queue(node_id)
        need = math.ceil(theory.servers_for_utilisation(lam * hold, target) / per)
        if p99 is not None:
            pool = _Pool(lam, hold, hold_scv, per, shared)
            better = theory.fewest(pool.meets(p99), need, max(need * 64, need + 64))
            if better is not None:
                need = better
        sizes[node_id] = need
    return sizes


@dataclass(frozen=True)
class _Pool:
    """A pool's traffic and holding time, to try sizes against a p99 target."""

    rate: float
    hold_ms: float
    scv: float
    per_unit: int  # workers one instance (or connection) brings
    shared: bool  # one queue over every worker, or one per instance

    def queue(self, units: int) -> theory.Queue:
        if self.shared:
            return theory.mgc(units * self.per_unit, self.rate, self.hold_ms, self.scv)
        return theory.mgc(self.per_unit, self.rate / units, self.hold_ms, self.scv)

    def meets(self, p99: float) -> Callable[[int], bool]:
        def ok(units: int) -> bool:
            q = self.queue(units)
            return q.stable and q.response_quantile(P99) <= p99

        return ok


def _callees_first(net: Network) -> list[str]:
    """Nodes ordered so that every synchronous callee comes before its callers."""
    order: list[str] = []
    state: dict[str, int] = {}
    for root in net.order:
        stack = [(root, iter([e.to for e in net.out[root] if e.sync]))]
        if root in state:
            continue
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                state[node] = 2
                order.append(node)
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter([e.to for e in net.out[nxt] if e.sync])))
    return order


_SATURATION_TOLERANCE = 1e-4  # relative, on the load factor


def _first_to_saturate(
    net: Network, rates: dict[str, float]
) -> tuple[str | None, float, str | None]:
    """The node whose utilisation reaches 1 first as every rate grows by one factor, and
    that factor (callers' holding times grow with their callees' queues, so it is found
    by bisection over the whole model, not per node)."""

    order = _callees_first(net)

    def worst(factor: float) -> tuple[str | None, float]:
        """The pool to blame at this factor and the highest utilisation. A caller whose
        callee is saturated waits without end too: the callee, saturated by its own
        work, is the one named."""
        model = _Model(net, {n: r * factor for n, r in rates.items()}, {})
        below: dict[str, bool] = {}  # a saturated pool at or below this node's calls
        name, blamed, top = None, -1.0, -1.0
        for node_id in order:
            callee = any(below.get(e.to, False) for e in net.out[node_id] if e.sync)
            util = -1.0
            if net.nodes[node_id]["kind"] in POOLS:
                res = model.result(node_id)
                assert res.queue is not None
                util = res.queue.utilisation
                top = max(top, util)
                if not callee and util > blamed:
                    name, blamed = node_id, util
            below[node_id] = callee or util >= 1.0
        return name, top

    node, top = worst(1.0)
    if node is None or top <= 0:
        return None, math.inf, None
    # Every utilisation grows at least in proportion to the factor (a caller's holding
    # time grows with its callees' queues): 1 and 1/top bracket the answer. When the
    # pool that saturates first has no callee to wait on, 1/its utilisation is the
    # answer itself, which two evaluations confirm.
    low, high = (1.0, 1.0 / top * (1 + 1e-12)) if top < 1.0 else (1e-12, 1.0)
    util = _utilisation(net, rates, node)
    if util > 0:
        guess = 1.0 / util
        below, above = guess * (1 - _SATURATION_TOLERANCE), guess * (1 + 1e-12)
        if low <= below and above <= high and worst(below)[1] < 1.0 <= worst(above)[1]:
            low, high = below, above
    while high - low > _SATURATION_TOLERANCE * high:
        mid = math.sqrt(low * high)
        if worst(mid)[1] >= 1.0:
            high = mid
        else:
            low = mid
    name = worst(high)[0]
    return (
        name,
        high,
        _waiting_on(net, _Model(net, {n: r * high for n, r in rates.items()}, {}), name),
    )


def _utilisation(net: Network, rates: dict[str, float], node_id: str) -> float:
    """A pool's utilisation at the given rates (its calls' queues included)."""
    res = _Model(net, rates, {}).result(node_id)
    return res.queue.utilisation if res.queue is not None else 0.0


def _waiting_on(net: Network, model: _Model, node_id: str | None) -> str | None:
    """The busiest pool among a node's synchronous callees, if it is near saturation too:
    the node runs out of workers because their calls to it wait in a long queue."""
    if node_id is None:
        return None
    seen: set[str] = set()
    todo = [e.to for e in net.out[node_id] if e.sync]
    best, top = None, 0.95
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        res = model.result(n)
        if res.queue is not None and res.queue.utilisation > top:
            best, top = n, res.queue.utilisation
        todo.extend(e.to for e in net.out[n] if e.sync)
    return best


def _check_inputs(
    load_per_s: float | None,
    peak: float,
    target: float,
    p99: float | None,
    costs: dict[str, float] | None,
    default_cost: float,
) -> list[Problem]:
    problems = []
    if load_per_s is not None and not (
        math.isfinite(load_per_s) and 0 < load_per_s <= MAX_LOAD_PER_S
    ):
        problems.append(
            Problem(
                "load",
                f"must be above 0 and at most {MAX_LOAD_PER_S:g} requests/s (got {load_per_s})",
            )
        )
    if not (math.isfinite(peak) and 1.0 <= peak <= MAX_PEAK_FACTOR):
        problems.append(
            Problem("peak_factor", f"must be from 1 to {MAX_PEAK_FACTOR:g} (got {peak})")
        )
    if not (math.isfinite(target) and 0.0 < target < 1.0):
        problems.append(
            Problem("target_utilisation", f"must be above 0 and below 1 (got {target})")
        )
    if p99 is not None and not (math.isfinite(p99) and 0 < p99 <= schema.MAX_MS):
        problems.append(Problem("target_p99_ms", f"must be a number of ms above 0 (got {p99})"))
    for node_id, cost in (costs or {}).items():
        if not (math.isfinite(cost) and 0 <= cost <= schema.MAX_COST):
            problems.append(
                Problem(
                    f"cost_per_hour.{node_id}",
                    f"must be from 0 to {schema.MAX_COST:g} (got {cost})",
                )
            )
    if not (math.isfinite(default_cost) and 0 <= default_cost <= schema.MAX_COST):
        problems.append(
            Problem(
                "default_cost_per_hour",
                f"must be from 0 to {schema.MAX_COST:g} (got {default_cost})",
            )
        )
    return problems


def _assumptions() -> list[str]:
    return list(ASSUMPTIONS.values())


def _r(x: float) -> float | None:
    """Rounded for output; None for infinity (JSON has no Infinity)."""
    if not math.isfinite(x):
        return None
    return round(x, 6)


# -- the cross-check: the event simulation of a scaled-down copy ------------------

# What the scaled-down copy aims for by default: a run the engine finishes in
# seconds, with enough requests that its mean is within a few percent.
CHECK_MAX_RATE = 500.0
CHECK_MAX_INSTANCES = 50
CHECK_REQUESTS = 20_000


def scaled_copy(
    doc: Any,
    estimate_result: dict[str, Any],
    max_rate: float = CHECK_MAX_RATE,
    max_instances: int = CHECK_MAX_INSTANCES,
    requests: int = CHECK_REQUESTS,
    max_duration_ms: float = schema.MAX_MS,
) -> dict[str, Any]:
    """A copy of `doc` at the planned size for the estimate's peak load, scaled down by
    one factor k so that the whole copy emits at most `max_rate` requests a second and
    no pool needs more than `max_instances`: every rate and every pool divided by k
    (rounded, at least 1). The copy runs for about `requests` requests, with no
    faults, no autoscaling and no `requests` caps, so it sits in the steady state
    the theory describes. Its own estimate (`estimate(copy)`) is what a run of it
    is compared with (`compare`)."""
    copy = load(doc)
    nodes = estimate_result["nodes"]
    clients = estimate_result["clients"]
    total = sum(c["rate_per_s"] or 0.0 for c in clients.values())
    biggest = max((r["needed"] for r in nodes.values() if "needed" in r), default=1)
    k = max(1.0, total / max_rate, biggest / max_instances)
    for spec in copy["nodes"]:
        row = nodes[spec["id"]]
        kind = spec["kind"]
        if _is_emitter(kind):
            spec["rate"] = max(clients[spec["id"]]["rate_per_s"] / k, 1e-3)
            spec["requests"] = None
        elif kind in POOLS:
            # Rounded up: no pool of the copy is busier than the plan.
            size = max(1, math.ceil(row["needed"] / k))
            if kind == "database":
                spec["concurrency"] = size
            elif kind == "function":
                spec["max_instances"] = size
                spec["instances"] = min(spec["instances"], size)
            else:
                spec["instances"] = size
                spec["autoscale"] = None
    copy["faults"] = []
    rate = sum(s["rate"] for s in copy["nodes"] if _is_emitter(s["kind"]))
    copy["duration_ms"] = min(max_duration_ms, max(1000.0, requests / rate * 1000.0))
    return load(copy)


def compare(copy: dict[str, Any], summary: dict[str, Any]) -> dict[str, Any]:
    """The estimate of `copy` at its own rates against a run's summary of it: per pool the
    predicted and simulated utilisation, and the mean latency of all requests
    (predicted: the clients' end-to-end latencies weighted by their rates)."""
    predicted = estimate(copy)
    rows = {}
    for node_id, row in predicted["nodes"].items():
        if "utilisation" not in row:
            continue
        simulated = summary["nodes"].get(node_id, {}).get("utilization")
        rows[node_id] = {
            "predicted_utilisation": row["utilisation"],
            "simulated_utilisation": simulated,
            "difference": _diff(row["utilisation"], simulated),
            "fit": row["fit"]["status"],
        }
    clients = predicted["clients"]
    weight = sum(c["rate_per_s"] or 0.0 for c in clients.values())
    known = all(c["latency_ms"] is not None for c in clients.values())
    mean = (
        sum((c["rate_per_s"] or 0.0) * c["latency_ms"] for c in clients.values()) / weight
        if known and weight
        else None
    )
    simulated_mean = summary["latency_ms"]["mean"] if summary["requests"]["completed"] else None
    return {
        "latency_ms": {
            "predicted_mean": _r(mean) if mean is not None else None,
            "simulated_mean": simulated_mean,
            "difference": _diff(mean, simulated_mean),
        },
        "nodes": rows,
        "requests": summary["requests"],
        "fit": predicted["fit"],
    }


def cross_check(
    doc: Any,
    estimate_result: dict[str, Any],
    requests: int = CHECK_REQUESTS,
    seed: int | None = None,
) -> dict[str, Any]:
    """Run the scaled-down copy in the engine (record=False) and compare it with theory."""
    from patterns.engine import Simulation

    copy = scaled_copy(doc, estimate_result, requests=requests)
    summary = Simulation(copy, seed=seed, record=False).run()
    return {"document": copy, **compare(copy, summary)}


def _diff(predicted: float | None, simulated: float | None) -> float | None:
    """(simulated - predicted) / predicted, or None when either is missing or zero."""
    if predicted is None or simulated is None or not predicted:
        return None
    return round((simulated - predicted) / predicted, 6)
