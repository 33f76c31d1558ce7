"""docs/api.md's worked experiment runs as written: its Python script against a live server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from playground.models import ApiToken, Run, Topology

DOC = Path(__file__).resolve().parents[2] / "docs/api.md"
IN_MEMORY = {
    "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 5000}}
}


def _script() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) == 1, "the page has one Python script"
    return blocks[0]


@pytest.fixture
def thread_backend(settings):
    settings.CHANNEL_LAYERS = IN_MEMORY
    settings.RUN_BACKEND = "thread"


def test_it_runs_five_seeds_and_a_variant_and_compares_them(
    live_server, thread_backend, owner, tmp_path
):
    """The script starts seeds 1..5 at max speed (waiting out the run limit), then compares."""
    _, token = ApiToken.issue(owner, name="experiment")
    script = tmp_path / "experiment.py"
    script.write_text(_script())
    env = {**os.environ, "PLAYGROUND_URL": live_server.url, "PLAYGROUND_TOKEN": token}
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    result = json.loads(lines[-1])
    runs = Run.objects.filter(pk__in=[*result["runs"], result["variant"]]).order_by("pk")
    assert [r.seed for r in runs] == [1, 2, 3, 4, 5, 1]
    assert all(r.status == Run.FINISHED and r.speed is None and r.summary for r in runs)
    assert Topology.objects.filter(owner=owner).count() == 2
    for seed in range(1, 6):
        assert any(line.startswith(f"seed {seed}: finished, p50 ") for line in lines)
    assert any("lb.algorithm" in line and "least_connections" in line for line in lines)
