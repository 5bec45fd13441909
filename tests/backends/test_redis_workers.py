"""Real `jug execute` processes sharing a redis server: each task once, a SIGKILLed worker's
lease expiring on the server, and a server restarted (or lost) in the middle of a run."""

from __future__ import annotations

import signal
import time

import pytest

from jug.backends.redis_store import redis_store
from jug.store import as_key
from jug.testing import (
    HOLDING_JUGFILE,
    JugProject,
    count_executions,
    counting_jugfile,
    wait_until,
)

pytestmark = pytest.mark.requires_redis


@pytest.fixture
def project(project):
    """The shared scratch project (tests/conftest.py), with a counting jugfile."""
    project.write("jugfile.py", counting_jugfile())
    return project


def test_four_workers_run_each_task_exactly_once(redis_server, project):
    url = redis_server.url + "?prefix=many"
    workers = [
        project.start("execute", "jugfile.py", "--jugdir", url, "--wait-cycle-time", "0.2")
        for _ in range(4)
    ]
    outputs = [w.communicate(timeout=180) for w in workers]
    for w, (out, err) in zip(workers, outputs, strict=True):
        assert w.returncode == 0, out + err
    counts = count_executions(project.path)
    assert len(counts) == 200
    assert set(counts.values()) == {1}, [k for k, v in counts.items() if v > 1]
    store = redis_store(url)
    assert len(list(store.list())) == 200
    assert store.listlocks() == []
    check = project.start("check", "jugfile.py", "--jugdir", url)
    assert check.wait(60) == 0


def test_killed_worker_lease_expires_and_another_runs_the_task(redis_server, tmp_path):
    project = JugProject(tmp_path)
    project.write("jugfile.py", HOLDING_JUGFILE)
    (tmp_path / "hold").touch()
    url = redis_server.url + "?prefix=kill"
    first = project.start("execute", "jugfile.py", "--jugdir", url, "--lease", "2")
    wait_until(lambda: (tmp_path / f"started-{first.pid}").exists(), 60, "the task to start")
    store = redis_store(url)
    assert len(store.listlocks()) == 1
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    (tmp_path / "hold").unlink()
    # Nobody cleans up: the server drops the lock when the lease (2 s) runs out.
    second = project.start("execute", "jugfile.py", "--jugdir", url, "--wait-cycle-time", "0.2")
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, out + err
    assert (tmp_path / f"started-{second.pid}").exists()
    assert [store.load(k) for k in store.list()] == [10]
    assert store.listlocks() == []


def test_server_restart_mid_run_recovers(private_redis, project):
    server = private_redis("redis7", persistent=True)
    url = server.url + "?retry=60"
    project.write("jugfile.py", counting_jugfile(tasks=60, task_time=0.05))
    args = ("execute", "jugfile.py", "--jugdir", url, "--wait-cycle-time", "0.2")
    workers = [project.start(*args) for _ in range(2)]
    wait_until(lambda: count_executions(project.path).total() >= 10, 60, "some tasks done")
    server.kill()
    time.sleep(1.0)
    server.start()
    outputs = [w.communicate(timeout=180) for w in workers]
    for w, (out, err) in zip(workers, outputs, strict=True):
        assert w.returncode == 0, out + err
    assert "lost the connection" in "".join(err for _, err in outputs)
    assert len(count_executions(project.path)) == 61
    store = redis_store(url)
    keys = sorted(map(as_key, store.list()))
    assert len(keys) == 61
    values = sorted(store.load(k) for k in keys)  # every result whole and decodable
    assert values == sorted([i * i for i in range(60)] + [sum(i * i for i in range(60))])
    assert store.listlocks() == []


def test_server_lost_for_good_fails_cleanly(private_redis, project):
    server = private_redis("redis7")
    url = server.url + "?retry=1"
    project.write("jugfile.py", counting_jugfile(tasks=400, task_time=0.01))
    worker = project.start("execute", "jugfile.py", "--jugdir", url)
    wait_until(lambda: count_executions(project.path).total() >= 5, 60, "some tasks done")
    server.kill()
    out, err = worker.communicate(timeout=60)
    assert worker.returncode != 0
    last = err.strip().splitlines()[-1]
    assert "lost the connection to redis at 127.0.0.1" in last, err
    assert "within 1s" in last
    # The store failed, not a task: no task is reported as failed, no traceback.
    assert "Traceback" not in err and "failed:" not in err
