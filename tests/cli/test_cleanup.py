"""``jug cleanup``: unused results, stale and failed locks, and what it must never remove
(results hidden behind an unmet barrier, live locks of running workers)."""

from __future__ import annotations

import time

import pytest

from jug.backend_registry import open_store
from jug.store import as_key

JUGFILE = """
import os
from jug import TaskGenerator

@TaskGenerator
def double(x):
    if x < 0:
        raise ValueError("negative input")
    return 2 * x

N = int(os.environ.get("N_TASKS", "4"))
values = [double(i) for i in range(N)]
"""


def _store(project):
    return open_store(str(project.path / "jugfile.jugdata"))


def _lock(store, key, lease):
    """Take a lock on *key* with *lease* seconds, as a worker would, and keep the object."""
    store.lease = lease
    lock = store.getlock(key)
    assert lock.get()
    return lock


def test_removes_results_no_task_uses(project, hashes):
    project.write("jugfile.py", JUGFILE)
    assert project.jug("execute", env={"N_TASKS": "6"}).returncode == 0
    store = _store(project)
    assert len(list(store.list())) == 6
    done = project.jug("cleanup")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Removed 2 unused results, 0 stale locks, 0 failure records."
    assert set(map(as_key, store.list())) == set(hashes(project)["jugfile.double"])
    assert project.jug("check").returncode == 0


def test_never_removes_results_hidden_behind_a_barrier(project):
    project.write(
        "jugfile.py",
        """
        import os
        from jug import TaskGenerator, barrier

        @TaskGenerator
        def step(x):
            return x + 1

        a = step(int(os.environ.get("START", "0")))
        barrier()
        b = step(a.value() * 10)
        """,
    )
    assert project.jug("execute").returncode == 0
    store = _store(project)
    before = set(map(as_key, store.list()))
    assert len(before) == 2
    # A different start: `a` has no result, loading stops at the barrier, and `b` (whose
    # result exists) cannot be told from an unused one. Nothing may be removed.
    done = project.jug("cleanup", env={"START": "5"})
    assert done.returncode == 1
    assert "barrier()" in done.stderr and "No result was removed" in done.stderr
    assert set(map(as_key, store.list())) == before
    # The locks part still works.
    assert "0 stale locks, 0 failure records" in done.stdout


def test_locks_only_removes_stale_and_failed_but_never_live(project, hashes):
    project.write("jugfile.py", JUGFILE)
    keys = hashes(project)["jugfile.double"]
    store = _store(project)
    stale = _lock(store, keys[0], lease=0.2)
    live = _lock(store, keys[1], lease=600)
    failed = _lock(store, keys[2], lease=600)
    assert failed.fail("Traceback...\nValueError: x")
    time.sleep(0.5)  # the first lease expires (nobody refreshes it)
    states = {k: i.state() for k, i in store.lock_infos().items()}
    assert states == {keys[0]: "stale", keys[1]: "running", keys[2]: "failed"}

    done = project.jug("cleanup", "--locks-only")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "Removed 1 stale lock, 1 failure record."
    assert "Kept 1 live lock of running workers (--force removes them):" in done.stdout
    assert f"jugfile.double ({keys[1][:12]}) on " in done.stdout
    assert set(map(as_key, store.listlocks())) == {keys[1]}
    # The holder still owns its lock: release works (it is owner-checked).
    assert live.refresh()
    del stale
    short = project.jug("cleanup", "--locks-only", "--short")
    assert short.stdout.splitlines() == [
        "Removed 0 stale locks, 0 failure records.",
        "Kept 1 live lock of running workers (--force removes them).",
    ]

    done = project.jug("cleanup", "--locks-only", "--force")
    assert done.returncode == 0
    assert "1 live lock" in done.stdout.splitlines()[0]
    assert store.listlocks() == []
    assert not live.refresh()


@pytest.mark.slow
def test_live_lock_of_a_running_worker_survives_cleanup(project, wait):
    project.write(
        "jugfile.py",
        """
        import os, time
        from jug import TaskGenerator

        @TaskGenerator
        def slow(x):
            open("started", "w").close()
            while not os.path.exists("go"):
                time.sleep(0.05)
            return x

        slow(1)
        """,
    )
    worker = project.start("execute", "--lease", "3")
    try:
        wait(lambda: (project.path / "started").exists(), what="the task to start")
        time.sleep(3.5)  # longer than the lease: only the worker's refreshes keep it live
        done = project.jug("cleanup")
        assert done.returncode == 0, done.stderr
        assert "Kept 1 live lock" in done.stdout
        assert len(_store(project).listlocks()) == 1
    finally:
        (project.path / "go").touch()
        out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    assert _store(project).listlocks() == []


def test_failed_only_and_keep_locks(project, hashes):
    project.write("jugfile.py", JUGFILE)
    project.write(
        "bad.py",
        """
        from jug import TaskGenerator
        from jugfile import double

        double(-1)
        """,
    )
    assert project.jug("execute").returncode == 0
    # bad.py's failing task, marked failed in the same store.
    done = project.jug("execute", "bad.py", "--jugdir", "jugfile.jugdata", "--keep-failed")
    assert done.returncode == 1
    store = _store(project)
    keys = hashes(project)["jugfile.double"]
    stale = _lock(store, keys[0], lease=0.2)
    time.sleep(0.5)
    assert sorted(i.state() for i in store.lock_infos().values()) == ["failed", "stale"]

    done = project.jug("cleanup", "--keep-locks")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Removed 0 unused results."
    assert len(store.listlocks()) == 2

    done = project.jug("cleanup", "--failed-only")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Removed 1 failure record."
    assert [i.state() for i in store.lock_infos().values()] == ["stale"]
    del stale

    done = project.jug("cleanup", "--keep-locks", "--locks-only")
    assert done.returncode == 2
    assert "cannot be combined" in done.stderr
