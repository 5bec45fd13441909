"""Helpers for the jug-shell tests: run the real ``jug shell`` with commands on its stdin.

IPython reads commands from a pipe line by line (it notices stdin is not a terminal and
uses its simple prompt), so a test writes a little script, runs it, and reads the lines
the script printed with a ``>>>`` marker.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

JUG = [sys.executable, "-m", "jug"]


class ShellProject:
    """A temporary directory with a jugfile, its own HOME, and ways to run jug in it."""

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
        path = self.path / name
        path.write_text(textwrap.dedent(source))
        return path

    def jug(
        self, *args: str, stdin: str = "", timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*JUG, *args],
            cwd=self.path,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*JUG, *args],
            cwd=self.path,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def shell(
        self, commands: str, *args: str
    ) -> tuple[subprocess.CompletedProcess[str], list[str]]:
        """Run ``jug shell ARGS`` with *commands* (one statement per line) on stdin.

        Returns the process and the lines printed by ``show(...)`` calls (a helper the
        commands can use: it prints ``>>> `` and its arguments).
        """
        prelude = "def show(*a): print('>>>', *a)\n"
        done = self.jug("shell", *args, stdin=prelude + textwrap.dedent(commands))
        shown = [
            line.split(">>> ", 1)[1]
            for line in done.stdout.splitlines()
            if ">>> " in line and "print('>>>'" not in line
        ]
        return done, shown


@pytest.fixture
def shell_project(tmp_path: Path) -> ShellProject:
    return ShellProject(tmp_path)
