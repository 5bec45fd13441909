"""Fixtures of the drop-in tests: the original Jug 2.7, run for real where data or
behaviour crosses implementations.

The original is found at ``$JUG_ORIGINAL_PYTHON`` (``make original`` installs it into
``bench/.venv-orig``). Without it those tests skip, unless ``JUG_REQUIRE_ORIGINAL=1``
(set by CI once it installed the original), which turns its absence into a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

_DEFAULT = Path(__file__).resolve().parents[2] / "bench" / ".venv-orig" / "bin" / "python"


class Original:
    """The original Jug 2.7's interpreter and its ``jug`` program."""

    def __init__(self, python: Path) -> None:
        self.python = python
        self.jug_program = python.parent / "jug"

    def jug(
        self, *args: str, cwd: str | os.PathLike[str], env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run the original ``jug ARGS`` (with ``--will-cite`` after the subcommand)."""
        argv = [str(self.jug_program), *args[:1], "--will-cite", *args[1:]]
        return subprocess.run(
            argv, cwd=cwd, env=_clean_env(env), capture_output=True, text=True, timeout=300
        )

    def run(
        self, code: str, *args: str, cwd: str | os.PathLike[str], env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run Python *code* with the original's interpreter."""
        return subprocess.run(
            [str(self.python), "-c", textwrap.dedent(code), *args],
            cwd=cwd,
            env=_clean_env(env),
            capture_output=True,
            text=True,
            timeout=300,
        )


def _clean_env(extra: dict[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra or {})
    return env


def original_python() -> Path | None:
    """The original's interpreter, if installed."""
    given = os.environ.get("JUG_ORIGINAL_PYTHON")
    path = Path(given) if given else _DEFAULT
    return path if path.exists() else None


@pytest.fixture(scope="session")
def original() -> Original:
    """The original Jug 2.7 (skips, or fails with ``JUG_REQUIRE_ORIGINAL=1``, without it)."""
    python = original_python()
    if python is None:
        if os.environ.get("JUG_REQUIRE_ORIGINAL") == "1":
            pytest.fail("the original Jug 2.7 is required (JUG_REQUIRE_ORIGINAL=1) but missing")
        pytest.skip("the original Jug 2.7 is not installed (make original)")
    return Original(python)


@pytest.fixture
def python_run():
    """``python_run(code, *args)``: run *code* with our interpreter; its standard output
    (the run must succeed)."""

    def run(code: str, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code), *args],
            env=_clean_env(None),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    return run
