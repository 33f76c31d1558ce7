"""Markers select what they say: `-m "not e2e"` leaves out every browser test."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_browser_test_carries_the_e2e_marker():
    """Collecting tests/e2e without e2e selects nothing and deselects every browser test."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly"]
        + ["-m", "not e2e", "tests/e2e"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 5, done.stdout + done.stderr  # 5: no test selected
    deselected = re.search(r"(\d+) deselected", done.stdout)
    assert deselected and int(deselected.group(1)) > 10, done.stdout
