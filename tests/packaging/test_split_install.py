"""Split install: jug-core alone from its wheel runs the core tests; jug-core and
jug-backends run a jugfile in two processes through jug.execution.execute; the meta package
runs the demo. The work is done by scripts/test_split.py (also `make test-split`)."""

from __future__ import annotations

import os
import sys

import pytest


@pytest.mark.slow
def test_split_install(repo_root, uv, run):
    env = dict(os.environ, JUG_UV=uv)
    done = run(
        [sys.executable, repo_root / "scripts" / "test_split.py"],
        env=env,
        cwd=repo_root,
        timeout=600,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "test-split: OK" in done.stdout
    # Both halves really ran: core tests passed, the demo's tasks all finished.
    assert "present []" in done.stdout and " passed" in done.stdout
    assert "jug check: all tasks done" in done.stdout
    assert "in two processes, each once" in done.stdout
