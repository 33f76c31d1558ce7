"""The simulation engine: reads a topology, validates it, simulates it in virtual time.

Pure Python; imports nothing from Django or the web app. See CONTRACT.md for
the public API the web app and the command line use.
"""

from __future__ import annotations

from patterns.engine import Simulation
from patterns.topology import Problem, TopologyError, load
from patterns.tracing import trace

try:  # the built-in scenarios live in their own package (patterns/scenarios)
    from patterns import scenarios
except ImportError:  # pragma: no cover - until the scenarios package exists
    scenarios = None  # type: ignore[assignment]

__all__ = ["Problem", "Simulation", "TopologyError", "load", "scenarios", "trace"]
