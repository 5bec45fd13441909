"""Early exit: jug.hooks.exit_checks, the JUG_* variables and the stop file, with real
`jug execute` workers (one and several)."""

from __future__ import annotations

import collections
import time

import pytest

from jug.hooks import jug_hook
from jug.hooks.exit_checks import (
    STOP_FILE,
    execute_exit_checks,
    exit_after_n_tasks,
    exit_after_time,
    exit_env_vars,
    exit_if_file_exists,
    exit_when_true,
)

JUGFILE = """
import os
import sys
import time
from jug import TaskGenerator
from jug.hooks import exit_checks

HERE = os.path.dirname(os.path.abspath(__file__))
SLEEP = float(os.environ.get("TASK_SLEEP", "0"))

@TaskGenerator
def work(i):
    open(os.path.join(HERE, "marks", f"{{i}}-{{os.getpid()}}"), "w").close()
    time.sleep(SLEEP)
    return i

{setup}
results = [work(i) for i in range({n})]
"""


def _project(project, setup="", n=10):
    project.write("jugfile.py", JUGFILE.format(setup=setup, n=n))
    (project.path / "marks").mkdir(exist_ok=True)
    return project


def _executions(project):
    return collections.Counter(p.name.split("-")[0] for p in (project.path / "marks").iterdir())


def test_exit_after_n_tasks_runs_exactly_n(project, parse_summary, parse_status):
    _project(project, "exit_checks.exit_after_n_tasks(3)")
    done = project.jug("execute")
    assert done.returncode == 0, done.stderr
    assert parse_summary(done.stdout)["Total"][:2] == [3, 0]  # the summary is printed
    assert "stopped early (exit_after_n_tasks(3): 3 tasks executed)" in done.stderr
    assert sum(_executions(project).values()) == 3
    rows = parse_status(project.jug("status").stdout)
    assert rows["Total"][1:4] == [7, 3, 0]  # 7 ready, 3 finished, none left running


def test_jug_max_tasks(project, parse_summary):
    _project(project)
    done = project.jug("execute", env={"JUG_MAX_TASKS": "4"})
    assert done.returncode == 0, done.stderr
    assert parse_summary(done.stdout)["Total"][:2] == [4, 0]
    assert "JUG_MAX_TASKS=4: 4 tasks executed" in done.stderr
    rest = project.jug("execute", env={"JUG_MAX_TASKS": "100"})
    assert parse_summary(rest.stdout)["Total"][:2] == [6, 4]
    assert "stopped early" not in rest.stderr
    assert project.jug("check").returncode == 0


def test_zero_tasks(project):
    _project(project)
    done = project.jug("execute", env={"JUG_MAX_TASKS": "0"})
    assert done.returncode == 0 and "0 tasks executed" in done.stderr
    assert not _executions(project)


@pytest.mark.parametrize("value", ["x", "1.5", "-2", "3 tasks"])
@pytest.mark.parametrize("var", ["JUG_MAX_TASKS", "JUG_MAX_HOURS", "JUG_MAX_SECONDS"])
def test_bad_values_are_a_clear_error(project, var, value):
    _project(project)
    done = project.jug("execute", env={var: value})
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and var in lines[0] and "--no-env-exit-checks" in lines[0]
    assert "Traceback" not in done.stderr and not _executions(project)


def test_no_env_exit_checks_ignores_the_variables_but_not_the_stop_file(project, parse_summary):
    _project(project)
    env = {"JUG_MAX_TASKS": "x", "JUG_MAX_SECONDS": "0"}
    done = project.jug("execute", "--no-env-exit-checks", env=env)
    assert done.returncode == 0, done.stderr
    assert parse_summary(done.stdout)["Total"][:2] == [10, 0]
    _project(project, n=12)
    (project.path / STOP_FILE).write_text("")
    stopped = project.jug("execute", "--no-env-exit-checks")
    assert stopped.returncode == 0
    assert f"stop file: the file '{STOP_FILE}' exists" in stopped.stderr
    assert parse_summary(stopped.stdout)["Total"][:2] == [0, 10]


def test_time_limits_add_up(project, parse_summary):
    _project(project)
    done = project.jug(
        "execute",
        env={"JUG_MAX_SECONDS": "1", "JUG_MAX_MINUTES": "0", "TASK_SLEEP": "0.3"},
    )
    assert done.returncode == 0, done.stderr
    executed = parse_summary(done.stdout)["Total"][0]
    assert 1 <= executed < 10  # 10 tasks take 3 s: the 1 s limit stops it on the way
    assert "JUG_MAX_MINUTES=0 JUG_MAX_SECONDS=1: time limit of 1s reached" in done.stderr
    hours = project.jug("execute", env={"JUG_MAX_HOURS": "1", "JUG_MAX_MINUTES": "30"})
    assert "stopped early" not in hours.stderr and project.jug("check").returncode == 0


def test_exit_after_time_in_the_jugfile(project, parse_summary):
    _project(project, "exit_checks.exit_after_time(seconds=0.5)")
    done = project.jug("execute", env={"TASK_SLEEP": "0.2"})
    assert done.returncode == 0
    assert 1 <= parse_summary(done.stdout)["Total"][0] < 10
    assert "exit_after_time(0.5s): time limit of 0.5s reached" in done.stderr


def test_exit_if_file_exists(project, parse_summary):
    setup = 'exit_checks.exit_if_file_exists("halt")'
    _project(project, setup)
    # The file appears while task 3 runs: task 3 finishes, no task 4 starts.
    project.write(
        "jugfile.py",
        JUGFILE.format(setup=setup, n=10).replace(
            "    return i\n", '    if i == 2:\n        open("halt", "w").close()\n    return i\n'
        ),
    )
    done = project.jug("execute")
    assert done.returncode == 0, done.stderr
    assert parse_summary(done.stdout)["Total"][0] == 3
    assert "the file 'halt' exists" in done.stderr
    (project.path / "halt").unlink()
    (project.path / "halt2").write_text("")
    env_file = project.jug("execute", env={"JUG_EXIT_IF_FILE_EXISTS": "halt2"})
    assert parse_summary(env_file.stdout)["Total"][0] == 0
    assert "JUG_EXIT_IF_FILE_EXISTS: the file 'halt2' exists" in env_file.stderr


def test_exit_when_true(project, parse_summary):
    setup = (
        "exit_checks.exit_when_true(lambda t: t.args[0] >= 4, function_takes_Task=True)\n"
        "exit_checks.exit_when_true(lambda: False)"
    )
    _project(project, setup)
    done = project.jug("execute")
    assert done.returncode == 0, done.stderr
    assert parse_summary(done.stdout)["Total"][0] == 5
    assert "exit_when_true(<lambda>) returned true" in done.stderr


def test_several_workers_each_stop_after_their_own_n_tasks(project, parse_status):
    _project(project, n=30)
    env = {"JUG_MAX_TASKS": "4", "TASK_SLEEP": "0.05"}
    workers = [project.start("execute", "--wait-cycle-time", "0.1", env=env) for _ in range(3)]
    outs = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0], outs
    executions = _executions(project)
    assert sum(executions.values()) == 12 and set(executions.values()) == {1}
    per_worker = collections.Counter(
        p.name.split("-")[1] for p in (project.path / "marks").iterdir()
    )
    assert sorted(per_worker.values()) == [4, 4, 4]
    assert all("JUG_MAX_TASKS=4: 4 tasks executed" in err for _, err in outs)
    assert parse_status(project.jug("status").stdout)["Total"][1:5] == [18, 12, 0, 0]


def test_stop_file_stops_every_worker_and_frees_their_locks(project, parse_status):
    _project(project, n=200)
    env = {"TASK_SLEEP": "0.05"}
    workers = [project.start("execute", "--wait-cycle-time", "0.1", env=env) for _ in range(3)]
    marks = project.path / "marks"
    deadline = time.monotonic() + 60
    while len(list(marks.iterdir())) < 6 and time.monotonic() < deadline:
        time.sleep(0.02)
    (project.path / STOP_FILE).write_text("")
    outs = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0], outs
    assert all("stop file" in err for _, err in outs)
    done = sum(_executions(project).values())
    assert 6 <= done < 200
    rows = parse_status(project.jug("status").stdout)
    assert rows["Total"][2] == done and rows["Total"][3] == 0  # nothing left "running"
    assert set(_executions(project).values()) == {1}


BARRIER = """
import os
from jug import TaskGenerator, barrier
from jug.hooks.exit_checks import exit_after_n_tasks

exit_after_n_tasks(3)

@TaskGenerator
def work(i):
    return i

first = [work(i) for i in range(2)]
barrier()
second = [work(i) for i in range(10, 14)]
"""


def test_exit_checks_count_across_a_barrier(project, parse_summary):
    project.write("jugfile.py", BARRIER)
    done = project.jug("execute")
    assert done.returncode == 0, done.stderr
    # Re-loading the jugfile past the barrier registers the check again, but the
    # first registration keeps counting: 3 tasks in all, not 2 + 3.
    assert parse_summary(done.stdout)["Total"][0] == 3


# -- the functions themselves, without `jug execute` ------------------------------------------


def _stop_reason():
    return [r for r in jug_hook("execute.check-exit") if r]


def test_check_functions_directly(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exit_after_n_tasks(2)
    assert _stop_reason() == []
    jug_hook("execute.task-executed1", ("t1",))
    jug_hook("execute.task-executed1", ("t2",))
    assert _stop_reason() == ["exit_after_n_tasks(2): 2 tasks executed"]


def test_file_and_time_checks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exit_if_file_exists("flag")
    exit_after_time(hours=1)
    assert _stop_reason() == []
    (tmp_path / "flag").write_text("")
    assert _stop_reason() == ["exit_if_file_exists('flag'): the file 'flag' exists"]
    exit_after_time(0, 0, 0)
    assert _stop_reason()[-1] == "exit_after_time(0s): time limit of 0s reached"
    with pytest.raises(ValueError):
        exit_after_time(minutes=-1)
    with pytest.raises(TypeError):
        exit_after_time(seconds="10")
    with pytest.raises(TypeError):
        exit_after_n_tasks(2.5)


def test_exit_when_true_is_called_after_each_task():
    seen = []

    def enough(task):
        seen.append(task)
        return len(seen) >= 2

    exit_when_true(enough, function_takes_Task=True)
    jug_hook("execute.task-executed1", ("a",))
    assert _stop_reason() == []
    jug_hook("execute.task-executed1", ("b",))
    assert seen == ["a", "b"] and _stop_reason() == ["exit_when_true(enough) returned true"]


def test_exit_env_vars():
    exit_env_vars({"JUG_MAX_TASKS": "1", "JUG_MAX_HOURS": "2", "OTHER": "x"})
    assert _stop_reason() == []
    jug_hook("execute.task-executed1", ("a",))
    assert _stop_reason() == ["JUG_MAX_TASKS=1: 1 task executed"]
    with pytest.raises(ValueError, match="JUG_MAX_MINUTES must be a whole number, not '1.5'"):
        exit_env_vars({"JUG_MAX_MINUTES": "1.5"})


def test_execute_exit_checks_are_scoped(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / STOP_FILE).write_text("")
    with execute_exit_checks({"JUG_MAX_TASKS": "0"}):
        assert len(_stop_reason()) == 2
    assert _stop_reason() == []  # removed again on leaving
    with execute_exit_checks({"JUG_MAX_TASKS": "0"}, use_environment=False):
        assert _stop_reason() == [f"stop file: the file '{STOP_FILE}' exists"]
    with pytest.raises(ValueError):
        execute_exit_checks({"JUG_MAX_SECONDS": "soon"})


def test_env_exit_checks_can_be_turned_off_in_a_config_file(project, parse_summary):
    _project(project)
    project.write(".jugrc", "[execute]\nenv-exit-checks = no\n")
    done = project.jug("execute", env={"JUG_MAX_TASKS": "2"})
    assert done.returncode == 0, done.stderr
    assert parse_summary(done.stdout)["Total"][0] == 10 and "warning" not in done.stderr
