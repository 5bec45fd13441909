"""A stored result damaged behind jug's back: truncated, replaced by garbage (file store),
or garbage in redis. Loading it says which task and hash, and how to recover; ``jug status``
still works; the other results are untouched; ``jug invalidate`` then ``jug execute``
recovers.
"""

from __future__ import annotations

import os

import pytest

from jug.testing import JugProject, parse_status_table

JUGFILE = """\
from jug import TaskGenerator

@TaskGenerator
def make(i):
    return list(range(i * 100))

@TaskGenerator
def total(xs):
    return sum(map(len, xs))

parts = [make(i) for i in range(4)]
result = total(parts)
"""

#: Prints the hash of parts[2], or (with "values") every loadable value, as JSON.
INSPECT = """
import json, sys
import jug
from jug.errors import CorruptResultError
_, ns = jug.init("jugfile.py", sys.argv[1])
if sys.argv[2] == "hash":
    print(json.dumps(ns["parts"][2].hash().decode()))
else:
    out = {}
    for i, t in enumerate(ns["parts"]):
        try:
            out[i] = len(t.value())
        except CorruptResultError as exc:
            out[i] = str(exc)
    print(json.dumps(out))
"""


def _corrupt_file(jugdir: str, key: str, how: str) -> None:
    path = os.path.join(jugdir, key[:2], key[2:])
    data = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 2] if how == "truncated" else b"\x00garbage\xff" * 7)


CASES = [
    "truncated",
    "garbage",
    pytest.param("redis garbage", marks=pytest.mark.requires_redis),
]


@pytest.mark.parametrize("how", CASES)
def test_corrupt_result(how, tmp_path, request):
    project = JugProject(tmp_path)
    project.write("jugfile.py", JUGFILE)
    if how == "redis garbage":
        server = request.getfixturevalue("redis7_server")
        server.flush()
        jugdir = server.url + "?prefix=corrupt"
    else:
        jugdir = str(tmp_path / "jugfile.jugdata")
    first = project.jug("execute", "--jugdir", jugdir, "--target", "jugfile.make")
    assert first.returncode == 0, first.stderr
    key = project.python(INSPECT, jugdir, "hash")
    if how == "redis garbage":
        client = server.client()
        (rkey,) = client.scan_iter(match=f"*result:{key}")  # not its lock or record
        client.set(rkey, b"\x00garbage\xff" * 7)
    else:
        _corrupt_file(jugdir, key, how)

    # The task that needs the damaged result stops with one line naming it.
    run = project.jug("execute", "--jugdir", jugdir)
    assert run.returncode != 0
    assert "Traceback" not in run.stderr, run.stderr
    (line,) = [x for x in run.stderr.splitlines() if x.strip()]
    assert line.startswith(f"jug: cannot load task jugfile.make ({key})"), line
    assert "jug invalidate" in line
    # Loading from Python says the same; the other results are untouched.
    values = project.python(INSPECT, jugdir, "values")
    assert [values[str(i)] for i in (0, 1, 3)] == [0, 100, 300]
    assert key in values["2"] and "jug invalidate" in values["2"]
    # Status works (it does not read results) and no lock was left behind.
    status = project.jug("status", "--jugdir", jugdir)
    # (exit 1: jugfile.total has not run)
    assert status.returncode == 1 and "Traceback" not in status.stderr, status.stderr
    table = parse_status_table(status.stdout)
    assert table["jugfile.make"] == [0, 0, 4, 0, 0, 0]
    assert table["jugfile.total"] == [0, 1, 0, 0, 0, 0]
    # --verify reads the results back and names the damaged one, with the way out.
    verify = project.jug("status", "--verify", "--jugdir", jugdir)
    assert verify.returncode == 1, verify.stderr
    assert "Traceback" not in verify.stderr, verify.stderr
    assert "1 of 4 stored result(s) cannot be read:" in verify.stdout
    assert f"  jugfile.make ({key}): " in verify.stdout
    assert "jug invalidate --target jugfile.make" in verify.stdout
    short = project.jug("status", "--verify", "--short", "--jugdir", jugdir)
    assert short.returncode == 1
    assert "1 of 4 stored result(s) cannot be read" in short.stdout
    # Recovery: invalidate the damaged task's results, run again.
    inv = project.jug("invalidate", "--jugdir", jugdir, "--target", "jugfile.make")
    assert inv.returncode == 0, inv.stderr
    again = project.jug("execute", "--jugdir", jugdir)
    assert again.returncode == 0, again.stderr
    values = project.python(INSPECT, jugdir, "values")
    assert values == {"0": 0, "1": 100, "2": 200, "3": 300}
    verify = project.jug("status", "--verify", "--jugdir", jugdir)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "All 5 stored result(s) can be read." in verify.stdout
