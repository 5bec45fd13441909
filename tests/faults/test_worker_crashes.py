"""Workers SIGKILLed at random while eight of them share a store: nothing is lost.

A controller starts 8 ``jug execute`` workers (2 s lease) over 1,000 short tasks, kills a
random one every ~0.5 s for a few seconds and starts a replacement each time. Nobody runs
``jug cleanup``: the locks of the dead expire and the others take their tasks over. At the
end every result is present and equal to a sequential run's, no lock is left, and the
number of repeated executions is at most the number of kills (a killed worker can have
started at most one task it did not finish).
"""

from __future__ import annotations

import random
import signal
import subprocess
import time

import pytest

from jug.backend_registry import open_store
from jug.testing import JugProject, count_executions, counting_jugfile

TASKS = 1000
WORKERS = 8
KILL_EVERY = 0.5
KILL_FOR = 6.0
WORKER_ARGS = ("--lease", "2", "--wait-cycle-time", "0.2", "--nr-wait-cycles", "100")

#: Prints ``{task hash: value}`` of every task of the jugfile, or fails if one is missing.
RESULTS = """
import json, sys
import jug
from jug.task import alltasks
jug.init("jugfile.py", sys.argv[1])
missing = [t.hash().decode() for t in alltasks if not t.can_load()]
assert not missing, f"{len(missing)} results missing: {missing[:5]}"
print(json.dumps({t.hash().decode(): t.value() for t in alltasks}))
"""


@pytest.fixture(scope="module")
def sequential_results(tmp_path_factory) -> dict[str, int]:
    """The results of one worker running the same jugfile alone, with nothing killed."""
    project = JugProject(tmp_path_factory.mktemp("sequential"))
    project.write("jugfile.py", counting_jugfile(tasks=TASKS, task_time=0.0))
    jugdir = f"dict_store:{project.path / 'results.pickle'}"
    done = project.jug("execute", "--jugdir", jugdir)
    assert done.returncode == 0, done.stderr
    results = project.python(RESULTS, jugdir)
    assert len(results) == TASKS + 1
    return results


def _kill_and_replace(project: JugProject, jugdir: str) -> tuple[int, list[str]]:
    """Run the workers under fire; return the number of kills and the survivors' stderr."""
    args = ("execute", "jugfile.py", "--jugdir", jugdir, *WORKER_ARGS)
    workers = [project.start(*args) for _ in range(WORKERS)]
    finished: list[subprocess.Popen[str]] = []
    rng = random.Random(6)
    kills = 0
    try:
        deadline = time.monotonic() + KILL_FOR
        while time.monotonic() < deadline:
            time.sleep(KILL_EVERY)
            finished += [w for w in workers if w.poll() is not None]
            alive = [w for w in workers if w.poll() is None]
            if not alive:
                break
            victim = rng.choice(alive)
            victim.send_signal(signal.SIGKILL)
            victim.communicate(timeout=30)
            kills += 1
            workers = [w for w in alive if w is not victim] + [project.start(*args)]
        outputs = []
        for w in finished + workers:
            out, err = w.communicate(timeout=240)
            assert w.returncode == 0, out + err
            outputs.append(err)
        return kills, outputs
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()


def _check_run(project: JugProject, jugdir: str, sequential: dict[str, int]) -> None:
    kills, errs = _kill_and_replace(project, jugdir)
    print(f"{kills} kills, {count_executions(project.path).total()} executions")
    assert kills >= 5, "the workers finished before the controller could kill them"
    for err in errs:
        assert "Traceback" not in err, err
    counts = count_executions(project.path)
    assert len(counts) == TASKS + 1  # every task ran ...
    repeats = counts.total() - len(counts)
    assert repeats <= kills, (kills, {k: v for k, v in counts.items() if v > 1})
    # ... and every result is there, equal to the sequential run's, without a cleanup.
    assert project.python(RESULTS, jugdir) == sequential
    store = open_store(jugdir)
    try:
        assert store.listlocks() == []
    finally:
        store.close()
    check = project.jug("check", "jugfile.py", "--jugdir", jugdir)
    assert check.returncode == 0, check.stdout + check.stderr


def _project(tmp_path) -> JugProject:
    project = JugProject(tmp_path)
    project.write("jugfile.py", counting_jugfile(tasks=TASKS, task_time=0.04))
    return project


@pytest.mark.slow
def test_file_store(tmp_path, sequential_results):
    project = _project(tmp_path)
    _check_run(project, str(tmp_path / "jugfile.jugdata"), sequential_results)


@pytest.mark.slow
@pytest.mark.requires_redis
@pytest.mark.parametrize("kind", ["redis7", "valkey"])
def test_redis(request, tmp_path, kind, sequential_results):
    server = request.getfixturevalue(f"{kind}_server")
    server.flush()
    project = _project(tmp_path)
    _check_run(project, f"{server.url}?prefix=crashes", sequential_results)
