"""Durations as samplers, and the per-request random draws behind them.

A duration in a normalised document is `{"dist": ..., ...}` (a bare number is
taken as constant). `sampler(duration)` returns a function of one uniform
number in [0, 1) giving milliseconds, by the inverse of the distribution's
CDF. The uniform comes from `draw(key, salt, n)`: a SplitMix64 hash of the
request's key, the node's salt and the request's draw counter. So a request
gets the same service time at a node whatever route or balancer brought it
there: the same seed gives the same arrivals and service times under another
algorithm (common random numbers), and changing one node changes no other
node's draws.
"""

from __future__ import annotations

import hashlib
import importlib
import math
from collections.abc import Callable
from statistics import NormalDist
from typing import Any, Final

M64: Final = (1 << 64) - 1
_GOLDEN: Final = 0x9E3779B97F4A7C15

Sampler = Callable[[float], float]


def stable_hash(*parts: object) -> int:
    """A 64-bit hash of `parts` that is the same in every process (unlike `hash()`)."""
    text = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def _native_draw() -> Callable[[int, int, int], float] | None:
    try:
        module = importlib.import_module("patterns._splitmix")
    except ImportError:
        return None
    native: Callable[[int, int, int], float] = module.draw
    return native


# `draw` in C (patterns/splitmix.c, the same bits): built with the compiled
# engine only, where 64-bit arithmetic on Python ints costs an allocation a
# step; None in pure Python, which computes it below.
NATIVE_DRAW: Final = _native_draw()


def draw(key: int, salt: int, n: int) -> float:
    """A uniform number in [0, 1) for draw `n` of request `key` at the node with `salt`."""
    if NATIVE_DRAW is not None:
        return NATIVE_DRAW(key, salt, n)
    z = (key ^ salt) + n * _GOLDEN & M64
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9 & M64
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB & M64
    return ((z ^ (z >> 31)) >> 11) * 1.1102230246251565e-16  # 2**-53


def sampler(duration: Any) -> Sampler:
    """The inverse-CDF sampler of a duration (a number, or a `{"dist": ...}` object)."""
    if isinstance(duration, (int, float)):
        return _constant(float(duration))
    dist = duration.get("dist", "constant")
    if dist == "constant":
        return _constant(float(duration["ms"]))
    if dist == "exponential":
        mean = float(duration["mean_ms"])
        return lambda u: -mean * math.log(1.0 - u)
    if dist == "uniform":
        low = float(duration["min_ms"])
        span = float(duration["max_ms"]) - low
        return lambda u: low + span * u
    if dist == "lognormal":
        median = float(duration["median_ms"])
        sigma = float(duration["sigma"])
        inv = NormalDist().inv_cdf
        # inv_cdf refuses exactly 0; the smallest draw is 0.
        return lambda u: median * math.exp(sigma * inv(u or 1e-300))
    raise ValueError(f"unknown distribution {dist!r}")


def mean_of(duration: Any) -> float:
    """The mean of a duration in ms (for utilisation estimates and reasons)."""
    if isinstance(duration, (int, float)):
        return float(duration)
    dist = duration.get("dist", "constant")
    if dist == "constant":
        return float(duration["ms"])
    if dist == "exponential":
        return float(duration["mean_ms"])
    if dist == "uniform":
        return (float(duration["min_ms"]) + float(duration["max_ms"])) / 2
    if dist == "lognormal":
        return float(duration["median_ms"]) * math.exp(float(duration["sigma"]) ** 2 / 2)
    raise ValueError(f"unknown distribution {dist!r}")


def _constant(ms: float) -> Sampler:
    return lambda u: ms
