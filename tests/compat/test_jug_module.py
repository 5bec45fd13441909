"""The original jug's ``jug.jug`` and ``jug.options``: code that drives jug from Python or
from a test suite (``execution_loop(alltasks, parse(["execute"]))``, ``main([...])``, the
chained options and ``default_options``), and the ``jug-execute`` program."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time

import pytest

import jug
import jug.jug
import jug.options
from jug.backends.dict_store import dict_store
from jug.errors import UsageError
from jug.jug import ExecutionState, execution_loop
from jug.options import Options, default_options, parse, read_configuration_file
from jug.task import alltasks
from jug.testing import scratch_modules

TASKS = """
from jug import TaskGenerator

calls = []

@TaskGenerator
def double(x):
    calls.append(x)
    return 2 * x

@TaskGenerator
def boom(x):
    raise ZeroDivisionError(x)

@TaskGenerator
def total(xs):
    return sum(xs)
"""


@pytest.fixture
def mod(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # no user configuration file
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    saved = jug.Task.store
    del alltasks[:]
    jug.set_jugdir(dict_store())
    (tmp_path / "m").mkdir()
    with scratch_modules(tmp_path / "m") as make:
        yield make("loopjug", TASKS)
    del alltasks[:]
    jug.Task.store = saved


def test_execution_loop_with_parsed_options(mod):
    doubles = [mod.double(i) for i in range(4)]
    result = mod.total(doubles)
    tasks = alltasks
    assert execution_loop(tasks, parse(["execute"])) is False
    assert jug.value(result) == 12 and sorted(mod.calls) == [0, 1, 2, 3]
    assert tasks == []  # what is left undone, as the original left the list


def test_execution_loop_raises_the_task_error_unless_keep_going(mod):
    ok = mod.double(1)
    bad = mod.boom(0)
    options = default_options.copy()
    with pytest.raises(ZeroDivisionError):
        execution_loop(list(alltasks), options)
    assert not bad.is_locked()  # released before the error came back
    options.execute_keep_going = True  # the original's name for --keep-going
    state = ExecutionState()
    left = list(alltasks)
    assert execution_loop(left, options, state) is True
    assert ok.can_load() and left == [bad] and state.failed == {bad.hash()}
    # A task that failed in an earlier call is not run again with the same state.
    assert execution_loop(list(alltasks), options, state) is False


def test_execution_loop_selects_tasks_by_name(mod):
    a = mod.double(1)
    t = mod.total([mod.double(2)])
    options = parse(["execute"])
    options.execute_name = "total"  # the original's --name: its dependencies run too here
    execution_loop(list(alltasks), options)
    assert t.can_load() and not a.can_load()


def test_default_options_chain_and_original_names(mod):
    options = parse(["execute", "--keep-going", "--nr-wait-cycles", "3"])
    assert options.execute_keep_going is True and options.keep_going is True
    assert options.execute_nr_wait_cycles == 3
    assert options.execute_wait_cycle_time == 12.0  # from the defaults below it
    assert options.subcommand == "execute" and options.user_args == []
    copy = options.copy()
    copy.update({"execute_keep_going": False})
    assert copy.keep_going is False and options.keep_going is True
    # A change to default_options shows through every chain that does not set the option.
    saved = default_options.execute_wait_cycle_time
    try:
        default_options.execute_wait_cycle_time = 0.5
        assert options.wait_cycle_time == 0.5
    finally:
        default_options.execute_wait_cycle_time = saved
    chained = Options(Options(None))
    with pytest.raises(AttributeError):
        chained.no_such_option  # noqa: B018
    with pytest.raises(UsageError):
        parse([])


def test_parse_with_an_options_file_and_the_config_helpers(mod, tmp_path):
    options = parse(["execute", "a.py", "--", "x"], io.StringIO("[execute]\nkeep-going = yes\n"))
    assert options.keep_going is True and options.jugfile == "a.py" and options.argv == ["x"]
    assert parse(cmdlist=["status", "--short"]).short is True
    # read_configuration_file: [main] keys by name, [NAME] keys as NAME_KEY, typed by the
    # defaults given.
    read = read_configuration_file(
        io.StringIO("[main]\njugdir = elsewhere\n[execute]\nnr-wait-cycles = 4\n"),
        default_options,
    )
    assert read.jugdir == "elsewhere" and read.execute_nr_wait_cycles == 4
    assert read.execute_wait_cycle_time == default_options.execute_wait_cycle_time
    (tmp_path / ".jugrc").write_text("[main]\nverbose = info\n")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "jugrc").write_text("[main]\nverbose = debug\n")
    os.chdir(sub)
    found = jug.options.find_local_configuration_files()
    assert found[:2] == [str(sub / "jugrc"), str(tmp_path / ".jugrc")]  # closest first
    assert read_configuration_file(default_options=default_options).verbose == "debug"
    assert jug.options.key_to_option("keep-going") == "keep_going"
    assert jug.options.set_jugdir("dict_store") is jug.Task.store


def test_main_takes_the_program_name_and_exits(project):
    project.write(
        "jugfile.py",
        "from jug import TaskGenerator\n@TaskGenerator\ndef f(x):\n    return x\nf(1)\n",
    )
    code = """
import sys
import jug.jug
try:
    jug.jug.main(["jug", "execute", "--short"])
except SystemExit as exc:
    print("exit", exc.code)
sys.argv = ["jug-execute", "--short"]
try:
    jug.jug.main_execute()
except SystemExit as exc:
    print("exit", exc.code)
"""
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=project.path,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "Executed 1 tasks, loaded 0.",
        "exit 0",
        "Executed 0 tasks, loaded 1.",
        "exit 0",
    ]


def test_jug_execute_program(project, parse_summary):
    project.write(
        "jugfile.py",
        "import sys\nfrom jug import TaskGenerator\n@TaskGenerator\ndef f(x):\n    return x\n"
        "f(sys.argv[1])\n",
    )
    program = os.path.join(os.path.dirname(sys.executable), "jug-execute")
    done = subprocess.run(
        [program, "jugfile.py", "--keep-going", "--", "x"],
        cwd=project.path,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert parse_summary(done.stdout)["jugfile.f"] == [1, 0]
    assert project.jug("check", "--", "x").returncode == 0


def test_a_jugfile_changes_default_options(project):
    """``jug.options.default_options.execute_nr_wait_cycles = 1`` in a jugfile takes effect:
    the worker gives up on a task another holds after one short wait."""
    project.write(
        "jugfile.py",
        """
        import jug.options
        from jug import TaskGenerator

        jug.options.default_options.execute_nr_wait_cycles = 1
        jug.options.default_options.execute_wait_cycle_time = 0.3

        @TaskGenerator
        def held(x):
            return x

        held(1)
        """,
    )
    holder = project.python(
        """
        import json, jug
        store, ns = jug.init("jugfile.py")
        print(json.dumps(store.getlock(ns["held"](1).key()).get()))
        """
    )
    assert holder is True  # a live lease, held for 10 minutes (nobody refreshes it)
    start = time.monotonic()
    done = project.jug("execute", timeout=60)
    assert time.monotonic() - start < 30
    assert done.returncode == 1
    assert "gave up after waiting 0.3s for 1 task(s)" in done.stderr
    # The command line still wins over what the jugfile set.
    done = project.jug("execute", "--wait-cycle-time", "0.1", timeout=60)
    assert "gave up after waiting 0.1s" in done.stderr
