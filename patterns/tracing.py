"""A request's trace: every message it caused, in order, as a sequence diagram reads it.

`trace(events, req)` is a pure function over event dicts (those of a run, in
any order, or only some of them): the web app and the browser can call it on
what they hold. It takes the `msg.send` events of one request and returns its
hops, ordered by send time (then `seq`), each with:

- `seq`, `t` (sent), `arrive_t`, `from` and `to` as logged (a node, or an
  instance such as `db#0`), and `from_node`, `to_node`: the lanes of the
  diagram, one per node (an instance's `#i` dropped);
- `kind`: `reply` when it answers an earlier unanswered message from its
  receiver to its sender, `call` otherwise (a call, a publish, a delivery);
- `send_clock`, `recv_clock`: Lamport clocks per lane. Each send ticks its
  lane's clock; each receipt sets the receiving lane's clock to one more than
  the larger of its own and the message's. Ordering by these clocks respects
  happened-before without trusting anyone's wall clock, which is how a trace
  across services is put together in practice.

Orchestration's trace is a star (every arrow starts or ends at the
orchestrator); choreography's is a chain through topics, which is why it is
hard to follow without the request id on every message.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def lane(name: str) -> str:
    """The node an endpoint belongs to: `api#2` -> `api`."""
    return name.split("#", 1)[0]


def trace(events: Iterable[dict[str, Any]], req: int) -> list[dict[str, Any]]:
    """The hops of request `req`, in order; see the module docstring."""
    sends = sorted(
        (e for e in events if e.get("type") == "msg.send" and e.get("req") == req),
        key=lambda e: (e["t"], e["seq"]),
    )
    hops: list[dict[str, Any]] = []
    pending: dict[tuple[str, str], int] = {}
    for e in sends:
        src, dst = lane(str(e["from"])), lane(str(e["to"]))
        if pending.get((dst, src), 0) > 0:
            pending[(dst, src)] -= 1
            kind = "reply"
        else:
            pending[(src, dst)] = pending.get((src, dst), 0) + 1
            kind = "call"
        hops.append(
            {
                "seq": e["seq"],
                "t": e["t"],
                "arrive_t": e.get("arrive_t", e["t"]),
                "from": e["from"],
                "to": e["to"],
                "from_node": src,
                "to_node": dst,
                "kind": kind,
            }
        )
    _lamport(hops)
    return hops


def lanes(hops: list[dict[str, Any]]) -> list[str]:
    """The lanes of a trace, in order of first appearance."""
    seen: dict[str, None] = {}
    for hop in hops:
        seen.setdefault(hop["from_node"], None)
        seen.setdefault(hop["to_node"], None)
    return list(seen)


def _lamport(hops: list[dict[str, Any]]) -> None:
    # Sends and receipts as one timeline; at the same instant a receipt comes
    # first, since what a node sends then is what that receipt caused.
    actions: list[tuple[float, int, int, int]] = []
    for k, hop in enumerate(hops):
        actions.append((hop["t"], 1, hop["seq"], k))
        actions.append((hop["arrive_t"], 0, hop["seq"], k))
    actions.sort()
    clock: dict[str, int] = {}
    for _, is_send, _, k in actions:
        hop = hops[k]
        if is_send:
            if "send_clock" in hop:
                continue  # stamped when its zero-latency receipt came first
            c = clock.get(hop["from_node"], 0) + 1
            clock[hop["from_node"]] = c
            hop["send_clock"] = c
        else:
            # A receipt never precedes its send, even with zero latency.
            sent = hop.get("send_clock")
            if sent is None:
                sent = clock.get(hop["from_node"], 0) + 1
                clock[hop["from_node"]] = sent
                hop["send_clock"] = sent
            c = max(clock.get(hop["to_node"], 0), sent) + 1
            clock[hop["to_node"]] = c
            hop["recv_clock"] = c
