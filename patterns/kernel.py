"""The discrete-event kernel: a heap of timed callbacks and a clock.

Entries are `(time, priority, sequence, callback, a, b)`. The sequence number
(`serial`, counted up per entry) breaks ties between entries with the same time
and priority, so the order of execution, and therefore a whole run, depends only
on what was scheduled and in which order: a seed replays exactly. Every
callback takes exactly two arguments, which keeps the loop free of `*args`.

The kernel knows only simulated time (milliseconds). Pacing a run against
the wall clock is the runner's business, not the kernel's.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop
from heapq import heappush as _heappush
from typing import Any, Final

Callback = Callable[[Any, Any], object]

# Lower runs first among entries at the same instant: faults and membership
# changes apply before the ordinary traffic of that instant.
URGENT: Final = 0
NORMAL: Final = 1
# The first checkpoint when nobody watches: a small int still (a compact one
# compares fastest), reached only by runs of about a billion entries.
_FAR: Final = (1 << 30) - 1
# Final: compiled, a module constant is read from a C static, where a plain module
# global is looked up in the module's dict at every call (mypyc).
heappush: Final = _heappush


class Kernel:
    """A clock and a heap of callbacks to call at given simulated times."""

    __slots__ = ("now", "stopped", "heap", "serial", "checkpoint", "on_checkpoint")

    def __init__(self) -> None:
        self.now: float = 0.0
        self.stopped = False
        # Public so that the hottest paths may push entries themselves: take
        # `n = kernel.serial`, set `kernel.serial = n + 1`, then
        # `heappush(kernel.heap, (t, NORMAL, n, fn, a, b))`.
        self.heap: list[tuple[float, int, int, Callback, Any, Any]] = []
        # The next entry's sequence number: a plain int (compiled, a machine word),
        # not itertools.count, whose next() is a call through the builtins module.
        self.serial = 0
        self.checkpoint = _FAR
        self.on_checkpoint: Callable[[int], object] | None = None

    def stop(self) -> None:
        """Stop `run` and `step` after the entry being called returns."""
        self.stopped = True
        self.checkpoint = -1  # every entry is past it: the loop looks at `stopped` at once

    def _checkpoint(self, seq: int) -> bool:
        """Whether to stop; called after an entry at or past `checkpoint` has run."""
        if not self.stopped:
            if self.on_checkpoint is None:
                self.checkpoint = seq + _FAR
            else:
                self.on_checkpoint(seq)  # sets the next checkpoint; may stop
        return self.stopped

    def at(self, t: float, fn: Callback, a: Any = None, b: Any = None, prio: int = NORMAL) -> None:
        """Call `fn(a, b)` at simulated time `t` (never earlier than now)."""
        n = self.serial
        self.serial = n + 1
        heappush(self.heap, (t, prio, n, fn, a, b))

    def after(self, delay: float, fn: Callback, a: Any = None, b: Any = None) -> None:
        """Call `fn(a, b)` `delay` ms from now."""
        n = self.serial
        self.serial = n + 1
        heappush(self.heap, (self.now + delay, NORMAL, n, fn, a, b))

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
            t, _, seq, fn, a, b = entry
            if t > until:
                heappush(heap, entry)
                break
            self.now = t
            fn(a, b)
            # Stopped (`stop` makes every entry pass) or at a checkpoint.
            if seq >= self.checkpoint and self._checkpoint(seq):
                return
        if until > self.now and until != float("inf"):
            self.now = float(until)  # a float in both builds (compiled, `now` is one)

    def step(self) -> None:
        """Call every entry of the next instant that has anything scheduled."""
        if self.heap:
            t = self.heap[0][0]
            heap = self.heap
            while heap and heap[0][0] == t and not self.stopped:
                _, _, seq, fn, a, b = heappop(heap)
                self.now = t
                fn(a, b)
                if seq >= self.checkpoint and self._checkpoint(seq):
                    return

    def __len__(self) -> int:
        return len(self.heap)
