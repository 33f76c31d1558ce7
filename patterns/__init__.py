"""The simulation engine: reads a topology, validates it, simulates it in virtual time.

Pure Python; imports nothing from Django or the web app. See CONTRACT.md for
the public API the web app and the command line use.
"""

from __future__ import annotations

from patterns import scenarios
from patterns.engine import Simulation
from patterns.topology import Problem, TopologyError, load
from patterns.tracing import trace

__all__ = ["Problem", "Simulation", "TopologyError", "load", "scenarios", "trace"]
