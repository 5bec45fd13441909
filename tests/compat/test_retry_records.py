"""Failure records and retries across versions: the original Jug 2.7 reads the failure
mark of a task retried by `jug execute --retries` (the lock format is unchanged), and
`jug status --failed`/`--json` read the original's failure marks, which hold no
traceback, as one attempt."""

from __future__ import annotations

import json

FAILING = """
from jug import TaskGenerator


@TaskGenerator
def bad(x):
    raise ValueError(f"bad {x}")


@TaskGenerator
def good(x):
    return x


bad(1)
good(2)
"""


def test_the_original_reads_a_retried_failure_mark(project, original, parse_status):
    project.write("jugfile.py", FAILING)
    done = project.jug(
        "execute", "--keep-going", "--keep-failed", "--retries", "2", "--retry-delay", "0"
    )
    assert done.returncode == 1 and "failed after 3 attempt(s)" in done.stderr
    theirs = original.jug("status", "jugfile.py", cwd=project.path)
    assert theirs.returncode == 1, theirs.stderr
    # The original's columns: Failed, Waiting, Ready, Complete, Active.
    rows = {
        line.split()[-1]: line.split()[:-1]
        for line in theirs.stdout.splitlines()
        if len(line.split()) == 6 and line.split()[0].isdigit()
    }
    assert rows["jugfile.bad"][0] == "1" and rows["jugfile.good"][3] == "1", theirs.stdout
    # Nor does it run the task again: the mark holds.
    again = original.jug(
        "execute", "jugfile.py", "--wait-cycle-time", "1", "--nr-wait-cycles", "1", cwd=project.path
    )
    assert "ValueError" not in again.stderr
    assert " after 3 attempts" in project.jug("status", "--failed").stdout


def test_the_originals_failure_marks_read_as_one_attempt(project, original):
    project.write("jugfile.py", FAILING)
    theirs = original.jug(
        "execute", "jugfile.py", "--keep-going", "--keep-failed", cwd=project.path
    )
    assert theirs.returncode != 0
    failed = project.jug("status", "--failed")
    assert failed.returncode == 0
    assert "jugfile.bad" in failed.stdout and "(no error recorded)" in failed.stdout
    assert "attempt" not in failed.stdout
    doc = json.loads(project.jug("status", "--json").stdout)
    (entry,) = doc["failed"]
    assert entry["name"] == "jugfile.bad" and entry["attempts"] == 1
    # Retrying does not touch a task the original marked as failed.
    done = project.jug("execute", "--retries", "2", "--wait-cycle-time", "0.1")
    assert done.returncode == 1 and "marked as failed" in done.stderr
