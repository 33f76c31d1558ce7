"""Each balancing algorithm's distinctive behaviour, seen through lb.pick events."""

from __future__ import annotations

from typing import Any

from patterns import Simulation

from .topologies import balanced


def events(doc: dict[str, Any]) -> list[dict[str, Any]]:
    sim = Simulation(doc)
    out: list[dict[str, Any]] = []
    while not sim.done:
        out += sim.advance(sim.now + 1000)
    return out


def picks(evs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in evs if e["type"] == "lb.pick"]


def quiet(algorithm: str, pools: list[tuple[str, int, Any]], **kw: Any) -> dict[str, Any]:
    """Constant arrivals far apart, so every target is idle at each pick."""
    return balanced(
        algorithm, pools, rate=10, duration_ms=2000, client={"arrival": "constant"}, **kw
    )


def test_it_spreads_weighted_round_robin_smoothly_like_nginx() -> None:
    """Weights 5,1,1 give a,a,b,a,c,a,a: the heavy target's turns are spread out."""
    doc = quiet(
        "weighted_round_robin",
        [("a", 1, 1), ("b", 1, 1), ("c", 1, 1)],
        lb={"weights": {"a": 5, "b": 1, "c": 1}},
    )
    chosen = [p["chosen"] for p in picks(events(doc))][:14]
    assert chosen == ["a#0", "a#0", "b#0", "a#0", "c#0", "a#0", "a#0"] * 2


def test_it_breaks_least_connection_ties_round_robin() -> None:
    """On a quiet pool least connections goes round the tied targets, not always the first."""
    chosen = [p["chosen"] for p in picks(events(quiet("least_connections", [("api", 3, 1)])))]
    assert chosen[:6] == ["api#0", "api#1", "api#2", "api#0", "api#1", "api#2"]


def test_it_explains_least_connections_with_the_loads() -> None:
    """A least-connections pick names the chosen target's load and the others'."""
    doc = balanced(
        "least_connections",
        [("api", 3, {"dist": "constant", "ms": 50})],
        rate=100,
        duration_ms=1000,
        client={"arrival": "constant"},
    )
    busy = [p for p in picks(events(doc)) if any(c["load"] for c in p["candidates"])]
    p = busy[0]
    low = min(c["load"] for c in p["candidates"])
    assert p["reason"].startswith(f"least connections: {p['chosen']} had {low} in flight")
    assert {c["target"] for c in p["candidates"]} == {"api#0", "api#1", "api#2"}


def session_map(doc: dict[str, Any]) -> dict[str, str]:
    return {p["session"]: p["chosen"] for p in picks(events(doc))}


def test_it_moves_about_one_key_in_n_when_a_ring_loses_a_target() -> None:
    """Consistent hashing: removing one of 5 targets moves only that target's keys (~1/5)."""
    common: dict[str, Any] = {"rate": 2000, "duration_ms": 3000, "client": {"sessions": 1500}}
    five = session_map(balanced("consistent_hash", [("api", 5, 1)], **common))
    four = session_map(balanced("consistent_hash", [("api", 4, 1)], **common))
    keys = five.keys() & four.keys()
    moved = [k for k in keys if five[k] != four[k]]
    assert len(keys) > 1000
    assert all(five[k] == "api#4" for k in moved)
    assert 0.12 < len(moved) / len(keys) < 0.28


def test_it_keeps_sticky_sessions_until_health_checks_mark_their_target_down() -> None:
    """Sticky: a session never moves while its target is healthy; moves once marked down."""
    doc = balanced(
        "sticky",
        [("api", 3, 2)],
        rate=200,
        duration_ms=6000,
        latency_ms=1,
        client={"sessions": 30},
        lb={"health_check": {"interval_ms": 500, "unhealthy_after": 2}},
        faults=[{"at_ms": 2000, "kind": "crash", "node": "api", "instance": 1}],
    )
    evs = events(doc)
    marked = [e for e in evs if e["type"] == "lb.health" and not e["healthy"]]
    assert [e["target"] for e in marked] == ["api#1"]
    down_t = marked[0]["t"]
    assert 2000 < down_t <= 3000
    where: dict[str, str] = {}
    moves = []
    moves_by_session = []
    for p in picks(evs):
        before = where.get(p["session"])
        if before is not None and before != p["chosen"]:
            moves.append((p["t"], before, p["chosen"]))
            moves_by_session.append((p["session"], p["t"]))
        where[p["session"]] = p["chosen"]
    assert moves, "sessions on the crashed instance should move"
    assert all(t >= down_t and old == "api#1" for t, old, _ in moves)
    moved_sessions = [s for s, _ in moves_by_session]
    assert len(moved_sessions) == len(set(moved_sessions))  # each moves once
    crashed_after = [p for p in picks(evs) if p["chosen"] == "api#1" and p["t"] > 2000]
    assert crashed_after and all(p["t"] < down_t for p in crashed_after)


def test_least_connections_keeps_its_words_under_what_they_depend_on() -> None:
    """The reason cache (Algorithm.reason_key): picks that share a least-connections key
    are explained in the same words, with every candidate or a subset of them."""
    import random

    from patterns.balancing import LeastConnections, Pick

    sim = Simulation(balanced("least_connections", [("api", 6, 1)], duration_ms=100))
    lb = next(n for n in sim.nodes.values() if n.kind == "load_balancer")
    algorithm = LeastConnections(lb)
    rng = random.Random(7)
    words: dict[object, str] = {}
    for _ in range(4000):
        every = rng.random() < 0.5
        cands = list(range(6)) if every else sorted(rng.sample(range(6), rng.randint(1, 5)))
        loads = [rng.choice((0, 1, 2, 3, 40_000)) for _ in cands]  # past 15 bits too
        index = rng.choice(cands)
        key = algorithm.reason_key(cands, loads, index, None, every)
        said = algorithm.explain(Pick(algorithm, cands, loads, index, "s", None))
        assert words.setdefault(key, said) == said
    assert len(words) < 1000  # far fewer than the loads' combinations
