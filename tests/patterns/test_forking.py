"""Fork from a moment (patterns/forking.py): the same events up to it, only the change after."""

from __future__ import annotations

import json
from typing import Any

import pytest

from patterns import Simulation, TopologyError
from patterns.forking import check, fork, steps_of
from patterns.topology import load

from .topologies import balanced, exp


def doc() -> dict[str, Any]:
    return balanced(
        "round_robin",
        [("api", 2, exp(30)), ("slow", 1, exp(60))],
        rate=40,
        duration_ms=8000,
        latency_ms=1,
        faults=[{"at_ms": 1500, "kind": "crash", "node": "api", "instance": 1, "for_ms": 700}],
    )


def texts(events: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(e, separators=(",", ":")) for e in events]


def live_original() -> list[dict[str, Any]]:
    """The original as the runner drives it: uneven ticks, a fault and a resize sent live."""
    sim = Simulation(doc())
    events: list[dict[str, Any]] = []
    chunk = 37.0
    while not sim.done:
        events += sim.advance(sim.now + chunk)
        if 2000 <= sim.now < 2000 + chunk:
            sim.inject({"kind": "slow", "node": "slow", "factor": 4, "for_ms": 1500})
        if 3000 <= sim.now < 3000 + chunk:
            sim.scale("api", 3)
        chunk = 91.0 if chunk == 37.0 else 37.0
    return events


def drain(sim: Simulation) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    while not sim.done:
        events += sim.advance(sim.now + 250)
    return events


def split(events: list[dict[str, Any]], kind: str) -> int:
    """The index of the fork's change: its first event of `kind` after the replayed prefix."""
    return max(i for i, e in enumerate(events) if e["type"] == kind)


def arrivals(events: list[dict[str, Any]]) -> list[tuple[float, int]]:
    return [(e["t"], e["req"]) for e in events if e["type"] == "msg.send" and e["from"] == "users"]


def test_steps_are_read_back_from_the_events() -> None:
    """An injected fault and a live resize are steps; the document's own fault is not."""
    steps = steps_of(doc(), live_original())
    assert [s["change"]["kind"] for s in steps] == ["fault", "scale"]
    assert steps[0]["change"]["fault"]["kind"] == "slow"
    assert steps[1]["change"] == {"kind": "scale", "node": "api", "instances": 3}


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "scale", "node": "api", "instances": 1},
        {"kind": "set", "node": "lb", "field": "algorithm", "value": "least_connections"},
        {"kind": "fault", "fault": {"kind": "crash", "node": "slow", "for_ms": 500}},
    ],
)
def test_a_fork_has_the_same_events_up_to_its_moment(change: dict[str, Any]) -> None:
    """Byte for byte the original's stored form up to the fork time, then its change."""
    original = live_original()
    at = 4321.5
    sim = fork(doc(), None, steps_of(doc(), original), at, change)
    forked = drain(sim)
    kind = {"scale": "scale", "set": "change", "fault": "fault"}[change["kind"]]
    cut = split(forked, kind)
    assert forked[cut]["t"] == at
    assert texts(forked[:cut]) == texts(original[:cut])
    # The prefix is every event of the original before the fork time.
    assert all(e["t"] > at for e in original[cut:])
    assert texts(forked[cut + 1 :]) != texts(original[cut:])
    # None of these changes touches the traffic: the same arrivals after the fork too.
    assert arrivals(forked) == arrivals(original)


def test_a_change_that_changes_nothing_changes_no_event() -> None:
    """Setting a rate to the rate it has: the same events after the fork, the change event aside."""
    original = live_original()
    sim = fork(
        doc(),
        None,
        steps_of(doc(), original),
        5000.25,
        {"kind": "set", "node": "users", "field": "rate", "value": 40},
    )
    forked = drain(sim)
    cut = split(forked, "change")
    assert forked[cut] | {"seq": 0} == {
        "seq": 0,
        "t": 5000.25,
        "type": "change",
        "node": "users",
        "field": "rate",
        "from": 40.0,
        "to": 40,
    }

    def unnumbered(events: list[dict[str, Any]]) -> list[str]:
        return texts([{k: v for k, v in e.items() if k != "seq"} for e in events])

    assert unnumbered(forked[:cut] + forked[cut + 1 :]) == unnumbered(original)


def test_a_rate_change_changes_the_arrivals_only_after_the_fork() -> None:
    original = live_original()
    at = 3500.0
    sim = fork(
        doc(),
        None,
        steps_of(doc(), original),
        at,
        {"kind": "set", "node": "users", "field": "rate", "value": 80},
    )
    forked = drain(sim)
    before = [a for a in arrivals(original) if a[0] <= at]
    assert [a for a in arrivals(forked) if a[0] <= at] == before
    after_original = [a for a in arrivals(original) if a[0] > at]
    after_fork = [a for a in arrivals(forked) if a[0] > at]
    # Twice the rate over the remaining 4.5 s: about twice the arrivals.
    assert 1.6 < len(after_fork) / len(after_original) < 2.4


def test_a_fork_of_a_fork() -> None:
    """The second fork replays the first one's change: identical to the first up to its moment."""
    original = live_original()
    first = drain(
        fork(
            doc(),
            None,
            steps_of(doc(), original),
            2500.0,
            {"kind": "set", "node": "lb", "field": "algorithm", "value": "least_connections"},
        )
    )
    steps = steps_of(doc(), first)
    assert [s["change"]["kind"] for s in steps] == ["fault", "set"]
    assert steps[-1]["change"] == {
        "kind": "set",
        "node": "lb",
        "field": "algorithm",
        "value": "least_connections",
    }
    second = drain(
        fork(doc(), None, steps, 6000.5, {"kind": "scale", "node": "slow", "instances": 2})
    )
    cut = split(second, "scale")
    assert second[cut]["t"] == 6000.5
    assert texts(second[:cut]) == texts(first[:cut])
    assert all(e["t"] > 6000.5 for e in first[cut:])
    # And the first fork's own prefix is the original's.
    assert texts(second[: split(first, "change")]) == texts(original[: split(first, "change")])


def test_a_change_is_checked() -> None:
    loaded = load(doc())
    assert [p.path for p in check(loaded, {"kind": "scale", "node": "lb", "instances": 2})] == [
        "change.node"
    ]
    assert [p.path for p in check(loaded, {"kind": "set", "node": "api", "field": "rate"})] == [
        "change.field"
    ]
    assert [
        p.path
        for p in check(loaded, {"kind": "set", "node": "lb", "field": "algorithm", "value": "nope"})
    ] == ["change.value"]
    assert check(loaded, {"kind": "fault", "fault": {"kind": "crash", "node": "nope"}})
    with pytest.raises(TopologyError):
        fork(doc(), None, [], 60_000_000.0, {"kind": "scale", "node": "api", "instances": 2})
