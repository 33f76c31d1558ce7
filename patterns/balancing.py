"""Load-balancing algorithms, with the semantics of the proxies people run.

Each algorithm picks one index out of `cands` (the indices of the targets the
balancer may use now, in target order) for a request, using the balancer's
per-target `inflight` counts where it needs them, and leaves in `note` what
else a reason needs. `explain` says why in words a learner reads; it is
called only when events are turned into dicts, from the loads as they were at
the pick, so recording costs little on the hot path.
"""

from __future__ import annotations

from bisect import bisect
from typing import TYPE_CHECKING, ClassVar, Final

from patterns import BUILD
from patterns.distributions import stable_hash

if TYPE_CHECKING:
    from patterns.nodes.base import Request
    from patterns.nodes.load_balancer import LoadBalancer

VIRTUAL_NODES = 160  # points per target on a hash ring (as ketama)


class Pick:
    """What an `lb.pick` event needs, captured at the pick and expanded later."""

    __slots__ = ("algorithm", "names", "cands", "loads", "index", "session", "note")

    def __init__(
        self,
        algorithm: Algorithm,
        cands: list[int],
        loads: list[int],
        index: int,
        session: str,
        note: object,
    ):
        self.algorithm = algorithm
        self.names = algorithm.lb.names
        self.cands = cands
        self.loads = loads
        self.index = index
        self.session = session
        self.note = note

    @property
    def chosen(self) -> str:
        return self.names[self.index]

    def candidates(self) -> list[dict[str, object]]:
        names = self.names
        return [
            {"target": names[c], "load": n} for c, n in zip(self.cands, self.loads, strict=True)
        ]

    def reason(self) -> str:
        return self.algorithm.explain(self)


class Algorithm:
    name: ClassVar[str] = ""  # ClassVar: ALGORITHMS reads it through the class
    # Whether `explain` depends on nothing but the chosen index, the note,
    # the candidates and their loads (not the session, nor state read when
    # the event is built): then events.to_dicts keeps the reasons it wrote
    # in `reasons` and reuses them for picks that look the same.
    plain_reason = False

    def __init__(self, lb: LoadBalancer):
        self.lb = lb
        self.note: object = None
        self.reasons: dict[object, str] | None = {} if self.plain_reason else None

    def pick(self, cands: list[int], req: Request) -> int:
        raise NotImplementedError

    def explain(self, v: Pick) -> str:
        return self.name.replace("_", " ")

    def reason_key(
        self, cands: list[int], loads: list[int], index: int, note: object, every: bool
    ) -> object:
        """For a `plain_reason` algorithm: what `explain` reads of a pick, as a key under
        which its words are kept (`every`: every target is a candidate, in order)."""
        return (index, note, None if every else tuple(cands), tuple(loads))

    def changed(self) -> None:
        """The set of usable targets changed."""


class RoundRobin(Algorithm):
    name = "round_robin"

    def __init__(self, lb: LoadBalancer):
        super().__init__(lb)
        self.turn = 0

    def pick(self, cands: list[int], req: Request) -> int:
        i = cands[self.turn % len(cands)]
        self.turn += 1
        return i

    def explain(self, v: Pick) -> str:
        return f"round robin: {v.chosen} was next in turn"


class WeightedRoundRobin(Algorithm):
    """Smooth weighted round robin (NGINX): every pick, each target gains its
    weight; the richest wins and pays the total, so turns interleave."""

    name = "weighted_round_robin"

    def __init__(self, lb: LoadBalancer):
        super().__init__(lb)
        self.current: dict[int, float] = {}

    def pick(self, cands: list[int], req: Request) -> int:
        weights = self.lb.weights
        current = self.current
        total = 0.0
        best = -1
        best_w = 0.0
        for i in cands:
            w = weights[i]
            c = current.get(i, 0.0) + w
            current[i] = c
            total += w
            if best < 0 or c > best_w:
                best, best_w = i, c
        current[best] = best_w - total
        return best

    def explain(self, v: Pick) -> str:
        weights = self.lb.weights
        parts = ", ".join(f"{v.names[i]} weight {weights[i]:g}" for i in v.cands)
        return f"smooth weighted round robin: {v.chosen} had the highest running score ({parts})"


_FIELD: Final = 32768  # LeastConnections.reason_key: the room for each number in its key
# LeastConnections.pick scans its candidates the way that is cheaper in the build that
# runs (docs/engine-builds.md, measured): compiled, one loop on machine words (min()
# and list.index compare boxed ints through the generic protocol, 3 000 instructions
# more a request); in pure Python, min() and index in C (a Python loop, 2 000 more).
_COMPILED: Final = BUILD == "compiled"


class LeastConnections(Algorithm):
    """Fewest requests in flight; ties go round robin among the tied (NGINX least_conn)."""

    name = "least_connections"
    plain_reason = True

    def __init__(self, lb: LoadBalancer):
        super().__init__(lb)
        self.turn = 0

    def pick(self, cands: list[int], req: Request) -> int:
        inflight = self.lb.inflight
        n = len(cands)
        start = self.turn % n
        if n == len(inflight) and not _COMPILED:
            # Every target is a candidate (cands[j] == j): the first least
            # loaded at or after `start`, else from the beginning, found by
            # min and index in C rather than a Python loop; the same choice.
            low = min(inflight)
            try:
                pos = inflight.index(low, start)
            except ValueError:  # none at or after `start`: no slice copied to find out
                pos = inflight.index(low)
            self.turn = pos + 1
            return pos
        # The first least loaded from `start` on, wrapping round.
        best = cands[start]
        low = inflight[best]
        pos = start
        for k in range(1, n):
            j = start + k
            if j >= n:
                j -= n
            i = cands[j]
            if inflight[i] < low:
                best, low, pos = i, inflight[i], j
        self.turn = pos + 1
        return best

    def explain(self, v: Pick) -> str:
        loads = v.loads
        k = v.cands.index(v.index)
        mine = loads[k]
        chosen = v.names[v.index]
        if len(loads) == 1:
            return f"least connections: {chosen} had {mine} in flight (the only target)"
        # The loads of the other candidates: candidates are distinct indices.
        others = loads[:k] + loads[k + 1 :]
        low, high = min(others), max(others)
        spread = f"{low}" if low == high else f"{low} to {high}"
        tie = " (tied, taken round robin)" if low == mine else ""
        return f"least connections: {chosen} had {mine} in flight{tie}; the others had {spread}"

    def reason_key(
        self, cands: list[int], loads: list[int], index: int, note: object, every: bool
    ) -> object:
        # `explain` reads the chosen target, its load, and the others' lowest and
        # highest: far fewer combinations than the loads themselves, so the words
        # are found again far more often (-1: no other candidate). Written for the
        # compiled build: a range loop and small ints stay in machine words.
        k = index if every else cands.index(index)
        mine = loads[k]
        low = high = -1
        for j in range(len(loads)):
            if j != k:
                x = loads[j]
                if low < 0 or x < low:
                    low = x
                if x > high:
                    high = x
        if index < _FIELD and mine < _FIELD and low < _FIELD - 1 and high < _FIELD - 1:
            # The four in one int (15 bits each), which hashes and compares cheaper
            # than a tuple; no tuple key is ever an int, so the two never meet.
            return (((index << 15) | mine) << 30) | ((low + 1) << 15) | (high + 1)
        return (index, mine, low, high)


class Sticky(Algorithm):
    """A session's first request lands round robin; later ones follow it while its
    target is usable."""

    name = "sticky"

    def __init__(self, lb: LoadBalancer):
        super().__init__(lb)
        self.turn = 0
        self.bound: dict[str, int] = {}

    def pick(self, cands: list[int], req: Request) -> int:
        lb = self.lb
        i = self.bound.get(req.session)
        if i is not None and lb.usable[i]:
            self.note = "same"
            return i
        was = i
        i = cands[self.turn % len(cands)]
        self.turn += 1
        self.bound[req.session] = i
        self.note = was  # None: a new session; an index: the target it left
        return i

    def explain(self, v: Pick) -> str:
        if v.note == "same":
            why = "same target as before"
        elif v.note is None:
            why = "new session, placed round robin"
        else:
            assert isinstance(v.note, int)
            why = f"{v.names[v.note]} is marked down, session moved"
        return f"sticky session {v.session}: {v.chosen} ({why})"


class ConsistentHash(Algorithm):
    """Session key on a hash ring with virtual nodes: removing a target moves ~1/N keys."""

    name = "consistent_hash"

    def __init__(self, lb: LoadBalancer):
        super().__init__(lb)
        self.ring: list[int] = []
        self.owner: list[int] = []
        self.keys: dict[str, int] = {}
        self.built_for: tuple[int, ...] | None = None

    def changed(self) -> None:
        self.built_for = None

    def build(self, cands: list[int]) -> None:
        points = []
        for i in cands:
            name = self.lb.names[i]
            for v in range(VIRTUAL_NODES):
                points.append((stable_hash("ring", name, v), i))
        points.sort()
        self.ring = [p for p, _ in points]
        self.owner = [i for _, i in points]
        self.built_for = tuple(cands)

    def pick(self, cands: list[int], req: Request) -> int:
        if (
            self.built_for is None
            or len(self.built_for) != len(cands)
            or list(self.built_for) != cands
        ):
            self.build(cands)
        h = self.keys.get(req.session)
        if h is None:
            h = self.keys[req.session] = stable_hash("key", req.session)
        k = bisect(self.ring, h)
        return self.owner[k if k < len(self.owner) else 0]

    def explain(self, v: Pick) -> str:
        return (
            f"{self.name.replace('_', ' ')}: session {v.session} hashes onto "
            f"{v.chosen}'s arc of the ring ({len(v.cands)} targets)"
        )


class IpHash(ConsistentHash):
    name = "ip_hash"


class Random(Algorithm):
    name = "random"

    def pick(self, cands: list[int], req: Request) -> int:
        return cands[int(self.lb.rng.random() * len(cands))]

    def explain(self, v: Pick) -> str:
        return f"random: {v.chosen} drawn uniformly from {len(v.cands)} targets"


class PowerOfTwo(Algorithm):
    """Two distinct random targets; the one with fewer in flight (Envoy's least_request)."""

    name = "power_of_two"
    plain_reason = True

    def pick(self, cands: list[int], req: Request) -> int:
        n = len(cands)
        if n == 1:
            self.note = None
            return cands[0]
        r = self.lb.rng.random
        a = int(r() * n)
        b = int(r() * (n - 1))
        if b >= a:
            b += 1
        i, j = cands[a], cands[b]
        inflight = self.lb.inflight
        if inflight[j] < inflight[i]:
            i, j = j, i
        self.note = j
        return i

    def explain(self, v: Pick) -> str:
        if v.note is None:
            return f"power of two: {v.chosen} is the only target"
        o = v.note
        assert isinstance(o, int)
        # Candidates are distinct indices: each one's load sits at its position.
        cands, loads = v.cands, v.loads
        return (
            f"power of two: drew {v.names[v.index]} ({loads[cands.index(v.index)]} in flight) "
            f"and {v.names[o]} ({loads[cands.index(o)]} in flight); took the less busy"
        )


ALGORITHMS: dict[str, type[Algorithm]] = {
    cls.name: cls
    for cls in (
        RoundRobin,
        WeightedRoundRobin,
        LeastConnections,
        Sticky,
        ConsistentHash,
        IpHash,
        Random,
        PowerOfTwo,
    )
}
