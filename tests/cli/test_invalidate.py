"""``jug invalidate`` on the spec's British-parliament shape (fan-in, then fan-out), the
task-name matching rules it shares with ``execute --target``, and its edge cases."""

from __future__ import annotations

import pytest

from jug.backend_registry import open_store

N_MPS = 6

# The spec's example: per MP get_data -> count_words (C_i); all C_i -> add_counts (avgs);
# each C_i + avgs -> divergence. A second module defines a function of the same name as
# one of the jugfile's, for the matching rules.
MP_JUGFILE = f"""
from jug import TaskGenerator
from textutil import normalise

@TaskGenerator
def get_data(mp):
    return "word " * (mp + 1)

@TaskGenerator
def count_words(mp, article):
    return len(article.split())

@TaskGenerator
def add_counts(counts):
    return sum(counts) / len(counts)

@TaskGenerator
def divergence(count, avgs):
    return count - avgs

MPs = list(range({N_MPS}))
allcounts = []
for mp in MPs:
    article = get_data(mp)
    words = count_words(mp, article)
    allcounts.append(words)
avgs = add_counts(allcounts)
divs = [divergence(c, avgs) for c in allcounts]
normalised = [normalise(d) for d in divs]
"""

TEXTUTIL = """
from jug import TaskGenerator

@TaskGenerator
def normalise(x):
    return abs(x)
"""


@pytest.fixture
def mp_project(project):
    project.write("jugfile.py", MP_JUGFILE)
    project.write("textutil.py", TEXTUTIL)
    done = project.jug("execute")
    assert done.returncode == 0, done.stderr
    return project


def _table(stdout: str) -> dict[str, int]:
    rows = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit():
            rows[parts[1]] = int(parts[0])
    return rows


def test_invalidate_fan_in_then_fan_out(mp_project, parse_status):
    done = mp_project.jug("invalidate", "--target", "add_counts")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].split() == ["Invalidated", "Task", "name"]
    # add_counts, everything computed from it (divergence, then normalise), and nothing else.
    assert _table(done.stdout) == {
        "jugfile.add_counts": 1,
        "jugfile.divergence": N_MPS,
        "textutil.normalise": N_MPS,
        "Total": 1 + 2 * N_MPS,
    }
    status = parse_status(mp_project.jug("status").stdout)
    assert status["jugfile.add_counts"] == [0, 1, 0, 0, 0, 0]
    assert status["jugfile.divergence"] == [N_MPS, 0, 0, 0, 0, 0]
    assert status["jugfile.count_words"] == [0, 0, N_MPS, 0, 0, 0]
    assert status["jugfile.get_data"] == [0, 0, N_MPS, 0, 0, 0]
    # Only what was invalidated runs again.
    again = mp_project.jug("execute", "--short")
    assert again.returncode == 0
    assert again.stdout.strip() == f"Executed {1 + 2 * N_MPS} tasks, loaded {2 * N_MPS}."


def test_invalidate_the_start_of_the_chain_reaches_everything(mp_project):
    done = mp_project.jug("invalidate", "--invalid", "jugfile.get_data")
    assert done.returncode == 0, done.stderr
    assert _table(done.stdout)["Total"] == 4 * N_MPS + 1


@pytest.mark.parametrize(
    "pattern, expected",
    [
        # a bare function name: in any module
        ("normalise", {"textutil.normalise": N_MPS}),
        # a dotted name: exactly that task name
        ("textutil.normalise", {"textutil.normalise": N_MPS}),
        ("jugfile.normalise", None),
        ("util.normalise", None),
        # a /regex/, searched in the full name
        ("/^textutil\\./", {"textutil.normalise": N_MPS}),
        ("/div/", {"jugfile.divergence": N_MPS, "textutil.normalise": N_MPS}),
        # wildcards
        ("jugfile.div*", {"jugfile.divergence": N_MPS, "textutil.normalise": N_MPS}),
    ],
)
def test_matching_rules(mp_project, pattern, expected):
    done = mp_project.jug("invalidate", "--target", pattern)
    if expected is None:
        assert done.returncode == 1
        assert f"no task matches --target {pattern}" in done.stderr
        assert mp_project.jug("check").returncode == 0  # nothing was removed
        return
    assert done.returncode == 0, done.stderr
    rows = _table(done.stdout)
    rows.pop("Total")
    assert rows == expected


def test_several_targets_and_short(mp_project):
    done = mp_project.jug("invalidate", "--target", "normalise", "--target", "get_data", "--short")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Invalidated {4 * N_MPS + 1} results of 5 task names."


def test_nothing_to_invalidate_says_so(mp_project):
    mp_project.jug("invalidate", "--target", "normalise")
    done = mp_project.jug("invalidate", "--target", "normalise")
    assert done.returncode == 0
    assert "Nothing to invalidate" in done.stdout and "none of them has a result" in done.stdout


def test_usage_errors(mp_project):
    done = mp_project.jug("invalidate")
    assert done.returncode == 2
    assert "--target NAME" in done.stderr
    done = mp_project.jug("invalidate", "--target", "/count_(/")
    assert done.returncode == 2
    assert "not a valid regular expression" in done.stderr
    assert mp_project.jug("check").returncode == 0


def test_execute_target_uses_the_same_matcher(project, parse_summary):
    project.write("jugfile.py", MP_JUGFILE)
    project.write("textutil.py", TEXTUTIL)
    done = project.jug("execute", "--target", "/^jugfile\\.count_/")
    assert done.returncode == 0, done.stderr
    assert parse_summary(done.stdout) == {
        "jugfile.count_words": [N_MPS, 0],
        "jugfile.get_data": [N_MPS, 0],
        "Total": [2 * N_MPS, 0],
    }
    done = project.jug("execute", "--target", "jugfile.normalise")
    assert done.returncode == 1
    assert "no task matches --target jugfile.normalise" in done.stderr
    done = project.jug("execute", "--target", "/(/")
    assert done.returncode == 2
    assert "not a valid regular expression" in done.stderr


def test_invalidate_removes_failure_records(project):
    project.write(
        "jugfile.py",
        """
        import os
        from jug import TaskGenerator

        @TaskGenerator
        def fragile(x):
            if os.path.exists("broken"):
                raise ValueError("broken input")
            return x

        @TaskGenerator
        def total(xs):
            return sum(xs)

        total([fragile(i) for i in range(3)])
        """,
    )
    (project.path / "broken").touch()
    done = project.jug("execute", "--keep-failed", "--keep-going")
    assert done.returncode == 1
    store = open_store(str(project.path / "jugfile.jugdata"))
    assert sum(info.failed for info in store.lock_infos().values()) == 3
    (project.path / "broken").unlink()
    done = project.jug("invalidate", "--target", "fragile")
    assert done.returncode == 0, done.stderr
    assert "Nothing to invalidate" in done.stdout
    assert "Removed 3 failure record(s)" in done.stdout
    assert store.lock_infos() == {}
    assert project.jug("execute").returncode == 0


def test_invalidate_stops_at_an_unmet_barrier_and_says_so(project):
    project.write(
        "jugfile.py",
        """
        from jug import TaskGenerator, barrier

        @TaskGenerator
        def step(x):
            return x + 1

        a = step(0)
        barrier()
        b = step(a.value() * 10)
        """,
    )
    assert project.jug("execute").returncode == 0
    # Invalidating `a` makes the barrier unmet again: `b` cannot be seen, and we say so.
    done = project.jug("invalidate", "--target", "step")
    assert done.returncode == 0, done.stderr
    assert _table(done.stdout)["jugfile.step"] == 2  # both seen: the barrier was met
    done = project.jug("invalidate", "--target", "step")
    assert "Nothing to invalidate" in done.stdout
    assert "barrier()" in done.stderr and "could not be seen" in done.stderr
