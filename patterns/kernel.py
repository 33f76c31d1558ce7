"""The discrete-event kernel: a heap of timed callbacks and a clock.

Entries are `(time, priority, sequence, callback, a, b)`. The sequence number
from `itertools.count()` breaks ties between entries with the same time and
priority, so the order of execution, and therefore a whole run, depends only
on what was scheduled and in which order: a seed replays exactly. Every
callback takes exactly two arguments, which keeps the loop free of `*args`.

The kernel knows only simulated time (milliseconds). Pacing a run against
the wall clock is the runner's business, not the kernel's.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

Callback = Callable[[Any, Any], object]

# Lower runs first among entries at the same instant: faults and membership
# changes apply before the ordinary traffic of that instant.
URGENT = 0
NORMAL = 1


class Kernel:
    """A clock and a heap of callbacks to call at given simulated times."""

    __slots__ = ("now", "stopped", "heap", "counter")

    def __init__(self) -> None:
        self.now: float = 0.0
        self.stopped = False
        # Public so that the hottest paths may push entries themselves:
        # `heappush(kernel.heap, (t, NORMAL, next(kernel.counter), fn, a, b))`.
        self.heap: list[tuple[float, int, int, Callback, Any, Any]] = []
        self.counter = itertools.count()

    def at(self, t: float, fn: Callback, a: Any = None, b: Any = None, prio: int = NORMAL) -> None:
        """Call `fn(a, b)` at simulated time `t` (never earlier than now)."""
        heappush(self.heap, (t, prio, next(self.counter), fn, a, b))

    def after(self, delay: float, fn: Callback, a: Any = None, b: Any = None) -> None:
        """Call `fn(a, b)` `delay` ms from now."""
        heappush(self.heap, (self.now + delay, NORMAL, next(self.counter), fn, a, b))

    def peek(self) -> float:
        """The time of the next entry, or infinity when nothing is scheduled."""
        return self.heap[0][0] if self.heap else float("inf")

    def run(self, until: float) -> None:
        """Call every entry due at or before `until`, in order, unless stopped."""
        heap = self.heap
        pop = heappop
        # Pop first and put back the one entry past `until`: one heap look per
        # entry instead of two. The entry keeps its sequence number, so the
        # order of execution is unchanged.
        while heap:
            entry = pop(heap)
            t, _, _, fn, a, b = entry
            if t > until:
                heappush(heap, entry)
                break
            self.now = t
            fn(a, b)
            if self.stopped:
                return
        if until > self.now and until != float("inf"):
            self.now = until

    def step(self) -> None:
        """Call every entry of the next instant that has anything scheduled."""
        if self.heap:
            t = self.heap[0][0]
            heap = self.heap
            while heap and heap[0][0] == t and not self.stopped:
                _, _, _, fn, a, b = heappop(heap)
                self.now = t
                fn(a, b)

    def __len__(self) -> int:
        return len(self.heap)
