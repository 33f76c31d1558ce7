"""How an aggregator merges the replies of one scattered request.

The simulation carries no real data, so each worker's reply carries a
synthetic value drawn from the request's random stream at that worker
(`reply_value`): the same request gets the same value from the same worker
under any deadline, so changing a deadline changes only which replies make
it in time, never what they say.

- `concat`: every reply is one item; the result lists the workers in arrival order.
- `top_k`: every reply carries `k` scored hits (scores in [0, 1), best first);
  the result is the `k` best hits of all the replies, best first (a ranked
  search over shards).
- `min`: every reply carries one quote (0 to 1000); the result is the lowest
  (the cheapest fare).
"""

from __future__ import annotations

from typing import Any

from patterns.distributions import draw

QUOTE_MAX = 1000.0


def reply_value(merge: str, k: int, key: int, salt: int) -> Any:
    """The synthetic payload of one worker's reply (`key`: the request's, `salt`: the worker's)."""
    if merge == "top_k":
        return sorted((round(draw(key, salt, n), 4) for n in range(1, k + 1)), reverse=True)
    if merge == "min":
        return round(QUOTE_MAX * draw(key, salt, 1), 2)
    return None


def merge(kind: str, replies: list[tuple[str, Any]], k: int) -> Any:
    """Merge `(worker, value)` replies, in arrival order, with `kind`."""
    if kind == "top_k":
        hits = [(score, worker) for worker, scores in replies for score in scores]
        # Best score first; equal scores in worker order, so the result is stable.
        hits.sort(key=lambda hit: (-hit[0], hit[1]))
        return [{"from": worker, "score": score} for score, worker in hits[:k]]
    if kind == "min":
        if not replies:
            return None
        worker, value = min(replies, key=lambda r: (r[1], r[0]))
        return {"from": worker, "value": value}
    return [worker for worker, _ in replies]
