"""Real `jug execute` processes sharing a redis server: each task once, a SIGKILLed worker's
lease expiring on the server, and a server restarted (or lost) in the middle of a run."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jug.backends.redis_store import redis_store

pytestmark = pytest.mark.requires_redis

MANY = """
import os
import time
from jug import TaskGenerator

MARKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "marks")

def mark(name):
    # O_EXCL: a second execution of the same task in the same process would raise.
    os.close(os.open(os.path.join(MARKS, f"{name}-{os.getpid()}"), os.O_CREAT | os.O_EXCL))

@TaskGenerator
def work(i):
    mark(f"work{i}")
    time.sleep(float(os.environ.get("JUG_TEST_TASK_TIME", "0.002")))
    return i * i

@TaskGenerator
def total(xs):
    mark("total")
    return sum(xs)

N = int(os.environ.get("JUG_TEST_TASKS", "199"))
results = [work(i) for i in range(N)]
total(results)
"""


def jug(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "jug", *args],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def executions(project: Path) -> collections.Counter[str]:
    return collections.Counter(p.name.rsplit("-", 1)[0] for p in (project / "marks").iterdir())


@pytest.fixture
def project(tmp_path):
    (tmp_path / "jugfile.py").write_text(MANY)
    (tmp_path / "marks").mkdir()
    return tmp_path


def test_four_workers_run_each_task_exactly_once(redis_server, project):
    url = redis_server.url + "?prefix=many"
    workers = [
        jug(project, "execute", "jugfile.py", "--jugdir", url, "--wait-cycle-time", "0.2")
        for _ in range(4)
    ]
    outputs = [w.communicate(timeout=180) for w in workers]
    for w, (out, err) in zip(workers, outputs, strict=True):
        assert w.returncode == 0, out + err
    counts = executions(project)
    assert len(counts) == 200
    assert set(counts.values()) == {1}, [k for k, v in counts.items() if v > 1]
    store = redis_store(url)
    assert len(list(store.list())) == 200
    assert store.listlocks() == []
    check = jug(project, "check", "jugfile.py", "--jugdir", url)
    assert check.wait(60) == 0


SLOW = """
import os
import time
from jug import TaskGenerator

HERE = os.path.dirname(os.path.abspath(__file__))

@TaskGenerator
def slow(x):
    open(os.path.join(HERE, f"started-{os.getpid()}"), "w").close()
    while os.path.exists(os.path.join(HERE, "hold")):
        time.sleep(0.02)
    return x * 10

slow(1)
"""


def wait_for(predicate, timeout=60.0, what=""):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_killed_worker_lease_expires_and_another_runs_the_task(redis_server, tmp_path):
    (tmp_path / "jugfile.py").write_text(SLOW)
    (tmp_path / "hold").touch()
    url = redis_server.url + "?prefix=kill"
    first = jug(tmp_path, "execute", "jugfile.py", "--jugdir", url, "--lease", "2")
    wait_for(lambda: (tmp_path / f"started-{first.pid}").exists(), what="the task to start")
    store = redis_store(url)
    assert len(store.listlocks()) == 1
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    (tmp_path / "hold").unlink()
    # Nobody cleans up: the server drops the lock when the lease (2 s) runs out.
    second = jug(tmp_path, "execute", "jugfile.py", "--jugdir", url, "--wait-cycle-time", "0.2")
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, out + err
    assert (tmp_path / f"started-{second.pid}").exists()
    assert [store.load(k) for k in store.list()] == [10]
    assert store.listlocks() == []


def test_server_restart_mid_run_recovers(private_redis, project):
    server = private_redis("redis7", persistent=True)
    url = server.url + "?retry=60"
    env = {"JUG_TEST_TASKS": "60", "JUG_TEST_TASK_TIME": "0.05"}
    args = ("execute", "jugfile.py", "--jugdir", url, "--wait-cycle-time", "0.2")
    workers = [jug(project, *args, env=env) for _ in range(2)]
    wait_for(lambda: len(list((project / "marks").iterdir())) >= 10, what="some tasks done")
    server.kill()
    time.sleep(1.0)
    server.start()
    outputs = [w.communicate(timeout=180) for w in workers]
    for w, (out, err) in zip(workers, outputs, strict=True):
        assert w.returncode == 0, out + err
    assert "lost the connection" in "".join(err for _, err in outputs)
    assert len(executions(project)) == 61
    store = redis_store(url)
    keys = sorted(store.list())
    assert len(keys) == 61
    values = sorted(store.load(k) for k in keys)  # every result whole and decodable
    assert values == sorted([i * i for i in range(60)] + [sum(i * i for i in range(60))])
    assert store.listlocks() == []


def test_server_lost_for_good_fails_cleanly(private_redis, project):
    server = private_redis("redis7")
    url = server.url + "?retry=1"
    env = {"JUG_TEST_TASKS": "400", "JUG_TEST_TASK_TIME": "0.01"}
    worker = jug(project, "execute", "jugfile.py", "--jugdir", url, env=env)
    wait_for(lambda: len(list((project / "marks").iterdir())) >= 5, what="some tasks done")
    server.kill()
    out, err = worker.communicate(timeout=60)
    assert worker.returncode != 0
    last = err.strip().splitlines()[-1]
    assert "lost the connection to redis at 127.0.0.1" in last, err
    assert "within 1s" in last
    # The store failed, not a task: no task is reported as failed, no traceback.
    assert "Traceback" not in err and "failed:" not in err
