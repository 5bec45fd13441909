"""jug.utils: identity, CustomHash, timed_path, jug_execute, cached_glob, sync_move,
return_tuple (API tests on an in-memory store, and real `jug execute` runs)."""

from __future__ import annotations

import os
import threading

import pytest

from jug import TaskGenerator, Tasklet, recursive_dependencies, value
from jug.hash import hash_one
from jug.task import Task, alltasks
from jug.testing import run_all
from jug.utils import (
    CustomHash,
    cached_glob,
    hash_with_mtime_size,
    identity,
    jug_execute,
    return_tuple,
    sync_move,
    timed_path,
)

MODULE = """
from jug import TaskGenerator

@TaskGenerator
def f(x):
    return x

@TaskGenerator
def pair(x):
    return x, x + 1

def plain_pair(x):
    return x, -x
"""


@pytest.fixture
def m(module_factory, memory_store):
    return module_factory("utilfuncs", MODULE)


def test_identity(m):
    big = list(range(1000))
    t = identity(big)
    assert isinstance(t, Task) and t.name == "identity"
    assert identity(t) is t  # a task already
    user = m.f(t)
    run_all()
    assert value(t) == big and value(user) == big


def test_value_after_waits_for_its_token(m):
    def value_after(val, token):
        return identity([val, token])[0]

    token = m.f(None)  # a task returning None still orders the work
    later = m.f(value_after("output.txt", token))
    assert token in list(recursive_dependencies(later))
    (ident,) = [t for t in alltasks if t.name == "identity"]
    assert not ident.can_run()
    token.run()
    assert ident.can_run()
    run_all()
    assert value(later) == "output.txt"


def test_custom_hash(m):
    calls = []

    def by_length(x):
        calls.append(x)
        return hash_one(len(x))

    a = m.f(CustomHash([1, 2, 3], by_length))
    b = m.f(CustomHash([4, 5, 6], by_length))
    c = m.f(CustomHash([4, 5], by_length))
    assert a.hash() == b.hash() != c.hash()  # the hash function decides
    assert CustomHash("x", lambda s: "text").__jug_hash__() == b"text"  # str is accepted
    inner = m.f(7)
    wrapped = m.f(CustomHash([inner, 1], lambda x: hash_one("wrapped")))
    assert list(wrapped.dependencies()) == [inner]  # tasks inside are dependencies
    run_all()
    assert value(a) == [1, 2, 3] and value(wrapped) == [7, 1]  # tasks get the object


def test_timed_path_hash_follows_mtime_and_size(tmp_path):
    p = tmp_path / "data.txt"
    p.write_text("hello")
    os.utime(p, (1_600_000_000, 1_600_000_000))
    h0 = timed_path(str(p)).__jug_hash__()
    assert h0 == hash_one((str(p), 1_600_000_000, 5)) == hash_with_mtime_size(str(p))
    os.utime(p, (1_600_000_000.9, 1_600_000_000.9))  # whole seconds, as Jug 2.x
    assert timed_path(str(p)).__jug_hash__() == h0
    os.utime(p, (1_600_000_100, 1_600_000_100))
    assert timed_path(str(p)).__jug_hash__() != h0
    assert value(timed_path(str(p))) == str(p)
    with pytest.raises(FileNotFoundError):
        timed_path(str(tmp_path / "missing.txt"))


TIMED = """
import os
from jug import TaskGenerator
from jug.utils import timed_path

HERE = os.path.dirname(os.path.abspath(__file__))

@TaskGenerator
def count_lines(path):
    with open(os.path.join(HERE, "runs.log"), "a") as log:
        log.write(path + "\\n")
    with open(path) as f:
        return len(f.readlines())

@TaskGenerator
def double(n):
    return 2 * n

lines = count_lines(timed_path("input.txt"))
doubled = double(lines)
"""


def test_timed_path_invalidates_when_the_file_changes(project, parse_summary):
    project.write("jugfile.py", TIMED)
    data = project.write("input.txt", "a\nb\n")
    os.utime(data, (1_600_000_000, 1_600_000_000))
    first = project.jug("execute")
    assert first.returncode == 0, first.stderr
    assert parse_summary(first.stdout)["Total"][:2] == [2, 0]
    again = project.jug("execute")
    assert parse_summary(again.stdout)["Total"][:2] == [0, 2]  # unchanged: nothing runs
    data.write_text("a\nb\nc\n")
    os.utime(data, (1_600_000_500, 1_600_000_500))
    third = project.jug("execute")
    assert third.returncode == 0, third.stderr
    assert parse_summary(third.stdout)["Total"][:2] == [2, 0]  # both re-run
    assert (project.path / "runs.log").read_text().splitlines() == ["input.txt"] * 2
    got = project.python(
        """
        import json, jug
        _, ns = jug.init("jugfile.py")
        print(json.dumps(jug.value(ns["doubled"])))
        """
    )
    assert got == 6


EXECUTE = """
import os
import time
from jug import TaskGenerator
from jug.utils import jug_execute

@TaskGenerator
def produce(name):
    time.sleep(0.2)
    with open(name, "w") as f:
        f.write("made\\n")
    return name

token = produce("output.txt")
copied = jug_execute(["cp", "output.txt", "copy.txt"], run_after=token)
code = jug_execute(["sh", "-c", "exit 3"], check_exit=False, return_value="copy.txt")
ignored = jug_execute(["sh", "-c", "exit 4"], check_exit=False)
"""


def test_jug_execute_runs_after_its_dependencies(project, parse_summary):
    project.write("jugfile.py", EXECUTE)
    # Two workers: the command must still wait for `produce`, which the other may hold.
    workers = [project.start("execute", "--wait-cycle-time", "0.1") for _ in range(2)]
    outs = [w.communicate(timeout=60) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outs
    assert (project.path / "copy.txt").read_text() == "made\n"
    got = project.python(
        """
        import json, jug
        _, ns = jug.init("jugfile.py")
        print(json.dumps([jug.value(ns["code"]), jug.value(ns["ignored"]), jug.value(ns["copied"])]))
        """
    )
    assert got == ["copy.txt", None, None]  # return_value is the value, as in Jug 2.7


def test_jug_execute_failure_fails_the_task(project):
    project.write(
        "jugfile.py",
        """
        from jug.utils import jug_execute
        bad = jug_execute(["sh", "-c", "exit 5"])
        """,
    )
    done = project.jug("execute")
    assert done.returncode == 1
    assert "returned non-zero exit status 5" in done.stderr
    t = jug_execute(["true"], run_after=[1, 2])
    assert t.name == "jug.utils.jug_execute" and t.kwargs == {"run_after": [1, 2]}
    del alltasks[:]


def test_cached_glob_is_sorted_and_memoised(project):
    for name in ["b.dat", "a.dat", "c.dat", "x.txt"]:
        project.write(name, "")
    project.write(
        "jugfile.py",
        """
        import json
        from jug.utils import cached_glob
        files = cached_glob("*.dat")
        print("FILES" + json.dumps(files))
        """,
    )
    first = project.jug("execute")
    assert first.returncode == 0, first.stderr
    assert 'FILES["a.dat", "b.dat", "c.dat"]' in first.stdout
    project.write("0.dat", "")
    second = project.jug("execute")  # the stored listing, not a new one
    assert 'FILES["a.dat", "b.dat", "c.dat"]' in second.stdout
    assert "jug.utils.glob_sort" in project.jug("status").stdout


def test_sync_move(tmp_path):
    src = tmp_path / "partial.tmp"
    dst = tmp_path / "final.txt"
    src.write_text("new")
    dst.write_text("old")
    sync_move(src, dst)
    assert not src.exists() and dst.read_text() == "new"
    with pytest.raises(FileNotFoundError):
        sync_move(tmp_path / "missing", dst)


def test_sync_move_readers_never_see_a_partial_file(tmp_path):
    dst = tmp_path / "final.txt"
    dst.write_text("x" * 100_000)
    seen = set()
    stop = threading.Event()

    def read():
        while not stop.is_set():
            seen.add(len(dst.read_text()))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(50):
            tmp = tmp_path / f"part{i}"
            tmp.write_text(("y" if i % 2 else "x") * 100_000)
            sync_move(tmp, dst)
    finally:
        stop.set()
        reader.join()
    assert seen == {100_000}


def test_return_tuple(m):
    split = return_tuple(2)(m.pair)
    a, b = split(3)
    assert isinstance(a, Tasklet) and a.base is b.base
    assert a.base.name == "utilfuncs.pair" and a.base.hash() == m.pair(3).hash()
    c, d = return_tuple(2)(m.plain_pair)(4)  # a plain function becomes a task too
    run_all()
    assert [value(a), value(b), value(c), value(d)] == [3, 4, 4, -4]
    with pytest.raises(ValueError):
        return_tuple(0)


def test_return_tuple_as_decorators(memory_store):
    @return_tuple(3)
    @TaskGenerator
    def three(x):
        return x, x * 2, x * 3

    x, y, z = three(5)
    assert three.__name__ == "three"
    run_all()
    assert value([x, y, z]) == [5, 10, 15]


def test_cached_glob_api(tmp_path, monkeypatch, memory_store):
    monkeypatch.chdir(tmp_path)
    for name in ["2.csv", "1.csv"]:
        (tmp_path / name).write_text("")
    assert cached_glob("*.csv") == ["1.csv", "2.csv"]
    (tmp_path / "0.csv").write_text("")
    assert cached_glob("*.csv") == ["1.csv", "2.csv"]
    assert alltasks[-1].name == "jug.utils.glob_sort"
