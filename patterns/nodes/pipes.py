"""Which edges are asynchronous, and what a filter's `split` does to them.

docs/topology.md, "Edges": an edge into a `topic` or `queue`, and an edge between
`source`, `filter` and `sink`, carries a message or an item and its sender
goes on at once. `configure` marks such links asynchronous (`Link.send`);
down a filter's `when: ok` pipes each item leaves as `split` copies. Edges
out of a topic or queue are the broker's own deliveries
(`patterns.nodes.broker`), and the scatter-gather edges of dispatchers and
aggregators belong to those kinds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from patterns.distributions import M64, stable_hash
from patterns.nodes.base import KINDS

if TYPE_CHECKING:
    from patterns.nodes.base import Link, Node


def is_asynchronous(sender_kind: str, receiver_kind: str) -> bool:
    """Whether the sender of an edge between these kinds goes on at once (a publish or a pipe).

    A source never waits (it has no worker to wait with), whatever it sends to.
    """
    sender, receiver = KINDS[sender_kind], KINDS[receiver_kind]
    if sender.emitter and sender.pipe:
        return True
    return receiver.broker or (sender.pipe and receiver.pipe)


def configure(link: Link, sender: Node, receiver: Node) -> None:
    """Mark `link` asynchronous when its kinds say so; a filter's pipes carry `split` copies."""
    link.salt = stable_hash(sender.id, receiver.id, link.when) & M64
    if not is_asynchronous(sender.kind, receiver.kind):
        return
    link.asynchronous = True
    if "split" in sender.fields and link.when == "ok":
        link.copies = int(sender.spec.get("split", 1))
