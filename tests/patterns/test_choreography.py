"""Choreography through topics: failures compensated by events, and each request's trace."""

from __future__ import annotations

from functools import cache
from typing import Any

from patterns import Simulation, scenarios, trace

CHAIN = [
    ("seekers", "resume-uploaded"),
    ("resume-uploaded", "candidate"),
    ("candidate", "resumes"),
    ("resumes", "candidate"),
    ("candidate", "resume-stored"),
    ("resume-stored", "verify-email"),
    ("verify-email", "email-verified"),
    ("email-verified", "skill-parser"),
    ("skill-parser", "skills-parsed"),
    ("skills-parsed", "job-search"),
    ("job-search", "jobs-found"),
    ("jobs-found", "mailer"),
]


@cache
def job_seeker() -> tuple[dict[str, Any], tuple[dict[str, Any], ...]]:
    sim = Simulation(scenarios.get("job-seeker-choreography").document)
    events: list[dict[str, Any]] = []
    while not sim.done:
        events += sim.advance(sim.now + 10_000)
    return sim.summary(), tuple(events)


def test_it_compensates_a_failed_parse_by_events() -> None:
    """Every request the skill parser fails reaches the cleanup, and never the job search."""
    summary, events = job_seeker()
    failed = {e["req"] for e in events if e["type"] == "node.fail" and e["node"] == "skill-parser"}
    cleaned = {
        e["req"] for e in events if e["type"] == "node.finish" and e["node"] == "candidate-cleanup"
    }
    searched = {e["req"] for e in events if e["type"] == "node.start" and e["node"] == "job-search"}
    assert failed and failed == cleaned
    assert not failed & searched
    assert summary["nodes"]["candidate-cleanup"]["processed"] == len(failed)


def test_it_traces_every_hop_of_a_request_in_order() -> None:
    """The trace of a request that went through lists the whole chain of hops, in order."""
    _, events = job_seeker()
    done = [e["req"] for e in events if e["type"] == "node.finish" and e["node"] == "mailer"]
    hops = trace(events, done[0])
    assert [(h["from_node"], h["to_node"]) for h in hops] == CHAIN
    assert [h["t"] for h in hops] == sorted(h["t"] for h in hops)
    for h in hops:
        assert h["recv_clock"] > h["send_clock"]
    assert [h["kind"] for h in hops].count("reply") == 1  # only the store answers


def test_it_traces_the_compensation_path_of_a_failed_request() -> None:
    """A failed request's trace turns at the skill parser into the compensation topic."""
    _, events = job_seeker()
    failed = [e["req"] for e in events if e["type"] == "node.fail" and e["node"] == "skill-parser"]
    pairs = [(h["from_node"], h["to_node"]) for h in trace(events, failed[0])]
    turn = pairs.index(("skill-parser", "parse-failed"))
    assert pairs[:turn] == CHAIN[:8]
    assert pairs[turn + 1 :] == [
        ("parse-failed", "candidate-cleanup"),
        ("candidate-cleanup", "resumes"),
        ("resumes", "candidate-cleanup"),
        ("candidate-cleanup", "resume-rejected"),
        ("resume-rejected", "tell-seeker"),
    ]


def test_it_undoes_the_write_in_the_store_it_was_made_in_and_tells_the_seeker() -> None:
    """The cleanup deletes from the very store the candidate service wrote to; the seeker hears."""
    doc = scenarios.get("job-seeker-choreography").document
    writes = {(e["from"], e["to"]) for e in doc["edges"] if e.get("op") == "write"}
    assert writes == {("candidate", "resumes"), ("candidate-cleanup", "resumes")}
    summary, events = job_seeker()
    failed = {e["req"] for e in events if e["type"] == "node.fail" and e["node"] == "skill-parser"}
    # Every request's resume is written once, and each failed one deleted once, in one store.
    started = summary["requests"]["started"]
    assert summary["nodes"]["resumes"]["processed"] == started + len(failed)
    deleted = {
        e["req"] for e in events if e["type"] == "msg.send" and e["from"] == "candidate-cleanup"
        and e["to"].startswith("resumes")
    }  # fmt: skip
    told = {e["req"] for e in events if e["type"] == "node.finish" and e["node"] == "tell-seeker"}
    assert len(failed) >= 20
    assert deleted == told == failed
