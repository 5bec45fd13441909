"""Helpers for the jug-contrib tests: real ``jug`` processes in scratch projects, an
in-memory store for API tests, and a clean hook registry around every test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

JUG = [sys.executable, "-m", "jug"]
DATA = Path(__file__).resolve().parent / "data"


class Project:
    """A temporary directory holding jugfiles, and a way to run ``jug`` in it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.home = path / "home"
        self.home.mkdir()

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env["HOME"] = str(self.home)
        env.pop("XDG_CONFIG_HOME", None)
        env.pop("PYTHONPATH", None)
        for var in list(env):
            if var.startswith(("JUG_MAX_", "JUG_EXIT_")):
                del env[var]
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.update(extra)
        return env

    def write(self, name: str, source: str) -> Path:
        """Write a file into the project, dedented."""
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
        return path

    def jug(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run ``jug ARGS`` to completion (extra environment variables in *env*)."""
        return subprocess.run(
            [*JUG, *args],
            cwd=self.path,
            env=self.env(**(env or {})),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def spawn(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """Start ``jug ARGS`` in the background."""
        return subprocess.Popen(
            [*JUG, *args],
            cwd=self.path,
            env=self.env(**(env or {})),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def python(self, source: str, timeout: float = 120) -> Any:
        """Run Python *source* in the project; return what it printed last, parsed as JSON."""
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(source)],
            cwd=self.path,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def status_rows(stdout: str) -> dict[str, list[int]]:
    """``jug status`` table → ``{task name: [waiting, ready, finished, running, failed,
    stale]}`` (totals under ``Total``)."""
    rows: dict[str, list[int]] = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 7 and all(p.isdigit() for p in parts[:6]):
            rows[parts[6]] = [int(p) for p in parts[:6]]
    return rows


def summary_rows(stdout: str) -> dict[str, list[int]]:
    """``jug execute`` summary → ``{task name: [executed, loaded, ...]}``."""
    rows: dict[str, list[int]] = {}
    for line in stdout.splitlines():
        parts = line.split()
        counts = [p for p in parts[:-1] if p.isdigit()]
        if parts and len(counts) == len(parts) - 1 and len(counts) >= 2:
            rows[parts[-1]] = [int(p) for p in counts]
    return rows


@pytest.fixture
def parse_status() -> Callable[[str], dict[str, list[int]]]:
    return status_rows


@pytest.fixture
def parse_summary() -> Callable[[str], dict[str, list[int]]]:
    return summary_rows


@pytest.fixture
def memory_store() -> Iterator[Any]:
    """A fresh jug.testing.MemoryStore installed as Task.store; alltasks cleared around it."""
    from jug import task as jug_task
    from jug.testing import MemoryStore

    saved = jug_task.Task.store
    del jug_task.alltasks[:]
    store = MemoryStore()
    jug_task.Task.store = store
    yield store
    jug_task.Task.store = saved
    del jug_task.alltasks[:]


@pytest.fixture(autouse=True)
def _clean_hooks() -> Iterator[None]:
    """Hooks registered by one test never leak into another."""
    from jug.hooks import reset_all_hooks

    reset_all_hooks()
    yield
    reset_all_hooks()


@pytest.fixture
def module_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Write Python source to a real module and import it (so pickling by name works)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    created: list[str] = []

    def make(name: str, source: str) -> Any:
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        sys.modules.pop(name, None)
        created.append(name)
        return __import__(name)

    yield make
    for name in created:
        sys.modules.pop(name, None)
