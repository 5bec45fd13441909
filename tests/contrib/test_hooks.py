"""jug.hooks: the registry, and the hook points the execution loop fires."""

from __future__ import annotations

import io

import pytest

from jug.execution import ExecutionOptions, Executor
from jug.hooks import (
    KNOWN_HOOKS,
    has_hooks,
    jug_hook,
    register_hook,
    register_hook_once,
    reset_all_hooks,
    unregister_hook,
)
from jug.task import alltasks


def test_register_and_fire():
    seen = []
    register_hook("execute.task-executed1", lambda t: seen.append(("a", t)))

    @register_hook("execute.task-executed1")
    def second(t):
        seen.append(("b", t))
        return "result"

    assert jug_hook("execute.task-executed1", ("T",)) == [None, "result"]
    assert seen == [("a", "T"), ("b", "T")]  # in registration order
    assert jug_hook("execute.task-loadable", ("T",)) == []  # nothing registered there
    assert has_hooks("execute.task-executed1") and not has_hooks("execute.task-loadable")
    assert jug_hook("execute.task-executed1", kwargs={"t": "K"}) == [None, "result"]


def test_unknown_hook_names_are_refused():
    with pytest.raises(ValueError, match="not a hook name"):
        register_hook("execute.task-done", print)
    with pytest.raises(ValueError, match="execute.task-executed1"):
        register_hook_once("nonsense", "code", print)
    assert "execute.finished_post_status" in KNOWN_HOOKS


def test_register_once_unregister_and_reset():
    calls = []

    def f():
        calls.append(1)

    assert register_hook_once("execute.finished_pre_status", "mine", f)
    assert not register_hook_once("execute.finished_pre_status", "mine", f)
    jug_hook("execute.finished_pre_status")
    assert calls == [1]
    assert unregister_hook("execute.finished_pre_status", f)
    assert not unregister_hook("execute.finished_pre_status", f)
    jug_hook("execute.finished_pre_status")
    assert calls == [1]
    register_hook("execute.finished_pre_status", f)
    reset_all_hooks()
    jug_hook("execute.finished_pre_status")
    assert calls == [1]
    assert register_hook_once("execute.finished_pre_status", "mine", f)  # codes forgotten too


MODULE = """
from jug import TaskGenerator

@TaskGenerator
def produce(x):
    return x

@TaskGenerator
def broken(x):
    raise ValueError(f"broken {x}")
"""


def test_executor_fires_the_task_hooks(module_factory, memory_store):
    m = module_factory("hookfuncs", MODULE)
    events = []
    for name in ["execute.task-loadable", "execute.task-pre-execute", "execute.task-executed1"]:
        register_hook(name, lambda t, name=name: events.append((name[8:], t.args[0])))
    register_hook("execute.task-failed", lambda t, err: events.append(("failed", err[-8:])))
    done = m.produce(0)
    done.run()
    m.produce(1)
    m.broken(2)
    result = Executor(memory_store, ExecutionOptions(keep_going=True), stream=io.StringIO()).run(
        list(alltasks)
    )
    assert events == [
        ("task-loadable", 0),
        ("task-pre-execute", 1),
        ("task-executed1", 1),
        ("task-pre-execute", 2),
        ("failed", "broken 2"),
    ]
    assert result.exit_code == 1


def test_exit_check_hook_stops_with_a_reason(module_factory, memory_store):
    m = module_factory("hookfuncs2", MODULE)
    for i in range(5):
        m.produce(i)
    ran = []
    register_hook("execute.task-executed1", ran.append)
    register_hook("execute.check-exit", lambda: "enough" if len(ran) >= 2 else None)
    result = Executor(memory_store).run(list(alltasks))
    assert sum(result.executed.values()) == 2 and result.undone == 3
    assert result.stop_message == "enough" and result.problems == []
    assert result.exit_code == 0


def test_a_hook_calling_sys_exit_stops_the_run_gracefully(module_factory, memory_store):
    m = module_factory("hookfuncs3", MODULE)
    for i in range(4):
        m.produce(i)

    def quit_now(task):
        raise SystemExit(0)  # what Jug 2.x exit hooks did

    register_hook("execute.task-executed1", quit_now)
    result = Executor(memory_store).run(list(alltasks))
    assert sum(result.executed.values()) == 1
    assert "called sys.exit(0)" in (result.stop_message or "")
    assert result.exit_code == 0 and not memory_store.locks


SUMMARY = """
import sys
from jug import TaskGenerator
from jug.hooks import register_hook, register_hook_once

@TaskGenerator
def f(x):
    return x

def say(text):
    def hook(*args):
        print(text + ":" + ",".join(getattr(a, "name", str(a)) for a in args), flush=True)
    return hook

for name in ["execute.task-loadable", "execute.task-pre-execute", "execute.task-executed1",
             "execute.finished_pre_status", "execute.finished_post_status"]:
    register_hook_once(name, name, say(name))

a = f(1)
b = f(a)
"""


def test_hooks_in_a_jugfile_under_jug_execute(project):
    project.write("jugfile.py", SUMMARY)
    first = project.jug("execute")
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    hooks = [line for line in lines if line.startswith("execute.")]
    assert hooks == [
        "execute.task-pre-execute:jugfile.f",
        "execute.task-executed1:jugfile.f",
        "execute.task-pre-execute:jugfile.f",
        "execute.task-executed1:jugfile.f",
        "execute.finished_pre_status:",
        "execute.finished_post_status:",
    ]
    pre = lines.index("execute.finished_pre_status:")
    post = lines.index("execute.finished_post_status:")
    assert "Executed" in lines[pre + 1] and "Total" in lines[post - 1]  # around the summary
    second = project.jug("execute")
    assert [x for x in second.stdout.splitlines() if x.startswith("execute.task")] == [
        "execute.task-loadable:jugfile.f",
        "execute.task-loadable:jugfile.f",
    ]
