"""Several `jug execute` processes at once: each task once, leases, SIGKILL and SIGTERM."""

from __future__ import annotations

import signal
import time

import pytest

from jug.backend_registry import open_store
from jug.testing import HOLDING_JUGFILE, count_executions, counting_jugfile


def test_four_workers_run_each_task_exactly_once(project, parse_summary, parse_status):
    project.write("jugfile.py", counting_jugfile())
    workers = [project.start("execute", "--wait-cycle-time", "0.2") for _ in range(4)]
    outputs = [w.communicate(timeout=120) for w in workers]
    for w, (_out, err) in zip(workers, outputs, strict=True):
        assert w.returncode == 0, err
    executions = count_executions(project.path)
    assert len(executions) == 200
    assert set(executions.values()) == {1}, [k for k, v in executions.items() if v > 1]
    executed = sum(parse_summary(out)["Total"][0] for out, _ in outputs)
    assert executed == 200
    assert parse_status(project.jug("status").stdout)["Total"] == [0, 0, 200, 0, 0, 0]


def _started(project, pid):
    return (project.path / f"started-{pid}").exists()


def test_killed_worker_lock_is_reclaimed_after_its_lease(project, wait, parse_status):
    project.write("jugfile.py", HOLDING_JUGFILE)
    (project.path / "hold").touch()
    first = project.start("execute", "--lease", "2")
    wait(lambda: _started(project, first.pid), what="the first worker to start the task")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert parse_status(project.jug("status").stdout)["jugfile.slow"] == [0, 0, 0, 1, 0, 0]
    # No heartbeat any more: once the lease has passed, status calls it stale...
    wait(
        lambda: parse_status(project.jug("status").stdout)["jugfile.slow"] == [0, 0, 0, 0, 0, 1],
        what="the lock to go stale",
    )
    (project.path / "hold").unlink()
    # ...and the next worker reclaims it without any `jug cleanup`.
    second = project.jug("execute", "--lease", "2", "--wait-cycle-time", "0.2", timeout=60)
    assert second.returncode == 0, second.stderr
    assert len(list(project.path.glob("started-*"))) == 2  # it ran the task again
    assert parse_status(project.jug("status").stdout)["jugfile.slow"] == [0, 0, 1, 0, 0, 0]


def test_running_task_keeps_its_lease_beyond_the_lease_length(project, wait, parse_status):
    project.write("jugfile.py", HOLDING_JUGFILE)
    (project.path / "hold").touch()
    first = project.start("execute", "--lease", "1")
    wait(lambda: _started(project, first.pid), what="the first worker to start the task")
    second = project.start("execute", "--lease", "1", "--wait-cycle-time", "0.1")
    # Several lease lengths pass while the task runs: the heartbeat keeps it running.
    time.sleep(3.5)
    assert parse_status(project.jug("status").stdout)["jugfile.slow"] == [0, 0, 0, 1, 0, 0]
    (project.path / "hold").unlink()
    assert first.wait(timeout=30) == 0
    out, err = second.communicate(timeout=30)
    assert second.returncode == 0, err
    assert not _started(project, second.pid)  # it never ran the task
    assert "lost the lock" not in err


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_releases_the_lock(project, wait, parse_status, sig, code):
    project.write("jugfile.py", HOLDING_JUGFILE)
    (project.path / "hold").touch()
    worker = project.start("execute")
    wait(lambda: _started(project, worker.pid), what="the worker to start the task")
    worker.send_signal(sig)
    _, err = worker.communicate(timeout=30)
    assert worker.returncode == code, err
    assert open_store(str(project.path / "jugfile.jugdata")).listlocks() == []
    assert parse_status(project.jug("status").stdout)["jugfile.slow"] == [0, 1, 0, 0, 0, 0]
    assert "Traceback" not in err
