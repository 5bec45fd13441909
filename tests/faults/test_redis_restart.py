"""The redis server killed and restarted while workers save 8 MB results.

tests/backends/test_redis_workers.py covers a restart between small results and a server
lost for good; here the server dies while large results are on the wire, on Redis 7 and
Valkey, with its data kept (append-only file) or lost (no persistence). Workers retry and
finish, or stop with one clean line; every result in the store is whole and right, and a
rerun completes what a lost server forgot.
"""

from __future__ import annotations

import time

import pytest

from jug.backend_registry import open_store
from jug.testing import JugProject, wait_until

pytestmark = [pytest.mark.requires_redis, pytest.mark.requires_numpy, pytest.mark.slow]


def _executions(project: JugProject) -> int:
    return len(list((project.path / "marks").iterdir()))


def _run_through_a_restart(project: JugProject, server, url: str) -> list[tuple[int, str]]:
    (project.path / "marks").mkdir()
    args = ("execute", "--jugdir", url, "--wait-cycle-time", "0.2", "--lease", "5")
    workers = [project.start(*args) for _ in range(2)]
    wait_until(lambda: _executions(project) >= 6, 60, "some tasks done")
    server.kill()
    time.sleep(0.5)
    server.start()
    outcomes = []
    for w in workers:
        _, err = w.communicate(timeout=180)
        outcomes.append((w.returncode, err))
    return outcomes


@pytest.mark.parametrize("kind", ["redis7", "valkey"])
def test_restart_keeping_the_data(kind, tmp_path, private_redis, big_results):
    server = private_redis(kind, persistent=True)
    url = server.url + "?retry=60"
    project = JugProject(tmp_path)
    project.write("jugfile.py", big_results.jugfile)
    for code, err in _run_through_a_restart(project, server, url):
        assert code == 0, err
        assert "Traceback" not in err
    assert big_results.check(project, url) == big_results.tasks
    store = open_store(url)
    try:
        assert store.listlocks() == []
    finally:
        store.close()


def test_restart_losing_the_data(tmp_path, private_redis, big_results):
    server = private_redis("redis7")  # no persistence: the restarted server is empty
    url = server.url + "?retry=60"
    project = JugProject(tmp_path)
    project.write("jugfile.py", big_results.jugfile)
    for code, err in _run_through_a_restart(project, server, url):
        assert "Traceback" not in err, err
        if code != 0:
            last = err.strip().splitlines()[-1]
            assert last.startswith("jug: ") and len(err.strip().splitlines()) <= 3, err
    # What the server still has is whole and right; a rerun redoes what it forgot.
    assert big_results.check(project, url) <= big_results.tasks
    rerun = project.jug("execute", "--jugdir", url)
    assert rerun.returncode == 0, rerun.stderr
    assert big_results.check(project, url) == big_results.tasks
