"""The SplitMix64 draw in C (patterns/splitmix.c) gives the Python version's bits."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from patterns import distributions

ROOT = Path(__file__).resolve().parents[2]
M64 = (1 << 64) - 1


def test_the_native_draw_gives_the_bits_of_the_python_draw(tmp_path: Path) -> None:
    """200 000 random (key, salt, n), the edges of 64 bits among them, drawn by the C
    helper of the compiled build and by pure Python: the same floats, bit for bit."""
    native = distributions.NATIVE_DRAW
    if native is None:
        pytest.skip("pure Python runs here: no native draw (test_builds checks it is built)")
    rng = random.Random(18)
    edges = [0, 1, 1 << 63, (1 << 63) - 1, M64, M64 - 1]
    sample = [(k, s, n) for k in edges for s in edges for n in (0, 1, 2, 1 << 20)]
    sample += [
        (rng.getrandbits(64), rng.getrandbits(64), rng.randrange(1, 1 << rng.randrange(1, 40)))
        for _ in range(200_000)
    ]
    path = tmp_path / "sample.json"
    path.write_text(json.dumps(sample))
    env = {**os.environ, "PATTERNS_PURE": "1"}
    pure = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys\n"
            "from patterns import distributions as d\n"
            "assert d.NATIVE_DRAW is None\n"
            "print(json.dumps([d.draw(*s).hex() for s in json.load(open(sys.argv[1]))]))",
            str(path),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    expected = json.loads(pure.stdout)
    got = [native(*s).hex() for s in sample]
    assert len(got) == len(expected)
    differ = [(s, g, e) for s, g, e in zip(sample, got, expected, strict=True) if g != e]
    assert not differ, differ[:5]
    assert [distributions.draw(*s).hex() for s in sample[:1000]] == expected[:1000]
