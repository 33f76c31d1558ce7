"""The simulation engine: reads a topology, validates it, simulates it in virtual time.

Pure Python; imports nothing from Django or the web app. See CONTRACT.md for
the public API the web app and the command line use. `make setup` also
compiles it with mypyc where a C compiler is present: `BUILD` says which
build runs ("compiled" or "pure"), `BUILD_NOTE` says it in words (and why
not compiled), patterns/build.py says how it is chosen.
"""

from __future__ import annotations

from patterns import build

# First, before any submodule loads: they then all come from the same build.
BUILD, BUILD_NOTE = build.select(__path__)

from patterns import scenarios
from patterns.budget import Budget
from patterns.cycles import warnings_of
from patterns.engine import Simulation
from patterns.topology import Location, Problem, TopologyError, load
from patterns.tracing import trace

__all__ = [
    "BUILD",
    "BUILD_NOTE",
    "Budget",
    "Location",
    "Problem",
    "Simulation",
    "TopologyError",
    "load",
    "scenarios",
    "trace",
    "warnings_of",
]
