"""The web app's folders say what each part serves, and its layers import downwards only."""

from __future__ import annotations

import ast
from pathlib import Path

PLAYGROUND = Path(__file__).resolve().parents[2] / "playground"
# What Django, Channels and Celery expect at the top, and what every part shares.
TOP = {
    "__init__.py",
    "admin.py",
    "apps.py",
    "asgi.py",
    "celery.py",
    "error_pages.py",
    "fields.py",
    "i18n.py",
    "models.py",
    "refusals.py",
    "routing.py",
    "settings.py",
    "urls.py",
}
PARTS = {"accounts", "api", "experiments", "runs", "topologies"}


def _imports(path: Path) -> set[str]:
    """The playground modules a file imports, at any depth of the file (lazy imports too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        module = node.module if isinstance(node, ast.ImportFrom) else None
        if isinstance(node, ast.ImportFrom) and module and module.startswith("playground"):
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("playground"))
    return found


def test_the_top_holds_only_what_django_expects_and_the_parts_are_folders() -> None:
    modules = {p.name for p in PLAYGROUND.glob("*.py")}
    assert modules == TOP
    folders = {p.name for p in PLAYGROUND.iterdir() if (p / "__init__.py").exists()}
    assert PARTS <= folders


def test_the_runner_never_imports_what_starts_it() -> None:
    """launch -> tasks -> runner: the runner and the task module do not import each other."""
    runner = _imports(PLAYGROUND / "runs" / "runner.py")
    assert not {"playground.runs.tasks", "playground.runs.launch"} & runner
    tasks = _imports(PLAYGROUND / "runs" / "tasks.py")
    assert "playground.runs.launch" not in tasks


def test_topologies_and_accounts_know_nothing_of_runs_or_experiments() -> None:
    for part in ("topologies", "accounts"):
        for path in (PLAYGROUND / part).glob("*.py"):
            upward = {
                m
                for m in _imports(path)
                if m.startswith(("playground.runs", "playground.experiments", "playground.api"))
            }
            assert not upward, f"{path.name} imports {sorted(upward)}"


def test_the_celery_tasks_keep_the_names_queued_messages_carry() -> None:
    from playground.experiments.tasks import execute_sweep
    from playground.runs.tasks import execute_run

    assert execute_run.name == "playground.tasks.execute_run"
    assert execute_sweep.name == "playground.tasks.execute_sweep"
