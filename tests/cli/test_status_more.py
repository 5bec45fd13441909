"""``jug status --cache/--cache-file/--clear``, ``--failed``, and tables that fit the terminal."""

from __future__ import annotations

import json
import re

LOUD = """
from jug import TaskGenerator, barrier
print("LOADING JUGFILE")

@TaskGenerator
def double(x):
    return 2 * x

@TaskGenerator
def add(a, b):
    return a + b

values = [double(i) for i in range(4)]
total = add(values[0], values[1])
"""


def test_cache_skips_loading_the_jugfile(project, parse_status):
    project.write("jugfile.py", LOUD)
    first = project.jug("status", "--cache")
    assert first.returncode == 1, first.stderr  # nothing has run yet
    assert "LOADING JUGFILE" in first.stdout
    assert (project.path / ".jugstatus.json").is_file()
    assert project.jug("execute", "--target", "double").returncode == 0

    second = project.jug("status", "--cache")
    assert second.returncode == 1, second.stderr  # jugfile.add has not run
    assert "LOADING JUGFILE" not in second.stdout  # the graph came from the cache
    rows = parse_status(second.stdout)
    assert rows["jugfile.double"] == [0, 0, 4, 0, 0, 0]
    assert rows["jugfile.add"] == [0, 1, 0, 0, 0, 0]  # the store is asked every time
    short = project.jug("status", "--cache", "--short")
    assert short.stdout.strip() == "1 tasks to be run, 4 finished, (none running)."


def test_cache_is_rebuilt_when_the_jugfile_changes(project, parse_status):
    project.write("jugfile.py", LOUD)
    project.jug("status", "--cache")
    project.write("jugfile.py", LOUD.replace("range(4)", "range(7)"))
    done = project.jug("status", "--cache")
    assert "LOADING JUGFILE" in done.stdout
    assert parse_status(done.stdout)["jugfile.double"] == [0, 7, 0, 0, 0, 0]
    # ... and other arguments for the jugfile make another cache key too.
    done = project.jug("status", "--cache", "--", "other")
    assert "LOADING JUGFILE" in done.stdout


def test_cache_file_and_clear(project):
    project.write("jugfile.py", LOUD)
    done = project.jug("status", "--cache", "--cache-file", "mycache.json")
    assert done.returncode == 1  # nothing has run yet
    cache = project.path / "mycache.json"
    assert json.loads(cache.read_text())["format"].startswith("jug-status-cache")
    assert not (project.path / ".jugstatus.json").exists()

    done = project.jug("status", "--clear", "--cache-file", "mycache.json")
    assert done.returncode == 0
    assert done.stdout.strip() == "Removed the status cache mycache.json."
    assert not cache.exists()
    done = project.jug("status", "--cache", "--clear", "--cache-file", "mycache.json")
    assert done.returncode == 0
    assert "No status cache to remove" in done.stdout


def test_cache_from_configuration_file(project):
    project.write("jugfile.py", LOUD)
    project.write(".jugrc", "[status]\ncache = on\ncache-file = from-config.json\n")
    project.jug("status")
    assert (project.path / "from-config.json").is_file()
    assert "LOADING JUGFILE" not in project.jug("status").stdout


def test_cache_reads_past_a_barrier_once_it_is_met(project, parse_status):
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
        c = step(b)
        """,
    )
    done = project.jug("status", "--cache")
    assert parse_status(done.stdout)["jugfile.step"] == [0, 1, 0, 0, 0, 0]
    assert "barrier()" in done.stdout
    assert project.jug("execute", "--target", "step", "--nr-wait-cycles", "0").returncode in (0, 1)
    done = project.jug("status", "--cache")
    assert parse_status(done.stdout)["jugfile.step"][2] >= 1
    assert project.jug("execute").returncode == 0
    done = project.jug("status", "--cache")
    assert parse_status(done.stdout)["jugfile.step"] == [0, 0, 3, 0, 0, 0]
    assert "barrier()" not in done.stdout


FAILING = """
from jug import TaskGenerator

def helper(x):
    raise ValueError(f"cannot handle {x}")

@TaskGenerator
def risky(x):
    if x % 2:
        return helper(x)
    return x

results = [risky(i) for i in range(4)]
"""


def test_failed_lists_each_failed_task_with_host_time_and_traceback(project):
    import socket

    project.write("jugfile.py", FAILING)
    done = project.jug("status", "--failed")
    assert done.returncode == 0
    assert "No task is marked as failed" in done.stdout and "--keep-failed" in done.stdout

    assert project.jug("execute", "--keep-failed", "--keep-going").returncode == 1
    done = project.jug("status", "--failed")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("2 failed task(s):")
    assert out.count("jugfile.risky (") == 2
    assert out.count(f"failed on {socket.gethostname()}") == 2
    assert "ValueError: cannot handle 1" in out and "ValueError: cannot handle 3" in out
    # The last lines of the traceback: the user's code, where it raised.
    assert out.count(", in helper") == 2
    assert out.count('raise ValueError(f"cannot handle {x}")') == 2
    # The counts table agrees.
    assert "2 failed" in project.jug("status", "--short").stdout

    short = project.jug("status", "--failed", "--short")
    lines = short.stdout.strip().splitlines()
    assert lines[0] == "2 failed task(s):"
    assert len(lines) == 3
    ends = ("ValueError: cannot handle 1", "ValueError: cannot handle 3")
    assert all(line.endswith(ends) for line in lines[1:])


def test_table_fits_the_terminal_width(project):
    project.write("jugfile.py", LOUD)
    wide = project.jug("status", env={"COLUMNS": "200"}).stdout.splitlines()[1:]
    narrow = project.jug("status", env={"COLUMNS": "70"}).stdout.splitlines()[1:]
    assert wide[0].split() == narrow[0].split()  # the same table
    assert wide[0].startswith(" " * 5 + "Waiting")  # 12-character columns when there is room
    assert max(len(line) for line in narrow) <= 70
    assert max(len(line) for line in wide) > 70
    # Task names are never cut.
    assert any(line.endswith("jugfile.double") for line in narrow)


def test_verbose_levels_give_readable_log_lines(project):
    project.write("jugfile.py", LOUD)
    done = project.jug("status", "--cache", "--verbose")
    assert "jug: saved the task graph in .jugstatus.json" in done.stderr.splitlines()
    done = project.jug("status", "--cache", "--verbose", "debug")
    line = next(x for x in done.stderr.splitlines() if "using the task graph" in x)
    # At debug level: which process, when, what level.
    assert re.fullmatch(
        r"jug\[\d+\] \d\d:\d\d:\d\d INFO: using the task graph cached in \.jugstatus\.json", line
    )
    assert project.jug("status", "--cache", "--verbose", "warning").stderr == ""
