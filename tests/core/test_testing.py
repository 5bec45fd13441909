"""jug.testing's own helpers, as far as they need nothing but jug-core (the ones that run
the real ``jug`` program are exercised by every test of tests/cli)."""

from __future__ import annotations

import os
import runpy
import sys

import pytest

from jug import task as jug_task
from jug.testing import (
    HOLDING_JUGFILE,
    JugProject,
    MemoryStore,
    count_executions,
    counting_jugfile,
    memory_store,
    parse_status_table,
    parse_summary_table,
    run_all,
    scratch_modules,
    wait_until,
)

# Printed by `jug status` and `jug execute --target double` for three `double` tasks and
# a `total` of them.
STATUS = """\
  Waiting  Ready  Finished  Running  Failed  Stale  Task name
------------------------------------------------------------------
        0      0         3        0       0      0  jugfile.double
        0      1         0        0       0      0  jugfile.total
..................................................................
        0      1         3        0       0      0  Total
"""
SUMMARY = """\
    Executed      Loaded  Task name
----------------------------------------
           3           0  jugfile.double
........................................
           3           0  Total
"""


def test_parse_status_table_reads_rows_of_six_counts():
    rows = parse_status_table(STATUS)
    assert rows == {
        "jugfile.double": [0, 0, 3, 0, 0, 0],
        "jugfile.total": [0, 1, 0, 0, 0, 0],
        "Total": [0, 1, 3, 0, 0, 0],
    }


def test_parse_summary_table_reads_rows_of_counts():
    assert parse_summary_table(SUMMARY) == {"jugfile.double": [3, 0], "Total": [3, 0]}


def test_memory_store_is_installed_and_put_back():
    before = jug_task.Task.store
    with memory_store() as store:
        assert isinstance(store, MemoryStore)
        assert jug_task.Task.store is store
        jug_task.Task(sum, [1, 2])
        assert len(jug_task.alltasks) == 1
    assert jug_task.Task.store is before
    assert jug_task.alltasks == []


def test_scratch_modules_import_and_are_forgotten(tmp_path):
    with scratch_modules(tmp_path) as make:
        mod = make(
            "scratch_mod_a",
            """
            def f(x):
                return x + 1
            """,
        )
        assert mod.f(1) == 2 and sys.modules["scratch_mod_a"] is mod
        assert make("scratch_mod_a", "VALUE = 3\n").VALUE == 3  # imported anew
    assert "scratch_mod_a" not in sys.modules
    assert str(tmp_path) not in sys.path


def test_wait_until_fails_with_what_it_waited_for():
    wait_until(lambda: True, timeout=0)
    with pytest.raises(AssertionError, match="timed out waiting for the moon"):
        wait_until(lambda: False, timeout=0.05, what="the moon")


def test_counting_jugfile_counts_each_execution(tmp_path, store):
    jugfile = tmp_path / "jugfile.py"
    jugfile.write_text(counting_jugfile(tasks=5, task_time=0))
    assert count_executions(tmp_path) == {}
    namespace = runpy.run_path(str(jugfile))
    assert run_all() == 6
    assert count_executions(tmp_path) == {f"work{i}": 1 for i in range(5)} | {"total": 1}
    assert jug_task.value(namespace["results"]) == [0, 1, 4, 9, 16]


def test_holding_jugfile_marks_its_start_and_returns(tmp_path, store):
    jugfile = tmp_path / "jugfile.py"
    jugfile.write_text(HOLDING_JUGFILE)
    runpy.run_path(str(jugfile))
    assert run_all() == 1  # no `hold` file: it returns at once
    assert (tmp_path / f"started-{os.getpid()}").exists()
    assert [store.load(k) for k in store.list()] == [10]


def test_project_environment_is_its_own(tmp_path, monkeypatch):
    monkeypatch.setenv("JUG_MAX_TASKS", "1")
    monkeypatch.setenv("XDG_CONFIG_HOME", "/nowhere")
    project = JugProject(tmp_path)
    env = project.env
    assert env["HOME"] == str(tmp_path / "home") and (tmp_path / "home").is_dir()
    assert "JUG_MAX_TASKS" not in env and "XDG_CONFIG_HOME" not in env
    project.write("sub/data.txt", "    indented\n    text\n")
    assert (tmp_path / "sub" / "data.txt").read_text() == "indented\ntext\n"
    got = project.python(
        """
        import json, os, sys
        print(json.dumps([os.getcwd(), os.environ["HOME"], os.environ.get("X"), sys.argv[1:]]))
        """,
        "a",
        env={"X": "1"},
    )
    assert got == [str(tmp_path), str(tmp_path / "home"), "1", ["a"]]
