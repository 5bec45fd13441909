"""``jug status`` exits as Jug 2.7 does: 0 when every task is finished, 1 otherwise."""

from __future__ import annotations

import pytest

JUGFILE = """
from jug import TaskGenerator

@TaskGenerator
def double(x):
    return 2 * x

@TaskGenerator
def total(xs):
    return sum(xs)

result = total([double(i) for i in range(4)])
"""

BARRIER = """
from jug import TaskGenerator, barrier, value

@TaskGenerator
def double(x):
    return 2 * x

first = double(1)
barrier()
second = double(value(first))
"""

FAILING = """
from jug import TaskGenerator

@TaskGenerator
def boom(x):
    raise ValueError(x)

@TaskGenerator
def fine(x):
    return x

fine(1)
boom(2)
"""


def test_status_exits_1_until_everything_is_finished(project):
    project.write("jugfile.py", JUGFILE)
    before = project.jug("status")
    assert before.returncode == 1, before.stderr
    assert project.jug("status", "--short").returncode == 1
    assert project.jug("execute").returncode == 0
    after = project.jug("status")
    assert after.returncode == 0, after.stderr
    assert project.jug("status", "--short").returncode == 0
    # --cache answers from the cache file: the exit code still says the same.
    assert project.jug("status", "--cache").returncode == 0
    assert project.jug("status", "--cache").returncode == 0


def test_status_exits_1_at_an_unmet_barrier_and_0_past_it(project):
    project.write("jugfile.py", BARRIER)
    assert project.jug("status").returncode == 1
    assert project.jug("execute").returncode == 0
    assert project.jug("status").returncode == 0


def test_status_exits_1_with_a_failed_task(project):
    project.write("jugfile.py", FAILING)
    run = project.jug("execute", "--keep-going", "--keep-failed")
    assert run.returncode == 1
    status = project.jug("status")
    assert status.returncode == 1
    assert project.jug("status", "--failed").returncode == 0  # a listing, not a verdict


def test_status_verify_exits_1_when_work_is_left(project):
    project.write("jugfile.py", JUGFILE)
    assert project.jug("status", "--verify").returncode == 1
    project.jug("execute")
    assert project.jug("status", "--verify").returncode == 0


@pytest.mark.parametrize("jugfile", [JUGFILE, BARRIER])
def test_exit_codes_agree_with_the_original(project, original, jugfile):
    project.write("jugfile.py", jugfile)
    theirs = original.jug("status", "jugfile.py", cwd=project.path)
    ours = project.jug("status")
    assert (ours.returncode, theirs.returncode) == (1, 1), theirs.stderr
    assert project.jug("execute").returncode == 0
    theirs = original.jug("status", "jugfile.py", cwd=project.path)
    ours = project.jug("status")
    assert (ours.returncode, theirs.returncode) == (0, 0), theirs.stderr
