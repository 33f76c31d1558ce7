"""The latency histogram: bounded memory, stated relative error."""

from __future__ import annotations

import random

from patterns.stats import RELATIVE_ERROR, Histogram


def test_it_reports_percentiles_within_its_relative_error() -> None:
    """Percentiles of 100k lognormal values are within RELATIVE_ERROR of the exact ones."""
    rng = random.Random(1)
    values = [rng.lognormvariate(3, 1.2) for _ in range(100_000)]
    h = Histogram()
    for v in values:
        h.add(v)
    values.sort()
    for p in (50, 90, 95, 99, 99.9):
        exact = values[int(len(values) * p / 100) - 1]
        assert abs(h.percentile(p) - exact) / exact <= RELATIVE_ERROR + 1e-3
    assert h.high == values[-1]
    assert abs(h.mean - sum(values) / len(values)) < 1e-6 * h.mean
    assert len(h.counts) < 5000
