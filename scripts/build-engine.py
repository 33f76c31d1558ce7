"""Compile the engine (`patterns`) with mypyc, or say in one line why it stays pure Python.

Run by `make setup`. The build goes to build/mypyc/<interpreter>-<hash of the
sources>/ (patterns/build.py), which `patterns` uses only while its sources
still have that hash; nothing is written next to the `.py` files. Does nothing
when a build of the current sources exists, and removes the builds of older
sources after a new one. Needs a C compiler, the Python headers, mypy
(mypyc) and setuptools; without them it prints why and leaves pure Python.

    .venv/bin/python scripts/build-engine.py
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def build_module() -> ModuleType:
    """patterns/build.py, loaded by path: importing `patterns` would load a build."""
    spec = importlib.util.spec_from_file_location("_patterns_build", ROOT / "patterns" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def missing_toolchain() -> str | None:
    """Why this machine cannot compile the engine, or None."""
    cc = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(cc) is None:
        return f"no C compiler ({cc})"
    include = Path(sysconfig.get_paths()["include"])
    if not (include / "Python.h").exists():
        return f"no Python headers ({include}/Python.h)"
    for module in ("mypyc", "setuptools"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed"
    return None


def compile_into(out: Path, work: Path, build: ModuleType) -> None:
    """Compile every module of the package but build.NOT_COMPILED into `out`."""
    from mypyc.build import mypycify
    from setuptools import Extension, setup

    package: Path = build.PACKAGE
    skip = {package / name for name in build.NOT_COMPILED}
    paths = [str(p) for p in build.sources() if p not in skip]
    # Run from the scratch directory: setuptools would otherwise read the
    # project's pyproject.toml as this setup's own metadata. mypy reads it
    # for its options (strict), as `make lint` does.
    os.chdir(work)
    extensions = mypycify(
        ["--config-file", str(ROOT / "pyproject.toml"), *paths],
        target_dir=str(work / "c"),
        # The shared library sits inside the package (patterns/native__mypyc),
        # found through the package's __path__ like every compiled module.
        group_name="patterns.native",
    )
    # distributions.draw in C, which the compiled engine calls (patterns/splitmix.c).
    splitmix = Extension("patterns._splitmix", [str(package / "splitmix.c")])
    # events.to_json in C, with Ryu (vendored in patterns/ryu/) for floats (patterns/stored.c).
    stored = Extension(
        "patterns._stored", [str(package / "stored.c")], include_dirs=[str(package)]
    )
    setup(
        name="patterns-compiled",
        ext_modules=[*extensions, splitmix, stored],
        script_args=["--quiet", "build_ext", "--build-lib", str(out), "--build-temp", str(work)],
    )


def main() -> int:
    if os.environ.get("PATTERNS_PURE", "") not in ("", "0"):
        print("patterns: PATTERNS_PURE is set: the engine is not compiled and runs as pure Python")
        return 0
    build = build_module()
    target: Path = build.build_dir()
    if (target / "patterns").is_dir():
        return 0
    why = missing_toolchain()
    if why is not None:
        print(f"patterns: {why}: the engine runs as pure Python (docs/engine-builds.md)")
        return 0
    builds: Path = build.BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="tmp-", dir=builds))
    started = time.monotonic()
    print("patterns: compiling the engine with mypyc (1-3 minutes)...", flush=True)
    try:
        compile_into(work / "out", work, build)
        # Complete or absent: a half-written build never carries the name `patterns` looks for.
        os.rename(work / "out", target)
    finally:
        os.chdir(ROOT)
        shutil.rmtree(work, ignore_errors=True)
    # Older builds of this interpreter: a process that loaded one keeps its
    # mapped files after they are unlinked, so removing them is safe.
    for old in builds.glob(f"{sys.implementation.cache_tag}-*"):
        if old != target:
            shutil.rmtree(old, ignore_errors=True)
    elapsed = time.monotonic() - started
    print(f"patterns: compiled with mypyc in {elapsed:.0f} s ({target.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
