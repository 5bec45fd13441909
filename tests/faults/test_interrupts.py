"""A worker stopped in the middle of a task or of saving it: by SIGTERM at a random moment,
or by an exit check (the stop file, ``JUG_MAX_TASKS``) that comes while a task runs.

Whatever the moment, the lock is released, no result is half written (no temporary file is
left, every result in the store loads and is right), and a later run finishes the rest.
"""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest

from jug import Task, TaskGenerator
from jug.backend_registry import open_store
from jug.execution import Executor
from jug.execution.interrupts import Terminated, sigterm_raises
from jug.store import as_key
from jug.testing import (
    JugProject,
    MemoryStore,
    count_executions,
    counting_jugfile,
    memory_store,
    wait_until,
)

pytestmark = pytest.mark.requires_numpy

#: How many workers are stopped by SIGTERM (at most) before one is let finish.
STOPS = 6
JUGDIRS = ["file", pytest.param("redis7", marks=pytest.mark.requires_redis)]


def _jugdir(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "file":
        return str(tmp_path / "jugfile.jugdata")
    server = request.getfixturevalue("redis7_server")
    server.flush()
    return server.url + "?prefix=interrupts"


def _leftovers(jugdir: str) -> list[str]:
    """Temporary files of the file store (none must be left by a stopped worker)."""
    if not os.path.isdir(jugdir):
        return []
    return [name for _, _, names in os.walk(jugdir) for name in names if name.endswith(".tmp")]


def _locks(jugdir: str) -> list[str]:
    store = open_store(jugdir)
    try:
        return [as_key(k) for k in store.listlocks()]
    finally:
        store.close()


@pytest.mark.slow
@pytest.mark.parametrize("kind", JUGDIRS)
def test_sigterm_at_random_moments(kind, tmp_path, request, big_results):
    project = JugProject(tmp_path)
    project.write("jugfile.py", big_results.jugfile)
    jugdir = _jugdir(kind, tmp_path, request)
    rng = random.Random(6)
    terminated = 0
    marks = tmp_path / "marks"
    marks.mkdir()
    for _round in range(30):
        worker = project.start("execute", "--jugdir", jugdir)
        before = len(list(marks.iterdir()))
        # Wait until the worker runs tasks, then stop it somewhere in the middle of one.
        wait_until(
            lambda b=before, w=worker: w.poll() is not None or len(list(marks.iterdir())) > b,
            60,
            "a task to start",
            interval=0.005,
        )
        if terminated < STOPS:  # then one last worker finishes the rest
            time.sleep(rng.uniform(0.0, 0.1))
            worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=60)
        assert "Traceback" not in err, err
        assert _locks(jugdir) == [], (
            f"the stopped worker kept its lock ({worker.returncode}): {err}"
        )
        assert _leftovers(jugdir) == []
        loaded = big_results.check(project, jugdir)  # whole and right, or absent
        if loaded == big_results.tasks:
            # Finished; a SIGTERM after the run (while printing the summary) kills the
            # worker the ordinary way.
            assert worker.returncode in (0, -signal.SIGTERM), err
            break
        assert worker.returncode == 128 + signal.SIGTERM, err
        assert "terminated by SIGTERM" in err
        terminated += 1
    else:
        pytest.fail(f"30 workers did not finish {big_results.tasks} tasks")
    print(f"{terminated} workers stopped, {len(list(marks.iterdir()))} executions")
    assert terminated >= 2, "the workers finished before being stopped"


STOPPABLE = """\
import os
import time
from jug import TaskGenerator

HERE = os.path.dirname(os.path.abspath(__file__))

@TaskGenerator
def slow(x):
    open(os.path.join(HERE, f"started-{x}"), "w").close()
    while os.path.exists(os.path.join(HERE, "hold")):
        time.sleep(0.02)
    return list(range(x * 1000))

[slow(x) for x in range(1, 4)]
"""


@pytest.mark.parametrize("kind", JUGDIRS)
@pytest.mark.parametrize("how", ["stop file", "JUG_MAX_TASKS"])
def test_exit_check_during_a_task_finishes_it_first(kind, how, tmp_path, request):
    """An exit check never cuts a task short: the running task is finished and saved whole,
    its lock released, and no other task is started."""
    project = JugProject(tmp_path)
    project.write("jugfile.py", STOPPABLE)
    jugdir = _jugdir(kind, tmp_path, request)
    (tmp_path / "hold").touch()
    env = {"JUG_MAX_TASKS": "1"} if how == "JUG_MAX_TASKS" else {}
    worker = project.start("execute", "--jugdir", jugdir, env=env)
    wait_until(lambda: list(tmp_path.glob("started-*")), 60, "the first task to start")
    if how == "stop file":
        (tmp_path / "__jug_please_stop_running.txt").touch()
    (tmp_path / "hold").unlink()
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    assert len(list(tmp_path.glob("started-*"))) == 1
    assert _locks(jugdir) == []
    assert _leftovers(jugdir) == []
    store = open_store(jugdir)
    try:
        (key,) = list(store.list())
        started = int(next(tmp_path.glob("started-*")).name.split("-")[1])
        assert store.load(key) == list(range(started * 1000))
    finally:
        store.close()
    if how == "stop file":
        (tmp_path / "__jug_please_stop_running.txt").unlink()
    rest = project.jug("execute", "--jugdir", jugdir)
    assert rest.returncode == 0, rest.stderr
    assert len(list(tmp_path.glob("started-*"))) == 3


def test_counting_run_after_sigterm_repeats_only_the_stopped_task(tmp_path):
    """SIGTERM between tasks and during them: the next worker re-runs at most the one task
    the stopped worker was in the middle of."""
    project = JugProject(tmp_path)
    project.write("jugfile.py", counting_jugfile(tasks=100, task_time=0.02))
    worker = project.start("execute")
    wait_until(lambda: count_executions(tmp_path).total() >= 20, 60, "some tasks done")
    worker.send_signal(signal.SIGTERM)
    _, err = worker.communicate(timeout=60)
    assert worker.returncode == 128 + signal.SIGTERM, err
    assert _locks(str(tmp_path / "jugfile.jugdata")) == []
    rest = project.jug("execute")
    assert rest.returncode == 0, rest.stderr
    counts = count_executions(tmp_path)
    assert len(counts) == 101
    assert counts.total() - len(counts) <= 1


class _GrantThenSigterm(MemoryStore):
    """A store whose locks are granted and then, before get() returns, SIGTERM arrives:
    the worst moment (the store holds the lock for a worker that does not know it yet)."""

    def getlock(self, key):
        lock = super().getlock(key)
        grant = lock.get

        def get():
            taken = grant()
            os.kill(os.getpid(), signal.SIGTERM)
            return taken

        lock.get = get  # type: ignore[method-assign]
        return lock


@TaskGenerator
def _double(x):
    return 2 * x


def test_sigterm_just_as_the_lock_is_granted():
    with memory_store():
        store = _GrantThenSigterm()
        Task.store = store
        tasks = [_double(i) for i in range(3)]
        with pytest.raises(Terminated), sigterm_raises():
            Executor(store).run(tasks)
        assert store.locks == {}  # released, although Task.lock() never returned
        assert store.results == {}
