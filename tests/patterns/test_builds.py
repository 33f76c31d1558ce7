"""The engine's two builds (docs/engine-builds.md): compiled with mypyc, and pure Python.

`make setup` compiles the engine where a C compiler is present; `patterns`
uses that build only while its sources are the ones it was built from, and
falls back to pure Python otherwise. Both must behave byte for byte alike.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from patterns import BUILD, BUILD_NOTE, build, distributions, events

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "patterns" / "scenarios" / "sticky-sessions-and-a-crash.json"


def toolchain_missing() -> str | None:
    """Why scripts/build-engine.py would not compile here, or None."""
    spec = importlib.util.spec_from_file_location("build_engine", ROOT / "scripts/build-engine.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script.missing_toolchain()  # type: ignore[no-any-return]


def python(*args: str, cwd: Path = ROOT, pure: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PATTERNS_PURE", "PYTHONPATH")}
    if pure:
        env["PATTERNS_PURE"] = "1"
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def run_json(cwd: Path = ROOT, pure: bool = False) -> dict[str, Any]:
    done = python("-m", "patterns", "run", str(SCENARIO), "--json", cwd=cwd, pure=pure)
    assert done.returncode == 0, done.stderr
    out: dict[str, Any] = json.loads(done.stdout)
    return out


def copy_of_the_package(tmp_path: Path) -> Path:
    """The package's sources alone in `tmp_path`, no build beside them."""
    shutil.copytree(
        ROOT / "patterns", tmp_path / "patterns", ignore=shutil.ignore_patterns("__pycache__")
    )
    return tmp_path


def test_the_compiled_build_is_in_use_after_make_setup() -> None:
    """Where a C compiler and the Python headers are, `make setup` compiled the engine
    and `patterns` runs it: every engine module from the build, none from the sources."""
    why = toolchain_missing()
    if why is not None:
        pytest.skip(f"this machine cannot compile the engine: {why}")
    if os.environ.get("PATTERNS_PURE", "") not in ("", "0"):
        pytest.skip("PATTERNS_PURE is set: pure Python on purpose")
    assert BUILD == "compiled", f"{BUILD_NOTE}: run make setup (or set PATTERNS_PURE=1)"
    done = python(
        "-c",
        "import sys, patterns.cli, patterns.nodes.service\n"
        "print(patterns.BUILD)\n"
        "for name, m in sorted(sys.modules.items()):\n"
        "    if name.startswith('patterns.'): print(name, m.__file__)",
    )
    assert done.returncode == 0, done.stderr
    first, *modules = done.stdout.splitlines()
    assert first == "compiled"
    # The C helpers built beside the compiled modules (patterns/splitmix.c, stored.c).
    assert distributions.NATIVE_DRAW is not None and events.NATIVE_STORED is not None
    files = dict(line.split(" ", 1) for line in modules)
    pure = {"patterns.build", "patterns.scenarios"}  # build.NOT_COMPILED
    assert "patterns.nodes.service" in files and "patterns.engine" in files
    for name, file in files.items():
        compiled = file.endswith(".so") and file.startswith(str(build.BUILDS))
        assert compiled != (name in pure), (name, file)
    # The command line says so, in words and in its JSON.
    version = python("-m", "patterns", "--version")
    assert version.stdout.startswith("patterns: compiled with mypyc"), version
    assert run_json()["build"] == "compiled"


def test_the_pure_fallback_runs_without_the_extension_modules(tmp_path: Path) -> None:
    """A copy of the sources with no build beside it runs as pure Python, and gives the
    summary the installed build gives (compiled, where `make setup` could compile)."""
    copy = copy_of_the_package(tmp_path)
    version = python("-m", "patterns", "--version", cwd=copy)
    assert version.stdout.strip() == "patterns: pure Python", version
    pure = run_json(cwd=copy)
    assert pure.pop("build") == "pure"
    ours = run_json()
    ours.pop("build")
    assert pure == ours


def test_a_stale_build_never_runs(tmp_path: Path) -> None:
    """A build of other sources is ignored: an edited engine runs as pure Python, edit
    included, and says the build is out of date, until `make setup` builds it again."""
    copy = copy_of_the_package(tmp_path)
    # A "build" of sources that are not these ones: loading it would fail loudly.
    old = copy / "build" / "mypyc" / f"{sys.implementation.cache_tag}-0123456789abcdef0123"
    for name in ("engine", "kernel", "native__mypyc"):
        broken = old / "patterns" / f"{name}{importlib.machinery.EXTENSION_SUFFIXES[0]}"
        broken.parent.mkdir(parents=True, exist_ok=True)
        broken.write_bytes(b"not a shared object")
    with open(copy / "patterns" / "kernel.py", "a") as f:
        f.write("\nEDITED = True\n")
    done = python("-c", "import patterns, patterns.kernel as k; print(k.EDITED)", cwd=copy)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
    version = python("-m", "patterns", "--version", cwd=copy)
    assert "pure Python (the compiled build is out of date" in version.stdout, version


def test_patterns_pure_forces_pure_python() -> None:
    """PATTERNS_PURE=1 runs the sources whatever is built."""
    done = python("-c", "import patterns.engine as e; print(e.__file__)", pure=True)
    assert done.stdout.strip() == str(ROOT / "patterns" / "engine.py")
    version = python("-m", "patterns", "--version", pure=True)
    assert version.stdout.strip() == "patterns: pure Python (PATTERNS_PURE is set)"


def test_the_golden_runs_are_byte_identical_in_both_builds(tmp_path: Path) -> None:
    """benchmarks/golden.py: the event streams and summaries of its 33 runs, hashed, are
    the same compiled and pure (when only pure Python runs here, pure against itself)."""
    hashes = tmp_path / "golden.json"
    saved = python("benchmarks/golden.py", str(hashes), pure=True)
    assert saved.returncode == 0, saved.stdout + saved.stderr
    checked = python("benchmarks/golden.py", str(hashes), "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("ok ("), checked.stdout
    assert f"the engine: {BUILD_NOTE}" in checked.stdout


def test_without_a_c_compiler_make_setup_says_so_in_one_line_and_builds_nothing(
    tmp_path: Path,
) -> None:
    """scripts/build-engine.py on a machine without a C compiler: one line, exit 0, no build."""
    copy = copy_of_the_package(tmp_path)
    (copy / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "build-engine.py", copy / "scripts")
    shutil.copy(ROOT / "pyproject.toml", copy)
    env = {**os.environ, "CC": "no-such-cc"}
    env.pop("PATTERNS_PURE", None)
    done = subprocess.run(
        [sys.executable, "scripts/build-engine.py"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "patterns: no C compiler (no-such-cc): the engine runs as pure Python "
        "(docs/engine-builds.md)"
    ]
    assert not (copy / "build").exists()
