"""`jug execute`, `status`, `check` and `sleep-until` end to end on the file store."""

from __future__ import annotations

import time

import pytest

from jug.backend_registry import open_store

PIPELINE = """
from jug import TaskGenerator

@TaskGenerator
def double(x):
    return 2 * x

@TaskGenerator
def add(a, b):
    return a + b

@TaskGenerator
def total(xs):
    with open("total.txt", "w") as out:
        out.write(str(sum(xs)))
    return sum(xs)

doubled = [double(i) for i in range(5)]
pairs = [add(doubled[i], doubled[i + 1]) for i in range(4)]
total(pairs)
"""


def test_execute_then_status(project, parse_status, parse_summary):
    project.write("jugfile.py", PIPELINE)
    before = project.jug("status")
    assert before.returncode == 1  # work is left
    assert parse_status(before.stdout) == {
        "jugfile.add": [4, 0, 0, 0, 0, 0],
        "jugfile.double": [0, 5, 0, 0, 0, 0],
        "jugfile.total": [1, 0, 0, 0, 0, 0],
        "Total": [5, 5, 0, 0, 0, 0],
    }
    assert project.jug("status", "--short").stdout.strip() == (
        "10 tasks to be run, 0 finished, (none running)."
    )
    assert project.jug("check").returncode == 1

    done = project.jug("execute")
    assert done.returncode == 0, done.stderr
    assert parse_summary(done.stdout) == {
        "jugfile.add": [4, 0],
        "jugfile.double": [5, 0],
        "jugfile.total": [1, 0],
        "Total": [10, 0],
    }
    # 0+2+4+6+8 doubled pairwise: (0+2)+(2+4)+(4+6)+(6+8)
    assert (project.path / "total.txt").read_text() == "32"

    after = project.jug("status")
    assert after.returncode == 0  # every task is finished
    assert parse_status(after.stdout)["Total"] == [0, 0, 10, 0, 0, 0]
    assert project.jug("status", "--short").stdout.strip() == "All tasks complete (10 tasks)."
    assert project.jug("check").returncode == 0

    again = project.jug("execute")
    assert again.returncode == 0
    assert parse_summary(again.stdout)["Total"] == [0, 10]


def test_execute_short_summary(project):
    project.write("jugfile.py", PIPELINE)
    done = project.jug("execute", "--short")
    assert done.stdout.strip() == "Executed 10 tasks, loaded 0."


def test_target_runs_matching_tasks_and_their_dependencies(project, parse_status, parse_summary):
    project.write("jugfile.py", PIPELINE)
    done = project.jug("execute", "--target", "add")
    assert done.returncode == 0, done.stderr
    assert parse_summary(done.stdout) == {
        "jugfile.add": [4, 0],
        "jugfile.double": [5, 0],
        "Total": [9, 0],
    }
    rows = parse_status(project.jug("status").stdout)
    assert rows["jugfile.total"] == [0, 1, 0, 0, 0, 0]
    assert not (project.path / "total.txt").exists()
    # Full names and wildcards work too; already-done dependencies are loaded.
    done = project.jug("execute", "--target", "jugfile.tot*")
    assert parse_summary(done.stdout) == {
        "jugfile.add": [0, 4],
        "jugfile.double": [0, 5],
        "jugfile.total": [1, 0],
        "Total": [1, 9],
    }


FAILING = """
from jug import TaskGenerator

@TaskGenerator
def fragile(x):
    if x == 2:
        raise ValueError(f"cannot handle {x}")
    return x

@TaskGenerator
def gather(xs):
    return xs

parts = [fragile(i) for i in range(4)]
gather(parts)
"""


def test_failure_stops_and_releases_the_lock(project, parse_status):
    project.write("jugfile.py", FAILING)
    done = project.jug("execute")
    assert done.returncode == 1
    assert "task jugfile.fragile" in done.stderr and "ValueError: cannot handle 2" in done.stderr
    assert "--keep-going" in done.stderr
    rows = parse_status(project.jug("status").stdout)
    # Stopped at the failure (tasks 0 and 1 ran, 3 did not); nothing marked failed.
    assert rows["jugfile.fragile"] == [0, 2, 2, 0, 0, 0]
    assert open_store(str(project.path / "jugfile.jugdata")).listlocks() == []


def test_keep_going_and_keep_failed(project, parse_status, parse_summary, hashes):
    project.write("jugfile.py", FAILING)
    done = project.jug("execute", "--keep-going", "--keep-failed")
    assert done.returncode == 1
    # The traceback is printed even though execution went on.
    assert "ValueError: cannot handle 2" in done.stderr
    assert parse_summary(done.stdout)["jugfile.fragile"] == [3, 0, 1]
    assert "1 task(s) depend on failed tasks" in done.stderr

    rows = parse_status(project.jug("status").stdout)
    assert rows["jugfile.fragile"] == [0, 0, 3, 0, 1, 0]
    assert rows["jugfile.gather"] == [1, 0, 0, 0, 0, 0]
    assert "1 failed" in project.jug("status", "--short").stdout

    # The failure record holds the traceback, host and time.
    failed_hash = hashes(project)["jugfile.fragile"][2]
    info = open_store(str(project.path / "jugfile.jugdata")).lock_infos()[failed_hash]
    assert info.failed and info.failed_at > 0 and info.host
    assert "ValueError: cannot handle 2" in info.error
    assert 'jugfile.py", line 7, in fragile' in info.error

    # Another worker does not retry a task marked as failed, and says why it stops.
    again = project.jug("execute", "--keep-going", "--wait-cycle-time", "0.1")
    assert again.returncode == 1
    assert "marked as failed" in again.stderr
    assert parse_summary(again.stdout)["Total"][0] == 0


BARRIER = """
from jug import TaskGenerator, barrier, bvalue

@TaskGenerator
def square(x):
    return x * x

@TaskGenerator
def plus(a, b):
    return a + b

squares = [square(i) for i in range(4)]
barrier()
big = [s for s in map(lambda t: t.value(), squares) if s > 1]
sums = [plus(b, 1) for b in big]
n = bvalue(plus(len(sums), 0))
final = [square(n + i + 10) for i in range(n)]
"""


def test_barrier_and_bvalue_complete_in_one_execute(project, parse_status, parse_summary):
    project.write("jugfile.py", BARRIER)
    before = project.jug("status")
    assert parse_status(before.stdout)["Total"] == [0, 4, 0, 0, 0, 0]
    assert "stops at a barrier()" in before.stdout
    assert project.jug("check").returncode == 1

    done = project.jug("execute")
    assert done.returncode == 0, done.stderr
    summary = parse_summary(done.stdout)
    # 4 squares, 2 plus(b, 1), plus(2, 0), then 2 final squares.
    assert summary["jugfile.square"] == [6, 0]
    assert summary["jugfile.plus"] == [3, 0]

    after = project.jug("status")
    assert "barrier" not in after.stdout
    assert parse_status(after.stdout)["Total"] == [0, 0, 9, 0, 0, 0]
    assert project.jug("check").returncode == 0
    assert project.jug("sleep-until").returncode == 0


COMPOUND = """
from jug import TaskGenerator, CompoundTaskGenerator

@TaskGenerator
def double(x):
    return 2 * x

@TaskGenerator
def add_all(xs):
    return sum(xs)

@CompoundTaskGenerator
def pipeline(n):
    return add_all([double(i) for i in range(n)])

result = pipeline(5)
"""


def test_compound_task_status_before_and_after(project, parse_status):
    project.write("jugfile.py", COMPOUND)
    before = parse_status(project.jug("status").stdout)
    assert before["jugfile.double"] == [0, 5, 0, 0, 0, 0]
    # The compound's final step carries the compound's name.
    assert before["jugfile.pipeline"] == [1, 0, 0, 0, 0, 0]
    assert project.jug("execute").returncode == 0
    after = parse_status(project.jug("status").stdout)
    # Once computed, the compound collapses to one task: the inner ones are not rebuilt.
    assert after == {"jugfile.pipeline": [0, 0, 1, 0, 0, 0], "Total": [0, 0, 1, 0, 0, 0]}


def test_aggressive_unload_gives_the_same_results(project):
    project.write("jugfile.py", PIPELINE)
    done = project.jug("execute", "--aggressive-unload")
    assert done.returncode == 0, done.stderr
    assert (project.path / "total.txt").read_text() == "32"


def test_gives_up_on_tasks_locked_elsewhere_with_nonzero_exit(
    project, hashes, parse_summary, parse_status
):
    project.write("jugfile.py", PIPELINE)
    store = open_store(str(project.path / "jugfile.jugdata"))
    store.lease = 600
    held = hashes(project)["jugfile.double"][0]
    lock = store.getlock(held)
    assert lock.get()
    try:
        status = parse_status(project.jug("status").stdout)
        assert status["jugfile.double"] == [0, 4, 0, 1, 0, 0]  # one running
        done = project.jug("execute", "--wait-cycle-time", "0.1", "--nr-wait-cycles", "3")
        assert done.returncode == 1
        assert "gave up after waiting" in done.stderr and "locked by other workers" in done.stderr
        # It did the work it could: the other four doubles and the add that needs none
        # of the held one.
        summary = parse_summary(done.stdout)
        assert summary["jugfile.double"] == [4, 0]
        assert summary["jugfile.add"] == [3, 0]
    finally:
        lock.release()


def test_sleep_until_waits_for_workers_past_a_barrier(project):
    project.write(
        "jugfile.py",
        BARRIER.replace("return x * x", "import time; time.sleep(0.05); return x * x"),
    )
    sleeper = project.start("sleep-until", "--poll-interval", "0.1")
    worker = project.start("execute")
    assert worker.wait(timeout=60) == 0, worker.stderr.read() if worker.stderr else ""
    assert sleeper.wait(timeout=60) == 0
    assert project.jug("check").returncode == 0


def test_sleep_until_fails_on_failed_tasks(project):
    project.write("jugfile.py", FAILING)
    project.jug("execute", "--keep-going", "--keep-failed")
    done = project.jug("sleep-until", "--poll-interval", "0.1", timeout=30)
    assert done.returncode == 1
    assert "marked as failed (jugfile.fragile)" in done.stderr


@pytest.mark.parametrize("jugdir", ["dict_store", "other.store"])
def test_jugdir_option(project, parse_summary, jugdir):
    project.write("jugfile.py", PIPELINE)
    done = project.jug("execute", "--jugdir", jugdir)
    assert done.returncode == 0, done.stderr
    assert parse_summary(done.stdout)["Total"] == [10, 0]
    assert not (project.path / "jugfile.jugdata").exists()
    assert (project.path / "other.store").exists() == (jugdir == "other.store")


def test_pdb_opens_the_debugger_in_the_failing_task(project):
    project.write(
        "jugfile.py",
        """
        from jug import TaskGenerator

        @TaskGenerator
        def f(x):
            secret = x * 7
            raise ValueError(x)

        f(6)
        """,
    )
    done = project.jug("execute", "--pdb", input="p secret\nq\n")
    assert done.returncode == 1
    assert "(Pdb) 42" in done.stdout
    assert "ValueError: 6" in done.stderr


def test_debug_mode_catches_tasks_that_modify_their_arguments(project):
    project.write(
        "jugfile.py",
        """
        from jug import TaskGenerator

        @TaskGenerator
        def make():
            return [1, 2]

        @TaskGenerator
        def sneaky(xs):
            xs.append(3)
            return len(xs)

        sneaky(make())
        """,
    )
    assert project.jug("execute").returncode == 0
    project.write("jugfile.py", (project.path / "jugfile.py").read_text() + "sneaky([0])\n")
    done = project.jug("execute", "--debug")
    assert done.returncode == 1
    assert "modified its arguments" in done.stderr


def test_verbose_logs_each_task(project):
    project.write("jugfile.py", PIPELINE)
    done = project.jug("execute", "--verbose")
    assert done.returncode == 0
    assert done.stderr.count("jug: executing jugfile.double") == 5
    quiet = project.jug("execute", "--verbose", "quiet")
    assert quiet.stderr == ""


def test_target_matching_nothing_is_an_error(project):
    project.write("jugfile.py", PIPELINE)
    done = project.jug("execute", "--target", "nosuchtask")
    assert done.returncode == 1
    assert "no task matches --target nosuchtask" in done.stderr


def test_target_stops_at_a_barrier_it_cannot_pass(project, parse_summary, parse_status):
    project.write("jugfile.py", BARRIER)
    # `plus` comes after the barrier, which only the (untargeted) squares pass: nothing
    # runs, and the run says why, at once (not after waiting), without an error.
    started = time.monotonic()
    done = project.jug("execute", "--target", "plus")
    assert time.monotonic() - started < 60
    assert done.returncode == 0, done.stderr
    assert parse_summary(done.stdout) == {"Total": [0, 0]}
    assert done.stderr.strip() == (
        "jug: the jugfile stops at a barrier() before which 4 task(s) that --target does "
        "not select have not run: jugfile.square (4); run them (jug execute without "
        "--target) to go past it"
    )
    # The squares are targeted: they run, the barrier passes, then the bvalue() needs a
    # `plus` task: the run stops there.
    done = project.jug("execute", "--target", "square")
    assert done.returncode == 0, done.stderr
    assert parse_summary(done.stdout)["jugfile.square"] == [4, 0]
    assert "3 task(s) that --target does not select have not run: jugfile.plus (3)" in (done.stderr)
    # Now `plus` passes the bvalue; the squares after it are not targeted.
    done = project.jug("execute", "--target", "plus")
    assert done.returncode == 0, done.stderr
    assert parse_summary(done.stdout)["jugfile.plus"] == [3, 0]
    assert parse_status(project.jug("status").stdout)["jugfile.square"] == [0, 2, 4, 0, 0, 0]
    done = project.jug("execute", "--target", "nosuchtask")
    assert done.returncode == 1 and "no task matches --target nosuchtask" in done.stderr
