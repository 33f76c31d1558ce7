"""Statistics in bounded memory: a log-bucketed latency histogram.

`Histogram` keeps counts in buckets whose bounds grow by a factor `GAMMA`
(2% apart), from 1 microsecond to far beyond any run, in a fixed-size list.
A percentile is reported as the geometric middle of its bucket, so its
relative error is at most (GAMMA - 1) / (GAMMA + 1), under 1%. Mean, minimum
and maximum are exact.
"""

from __future__ import annotations

import math
from typing import Final

# Final: compiled, each is a C constant, not a dict lookup per value counted.
GAMMA: Final = 1.02
_LOG_GAMMA: Final = math.log(GAMMA)
_SMALLEST: Final = 1e-3  # ms; anything at or below lands in bucket 0
_BUCKETS: Final = 2200  # 1e-3 * 1.02**2200 ~ 8e15 ms
RELATIVE_ERROR: Final = (GAMMA - 1) / (GAMMA + 1)


class Histogram:
    """Counts of values in log-spaced buckets, with an exact sum, min and max.

    A hot path may call `add_later` instead of `add`: the value waits in
    `pending` (counting it costs more than keeping it) and is counted with
    the others, in one loop, once `PENDING_MAX` wait, so memory stays
    bounded; `mean`, `percentile` and `summary` fold first. Folding adds the
    values in the order they came, so the sum is the same float either way.
    """

    __slots__ = ("counts", "n", "total", "low", "high", "pending")

    PENDING_MAX = 1024

    def __init__(self) -> None:
        self.counts = [0] * _BUCKETS
        self.n = 0
        self.total = 0.0
        self.low = math.inf
        self.high = 0.0
        self.pending: list[float] = []

    def add(self, value: float) -> None:
        """Count one value (ms)."""
        self.n += 1
        self.total += value
        if value > self.high:
            self.high = value
        if value < self.low:
            self.low = value
        if value <= _SMALLEST:
            self.counts[0] += 1
        else:
            i = int(math.log(value / _SMALLEST) / _LOG_GAMMA) + 1
            self.counts[i if i < _BUCKETS else _BUCKETS - 1] += 1

    def add_later(self, value: float) -> None:
        """Count one value (ms) with the next batch (`fold`)."""
        pending = self.pending
        pending.append(value)
        if len(pending) >= self.PENDING_MAX:
            self.fold()

    def fold(self) -> None:
        """Count the values waiting in `pending` (what `add` does, in one loop)."""
        pending = self.pending
        if not pending:
            return
        counts = self.counts
        total, low, high = self.total, self.low, self.high
        for value in pending:
            total += value
            if value > high:
                high = value
            if value < low:
                low = value
            if value <= _SMALLEST:
                counts[0] += 1
            else:
                # math.log, not a local alias: compiled, it is the C function itself.
                i = int(math.log(value / _SMALLEST) / _LOG_GAMMA) + 1
                counts[i if i < _BUCKETS else _BUCKETS - 1] += 1
        self.n += len(pending)
        self.total, self.low, self.high = total, low, high
        pending.clear()

    @property
    def mean(self) -> float:
        self.fold()
        return self.total / self.n if self.n else 0.0

    def percentile(self, p: float) -> float:
        """The value below which `p` percent of the values fall (within RELATIVE_ERROR)."""
        self.fold()
        if not self.n:
            return 0.0
        rank = max(1, math.ceil(self.n * p / 100.0))
        seen = 0
        for i, c in enumerate(self.counts):
            seen += c
            if seen >= rank:
                if i == 0:
                    return min(self.high, _SMALLEST)
                middle: float = _SMALLEST * GAMMA ** (i - 0.5)
                return min(max(middle, self.low), self.high)
        return self.high

    def summary(self) -> dict[str, float]:
        """`{"mean", "p50", "p95", "p99", "max"}`, rounded to microseconds."""
        self.fold()
        return {
            "mean": round(self.mean, 3),
            "p50": round(self.percentile(50), 3),
            "p95": round(self.percentile(95), 3),
            "p99": round(self.percentile(99), 3),
            "max": round(self.high, 3),
        }

    @classmethod
    def merged(cls, parts: list[Histogram]) -> Histogram:
        """One histogram of all the values of `parts` (each folded first)."""
        out = cls()
        counts = out.counts
        for part in parts:
            part.fold()
            for i, c in enumerate(part.counts):
                if c:
                    counts[i] += c
            out.n += part.n
            out.total += part.total
            out.low = min(out.low, part.low)
            out.high = max(out.high, part.high)
        return out
