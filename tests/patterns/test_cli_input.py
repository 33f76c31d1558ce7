"""The command line on bad input: a clear error and exit 2, never a traceback (issue 12).

Exit statuses (patterns/cli.py): 0 finished, 2 bad input, 3 stopped over its budget,
1 a bug of the engine (one line). The fuzz test below runs the CLI's `main` in this
process on damaged documents and damaged bytes, and accepts only 0, 2 and 3.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patterns import cli
from tests.patterns.test_cli import cli as run_module
from tests.patterns.test_validation_fuzz import mutated_documents

DOCUMENTED = (0, cli.BAD_INPUT, cli.OVER_BUDGET)


def run_cli(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_module("run", str(path), *args)


def test_it_refuses_json_nested_50000_deep_with_a_clear_error(tmp_path: Path) -> None:
    """Before: a RecursionError traceback. Now: exit 2 and one line saying why."""
    path = tmp_path / "deep.json"
    path.write_text("[" * 50_000 + "]" * 50_000)
    done = run_cli(path, "--json")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == f"{path}: cannot read a JSON document: it is nested too deeply"
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'{"name": "\xff\xfe"}', "it is not UTF-8 text"),
        (b'{"seed": 1' + b"0" * 5000 + b"}", "Exceeds the limit"),
        (b'{"version": 1, "nodes": [], "x": NaN}', "NaN is not a JSON number"),
        (b"\x00\x01\x02", "cannot read a JSON document"),
        (b"", "cannot read a JSON document"),
        (b'{"version": 1, "duration_ms": 1e400, "nodes": []}', "duration_ms: must be a number"),
    ],
)
def test_it_refuses_bad_bytes_and_numbers_with_exit_2(
    tmp_path: Path, content: bytes, says: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    done = run_cli(path)
    assert done.returncode == 2, done.stderr
    assert says in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_it_refuses_bad_options_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps({"version": 1, "nodes": []}))
    events = run_cli(path, "--events", str(tmp_path / "missing" / "events.jsonl"))
    assert events.returncode == 2 and "cannot write the events" in events.stderr
    seed = run_cli(path, "--seed", str(2**70))
    assert seed.returncode == 2 and "--seed must be a 64-bit integer" in seed.stderr
    folder = run_cli(tmp_path)
    assert folder.returncode == 2 and "cannot read a JSON document" in folder.stderr


def call_main(content: bytes, *args: str) -> tuple[int, str]:
    """`python -m patterns run FILE ...` in this process: (exit status, stderr)."""
    fd, name = tempfile.mkstemp(suffix=".json")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli.main(["run", name, "--json", *args])
        return status, err.getvalue()
    finally:
        os.unlink(name)


def damage(data: bytes, how: str, where: int, junk: bytes) -> bytes:
    at = where % (len(data) + 1)
    if how == "truncate":
        return data[:at]
    if how == "insert":
        return data[:at] + junk + data[at:]
    if how == "nest":
        return b"[" * (200 + where) + data + b"]" * (200 + where)
    return data


@settings(
    max_examples=60,
    deadline=5000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    mutated_documents(),
    st.sampled_from(["none", "none", "truncate", "insert", "nest"]),
    st.integers(0, 5000),
    st.binary(max_size=8),
)
def test_fuzz_the_cli_never_ends_in_a_traceback(
    doc: dict[str, Any], how: str, where: int, junk: bytes
) -> None:
    """Damaged documents and damaged bytes: exit 0, 2 or 3, and no traceback, ever.

    A small event budget keeps each run short; going over it is exit 3, as documented.
    """
    content = damage(json.dumps(doc).encode(), how, where, junk)
    status, err = call_main(content, "--max-events", "30000")
    assert status in DOCUMENTED, err
    assert "Traceback" not in err
    if status == cli.OVER_BUDGET:
        assert err.startswith("stopped: ")
