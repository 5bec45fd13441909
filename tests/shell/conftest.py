"""Helpers for the jug-shell tests: run the real ``jug shell`` with commands on its stdin.

IPython reads commands from a pipe line by line (it notices stdin is not a terminal and
uses its simple prompt), so a test writes a little script, runs it, and reads the lines
the script printed with a ``>>>`` marker.
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from jug.testing import JugProject


class ShellProject(JugProject):
    """A scratch jug project (see jug.testing.JugProject) that also runs ``jug shell``."""

    def shell(
        self, commands: str, *args: str
    ) -> tuple[subprocess.CompletedProcess[str], list[str]]:
        """Run ``jug shell ARGS`` with *commands* (one statement per line) on stdin.

        Returns the process and the lines printed by ``show(...)`` calls (a helper the
        commands can use: it prints ``>>> `` and its arguments).
        """
        prelude = "def show(*a): print('>>>', *a)\n"
        done = self.jug("shell", *args, input=prelude + textwrap.dedent(commands))
        shown = [
            line.split(">>> ", 1)[1]
            for line in done.stdout.splitlines()
            if ">>> " in line and "print('>>>'" not in line
        ]
        return done, shown


@pytest.fixture
def shell_project(tmp_path: Path) -> ShellProject:
    return ShellProject(tmp_path)
