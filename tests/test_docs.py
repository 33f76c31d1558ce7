"""The repository is self-contained: every document a source file cites is in it.

A citation is any path-looking word ending in `.md` (`docs/topology.md`,
`patterns/CONTRACT.md`, `../README.md`); it must name a file relative to the
repository's root or to the citing file's folder. Code that cites a page
nobody can open leaves its reader with a contract they cannot read.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUFFIXES = {".py", ".js", ".html", ".md", ".toml", ".sh", ".yml", ".yaml"}
NAMES = {"Makefile", "Dockerfile", "run"}  # `run`: .ci/run
# A word of path characters ending in .md, not part of a URL (no "://" before it on the word).
CITATION = re.compile(r"(?<![\w./:-])((?:\.\.?/)?[\w-][\w./-]*\.md)\b")


def _sources() -> list[Path]:
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    paths = [ROOT / name for name in tracked.split("\0") if name]
    return [p for p in paths if p.is_file() and (p.suffix in SUFFIXES or p.name in NAMES)]


def citations(text: str) -> list[str]:
    return CITATION.findall(text)


def _missing(path: Path) -> list[tuple[int, str]]:
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for cited in citations(line):
            if not ((ROOT / cited).is_file() or (path.parent / cited).is_file()):
                found.append((number, cited))
    return found


def test_it_finds_citations_in_the_usual_forms():
    """The pattern sees bare names, folders, relative links and Markdown links, not URLs."""
    # Names that exist, seen from this file: this file is a source too.
    text = (
        "see patterns/CONTRACT.md; docs/events.md, (../README.md) [x](docs/api.md#errors) "
        "`docs/topology.md` https://example.org/guide.md"
    )
    assert citations(text) == [
        "patterns/CONTRACT.md",
        "docs/events.md",
        "../README.md",
        "docs/api.md",
        "docs/topology.md",
    ]


def test_no_source_file_cites_a_document_missing_from_the_repository():
    """Every .md a tracked source or document names exists, from the root or beside the citer."""
    sources = _sources()
    assert any(p.name == "engine.py" for p in sources), "git ls-files found the sources"
    missing = {
        f"{p.relative_to(ROOT)}:{line}": cited for p in sources for line, cited in _missing(p)
    }
    assert not missing, f"cited but not in the repository: {missing}"
