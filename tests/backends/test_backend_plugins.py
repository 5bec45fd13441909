"""Third-party backends through the ``jug.backends`` entry points, with the test-only plugin
``tests/plugins/jug-memtest-backend`` (installed in the development environment)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "tests" / "plugins" / "jug-memtest-backend"

JUGFILE = """
from jug import TaskGenerator

@TaskGenerator
def square(x):
    return x * x

@TaskGenerator
def total(values):
    return sum(values)

result = total([square(i) for i in range(10)])
"""


def jug(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jug", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_redis_and_plugin_are_registered():
    eps = {ep.name: ep for ep in entry_points(group="jug.backends")}
    assert eps["redis"].value == "jug.backends.redis_store:from_jugdir"
    assert eps["memtest"].value == "jug_memtest_backend:from_jugdir"
    assert eps["memtest"].dist is not None and eps["memtest"].dist.name == "jug-memtest-backend"
    assert callable(eps["redis"].load()) and callable(eps["memtest"].load())


def test_help_lists_installed_backends(tmp_path):
    out = jug(tmp_path, "--help").stdout
    line = next(x for x in out.splitlines() if x.startswith("installed backends"))
    names = re.findall(r"[\w-]+", line.split(":", 1)[1])
    assert {"file", "dict_store", "redis", "memtest"} <= set(names)


def test_jug_execute_and_status_use_the_plugin(tmp_path):
    (tmp_path / "jugfile.py").write_text(JUGFILE)
    jugdir = f"memtest:{tmp_path / 'results.sqlite'}"
    done = jug(tmp_path, "execute", "jugfile.py", "--jugdir", jugdir)
    assert done.returncode == 0, done.stderr
    status = jug(tmp_path, "status", "jugfile.py", "--jugdir", jugdir, "--short")
    assert status.returncode == 0, status.stderr
    assert "11" in status.stdout
    assert jug(tmp_path, "check", "jugfile.py", "--jugdir", jugdir).returncode == 0
    assert (tmp_path / "results.sqlite").exists()
    assert sorted(os.listdir(tmp_path)) == ["jugfile.py", "results.sqlite"]  # no directory
    from jug.backend_registry import open_store

    store = open_store(jugdir)
    assert sorted(store.load(k) for k in store.list())[-1] == 285
    assert store.listlocks() == []


def test_failing_plugin_import_names_the_plugin(tmp_path):
    # A module of the same name earlier on sys.path, whose import fails as a missing
    # dependency would: the installed entry point now cannot load.
    shadow = tmp_path / "shadow" / "jug_memtest_backend"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("import fancy_dependency\n")
    (tmp_path / "jugfile.py").write_text(JUGFILE)
    env = {"PYTHONPATH": str(tmp_path / "shadow")}
    for sub in ("status", "execute"):
        proc = jug(tmp_path, sub, "jugfile.py", "--jugdir", "memtest:x.sqlite", env=env)
        assert proc.returncode != 0
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        assert "'memtest'" in lines[0] and "jug-memtest-backend" in lines[0]
        assert "fancy_dependency" in lines[0]
    assert sorted(os.listdir(tmp_path)) == ["jugfile.py", "shadow"]
    # Other backends are not affected by the broken plugin.
    ok = jug(tmp_path, "status", "jugfile.py", "--jugdir", "dict_store", env=env)
    assert ok.returncode == 1 and not ok.stderr, ok.stderr  # 1: nothing has run


def _doc_blocks(page: Path) -> list[str]:
    return re.findall(r"^```\w*\n(.*?)^```", page.read_text(), flags=re.S | re.M)


def test_the_documented_example_is_the_tested_plugin():
    """docs/writing-a-backend.md shows this plugin's code and pyproject, exactly."""
    blocks = _doc_blocks(ROOT / "docs" / "writing-a-backend.md")
    marker = "# file: jug_memtest_backend/__init__.py\n"
    code = next(b for b in blocks if b.startswith(marker))
    source = (PLUGIN / "src" / "jug_memtest_backend" / "__init__.py").read_text()
    assert code[len(marker) :] == source
    assert (PLUGIN / "pyproject.toml").read_text() in blocks


@pytest.mark.parametrize("jugdir", ["memtest:", "memtest:/no/such/dir/x.sqlite"])
def test_plugin_rejects_bad_jugdirs(tmp_path, jugdir):
    (tmp_path / "jugfile.py").write_text(JUGFILE)
    proc = jug(tmp_path, "status", "jugfile.py", "--jugdir", jugdir)
    assert proc.returncode != 0
    assert "expected memtest:PATH" in proc.stderr
