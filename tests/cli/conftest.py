"""Helpers for the jug-cli tests: run the real ``jug`` program in a scratch project.

Every subprocess gets its own HOME (so the user's configuration files never leak in) and
runs in the test's temporary directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JUG = [sys.executable, "-m", "jug"]


class Project:
    """A temporary directory holding jugfiles, and a way to run ``jug`` in it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.home = path / "home"
        self.home.mkdir()

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["HOME"] = str(self.home)
        env.pop("XDG_CONFIG_HOME", None)
        env.pop("PYTHONPATH", None)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        return env

    def write(self, name: str, source: str) -> Path:
        """Write a file (a jugfile, a config file...) into the project, dedented."""
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
        return path

    def jug(
        self,
        *args: str,
        timeout: float = 60,
        extra_env: dict[str, str] | None = None,
        cwd: Path | None = None,
        **kw: object,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``jug ARGS`` to completion; return its result (text stdout/stderr).

        *extra_env* is added to the environment; *cwd* defaults to the project directory.
        """
        return subprocess.run(
            [*JUG, *args],
            cwd=cwd or self.path,
            env={**self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            **kw,  # type: ignore[arg-type]
        )

    def spawn(self, *args: str, cwd: Path | None = None) -> subprocess.Popen[str]:
        """Start ``jug ARGS`` in the background (in *cwd*, default the project directory)."""
        return subprocess.Popen(
            [*JUG, *args],
            cwd=cwd or self.path,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    """Poll *predicate* until it is true; fail the test after *timeout* seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what or predicate}")
        time.sleep(0.05)


@pytest.fixture
def wait() -> Callable[..., None]:
    return wait_for


def status_rows(stdout: str) -> dict[str, list[int]]:
    """Parse the ``jug status`` table into ``{task name: [waiting, ready, finished,
    running, failed, stale]}`` (the totals row under ``Total``)."""
    rows: dict[str, list[int]] = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 7 and all(p.isdigit() for p in parts[:6]):
            rows[parts[6]] = [int(p) for p in parts[:6]]
    return rows


def summary_rows(stdout: str) -> dict[str, list[int]]:
    """Parse the ``jug execute`` summary into ``{task name: [executed, loaded, ...]}``."""
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


_HASHES = """
import json, sys
import jug
from jug.task import alltasks
jug.init(sys.argv[1], 'dict_store')
out = {}
for t in alltasks:
    out.setdefault(t.name, []).append(t.hash().decode())
print(json.dumps(out))
"""


def task_hashes(project: Project, jugfile: str = "jugfile.py") -> dict[str, list[str]]:
    """Task name → hashes (in definition order) of *jugfile*'s tasks, computed by jug."""
    import json

    done = subprocess.run(
        [sys.executable, "-c", _HASHES, jugfile],
        cwd=project.path,
        env=project.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def hashes() -> Callable[..., dict[str, list[str]]]:
    return task_hashes


@pytest.fixture
def memory_store():
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
