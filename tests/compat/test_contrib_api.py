"""jug-contrib's part of the original jug's API: ``jug.hooks.register``,
``jug.hooks.execution`` (timing tasks), the task-name matchers of ``jug.utils``."""

from __future__ import annotations

import argparse

import pytest

from jug.hooks import jug_hook, register_hook_once, reset_all_hooks
from jug.hooks.execution import TimeTasks
from jug.utils import (
    add_task_selection_options,
    prepare_matcher_from_options,
    prepare_name_matcher,
    prepare_task_matcher,
)


@pytest.fixture(autouse=True)
def no_hooks():
    reset_all_hooks()
    yield
    reset_all_hooks()


def test_register_hook_once_is_per_hook_point():
    calls = []
    assert register_hook_once("execute.finished_pre_status", "mine", lambda: calls.append(1))
    # The same code at another point is another registration (as in the original).
    assert register_hook_once("execute.finished_post_status", "mine", lambda: calls.append(2))
    assert not register_hook_once("execute.finished_pre_status", "mine", lambda: None)
    jug_hook("execute.finished_pre_status")
    jug_hook("execute.finished_post_status")
    assert calls == [1, 2]
    import jug.hooks.register as register

    assert register.register_hook_once is register_hook_once


def test_register_time_tasks_in_a_jugfile(project):
    project.write(
        "jugfile.py",
        """
        from jug import TaskGenerator
        from jug.hooks.execution import register_time_tasks

        register_time_tasks()
        register_time_tasks()  # jugfiles load more than once: registered once

        @TaskGenerator
        def square(x):
            return x * x

        [square(i) for i in range(3)]
        """,
    )
    done = project.jug("execute")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines.count("TIMES") == 1
    (row,) = [line for line in lines if line.startswith("jugfile.square")]
    assert row.endswith("s (3 tasks)")


def test_time_tasks_by_hand():
    timer = TimeTasks()

    class T:
        name = "m.f"

    t = T()
    timer.start(t)
    timer.stop(t)
    timer.stop(t)  # never started again: not counted twice
    assert list(timer.times) == ["m.f"] and len(timer.times["m.f"]) == 1
    assert "m.f" in timer.summary() and "(1 tasks)" in timer.summary()


def test_name_and_pattern_matchers():
    name = prepare_name_matcher("mod.f")
    assert name("pkg.mod.f") and name("mod.f") and not name("pkg.mod.f2")
    assert not name("pkg.xmod.f")
    wild = prepare_name_matcher("f*")
    assert wild("a.f") and wild("a.f_other") and not wild("a.g")
    loose = prepare_task_matcher("count")
    assert loose("a.count_words") and loose("a.recount") and not loose("a.total")
    regex = prepare_task_matcher("/^a\\.c/")
    assert regex("a.count") and not regex("b.a.count")
    with pytest.raises(ValueError, match="empty pattern"):
        prepare_task_matcher("//")
    both = prepare_matcher_from_options(name="f*", pattern="other")
    assert both("m.f_other") and not both("m.f")
    assert prepare_matcher_from_options() is None


def test_add_task_selection_options():
    parser = argparse.ArgumentParser()
    add_task_selection_options(parser, "n", "p", required=False, what="Run tasks")
    assert vars(parser.parse_args(["--name", "f"])) == {"n": "f", "p": None}
    assert parser.parse_args(["--pattern", "/x/"]).p == "/x/"
    with pytest.raises(SystemExit):
        parser.parse_args(["--name", "f", "--pattern", "g"])
    with pytest.raises(SystemExit):
        parser.parse_args(["--pattern", ""])
