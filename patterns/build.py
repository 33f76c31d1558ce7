"""Which build of the engine runs: the pure-Python sources, or the same sources compiled by mypyc.

`make setup` compiles the engine with mypyc (scripts/build-engine.py) into
`build/mypyc/<interpreter>-<hash of the sources>/patterns/`, beside the
checkout, never next to the `.py` files. On import, `patterns` puts that
directory first on its `__path__`, so its submodules load from there, but
only if a build exists for the exact sources it sits next to: an edited
source changes the hash, and the engine then runs as pure Python (and says
so) until the next `make setup`; a stale extension never runs.
`PATTERNS_PURE=1` forces pure Python.

This module, the package's `__init__` and `__main__` and the scenario
library are never compiled (NOT_COMPILED): they choose the build or read
data files beside the sources. Standard library only: the build script
loads it by path.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
# Where the builds of this checkout live: one directory per interpreter and sources.
BUILDS = PACKAGE.parent / "build" / "mypyc"
# Paths relative to PACKAGE, as mypyc is given them (scripts/build-engine.py).
NOT_COMPILED = ("__init__.py", "__main__.py", "build.py", "scenarios/__init__.py")


def sources() -> list[Path]:
    """Every Python source of the package, in a fixed order (the C ones: `c_sources`)."""
    return sorted(PACKAGE.rglob("*.py"))


def c_sources() -> list[Path]:
    """The C the compiled build adds (patterns/splitmix.c, patterns/stored.c, patterns/ryu/)."""
    return sorted([*PACKAGE.rglob("*.c"), *PACKAGE.rglob("*.h")])


def fingerprint() -> str:
    """A hash of every source of the package (names and contents) and of the interpreter."""
    h = hashlib.sha256(sys.implementation.cache_tag.encode())
    for path in [*sources(), *c_sources()]:
        h.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:20]


def build_dir() -> Path:
    """The directory whose `patterns/` holds the build of the sources as they are now."""
    return BUILDS / f"{sys.implementation.cache_tag}-{fingerprint()}"


def select(package_path: list[str]) -> tuple[str, str]:
    """Put the compiled build first on the package's `__path__` if it matches; say which runs.

    Returns ("compiled" or "pure", a line saying which and, for pure Python
    where a build was expected, why not).
    """
    if os.environ.get("PATTERNS_PURE", "") not in ("", "0"):
        return "pure", "pure Python (PATTERNS_PURE is set)"
    if not BUILDS.is_dir():
        return "pure", "pure Python"
    compiled = build_dir() / "patterns"
    if not compiled.is_dir():
        if any(BUILDS.glob(f"{sys.implementation.cache_tag}-*")):
            return "pure", "pure Python (the compiled build is out of date: make setup rebuilds it)"
        return "pure", "pure Python"
    package_path.insert(0, str(compiled))
    return "compiled", f"compiled with mypyc ({compiled.parent})"
