"""The file system says no: a full disk, a read-only or forbidden jugdir, a jugdir that is a
file. Each is one clear line and a non-zero exit; nothing is half written; no lock is left.
"""

from __future__ import annotations

import json
import os
import shlex
import sys

import pytest

from jug.testing import JugProject

#: Small results, then one (``big``, 3 MiB) that does not fit while the disk is nearly full.
FILLING = """\
import os
from jug import TaskGenerator

@TaskGenerator
def small(i):
    return i

@TaskGenerator
def big(xs):
    return os.urandom(3 << 20)  # incompressible

@TaskGenerator
def after(b):
    return len(b)

after(big([small(i) for i in range(5)]))
"""

#: Run inside the private mount namespace: what the jugdir holds, as JSON.
LOOK = """
import json, os, sys
from jug.backend_registry import open_store
jugdir = sys.argv[1]
store = open_store(jugdir)
files = sorted(os.path.relpath(os.path.join(d, n), jugdir)
               for d, _, names in os.walk(jugdir) for n in names)
print(json.dumps({"results": len(list(store.list())), "locks": [k.decode() for k in store.listlocks()],
                  "files": files}))
"""


@pytest.mark.slow
def test_disk_full_then_freed(tmp_path, small_tmpfs):
    project = JugProject(tmp_path)
    project.write("jugfile.py", FILLING)
    project.write("look.py", LOOK)
    mnt = tmp_path / "mnt"
    jugdir = shlex.quote(str(mnt / "jugfile.jugdata"))
    jug = f"{shlex.quote(sys.executable)} -m jug"
    python = shlex.quote(sys.executable)
    script = f"""
        {jug} execute --jugdir {jugdir} > out1 2> err1; echo $? > rc1
        {python} look.py {jugdir} > look1
        {jug} status --jugdir {jugdir} > status1 2>&1
        rm -f {shlex.quote(str(mnt / "filler"))}  # space is freed
        {jug} execute --jugdir {jugdir} > out2 2> err2; echo $? > rc2
        {python} look.py {jugdir} > look2
    """
    # 4 MiB, of which a filler takes 2.5: the small results fit, the 3 MiB one does not
    # until the filler is removed.
    done = small_tmpfs(
        mnt,
        "4m",
        f"dd if=/dev/zero of={shlex.quote(str(mnt / 'filler'))} bs=1k count=2560 2>/dev/null\n"
        + script,
        env=project.env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    read = lambda name: (tmp_path / name).read_text()  # noqa: E731
    # The first run: the big result did not fit.
    assert read("rc1").strip() != "0"
    err = read("err1")
    assert "Traceback" not in err, err
    last = err.strip().splitlines()[-1]
    assert "no space left" in last, err
    assert last.startswith("jug: task jugfile.big ("), err  # which task could not be saved
    first = json.loads(read("look1"))
    assert first["results"] == 5  # the small ones; nothing of the big one
    assert first["locks"] == []
    assert not [f for f in first["files"] if f.endswith(".tmp")], first["files"]
    assert "Traceback" not in read("status1")
    # After freeing space, a rerun completes.
    assert read("rc2").strip() == "0", read("err2")
    second = json.loads(read("look2"))
    assert second["results"] == 7
    assert second["locks"] == []


def _one_line_error(done) -> str:
    """The single line of a clean failure (non-zero exit, no traceback)."""
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    lines = [x for x in done.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("jug: "), lines[0]
    return lines[0]


@pytest.mark.parametrize("command", ["execute", "status", "cleanup", "invalidate"])
def test_jugdir_is_a_file(command, tmp_path):
    project = JugProject(tmp_path)
    project.write("jugfile.py", FILLING)
    project.write("oops", "not a directory\n")
    extra = ("--target", "jugfile.small") if command == "invalidate" else ()
    line = _one_line_error(project.jug(command, "--jugdir", "oops", *extra))
    assert "'oops' exists and is not a directory" in line
    assert (tmp_path / "oops").read_text() == "not a directory\n"
    below = _one_line_error(project.jug("execute", "--jugdir", "oops/sub"))
    assert "a file is in the way" in below
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "jugfile.py", "oops"]


@pytest.mark.parametrize("mode", [0o500, 0o000])
def test_permission_denied(mode, tmp_path, unprivileged):
    """A jugdir the user may not write (0o500) or not even read (0o000)."""
    project = JugProject(tmp_path)
    project.write("jugfile.py", FILLING)
    done = project.jug("execute", "--target", "jugfile.small")
    assert done.returncode == 0, done.stderr
    jugdir = tmp_path / "jugfile.jugdata"
    before = sorted(str(p.relative_to(jugdir)) for p in jugdir.rglob("*"))
    jug = [sys.executable, "-m", "jug"]
    for path in [jugdir, *jugdir.iterdir()]:
        os.chmod(path, mode)
    try:
        outcomes = {
            command: unprivileged([*jug, command], cwd=tmp_path, env=project.env)
            for command in ("execute", "status")
        }
    finally:
        for path in [jugdir, *jugdir.iterdir()]:
            os.chmod(path, 0o700)
    line = _one_line_error(outcomes["execute"])
    assert "permission denied" in line, line
    if mode == 0o500:  # reading is allowed: status works (1: not every task is finished)
        assert outcomes["status"].returncode == 1, outcomes["status"].stderr
        assert "jugfile.small" in outcomes["status"].stdout
        assert not outcomes["status"].stderr
    else:
        assert "permission denied" in _one_line_error(outcomes["status"])
    assert sorted(str(p.relative_to(jugdir)) for p in jugdir.rglob("*")) == before


def test_read_only_file_system(tmp_path, small_tmpfs):
    project = JugProject(tmp_path)
    project.write("jugfile.py", FILLING)
    mnt = tmp_path / "mnt"
    jugdir = shlex.quote(str(mnt / "jugfile.jugdata"))
    jug = f"{shlex.quote(sys.executable)} -m jug"
    script = f"""
        {jug} execute --jugdir {jugdir} --target jugfile.small > /dev/null 2> err0 || exit 3
        mount -o remount,ro {shlex.quote(str(mnt))} || exit 4
        {jug} execute --jugdir {jugdir} > out1 2> err1; echo $? > rc1
        {jug} status --jugdir {jugdir} > out2 2> err2; echo $? > rc2
    """
    done = small_tmpfs(mnt, "4m", script, env=project.env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr + (tmp_path / "err0").read_text()
    read = lambda name: (tmp_path / name).read_text()  # noqa: E731
    assert read("rc1").strip() != "0"
    err = read("err1")
    assert "Traceback" not in err, err
    (line,) = [x for x in err.splitlines() if x.strip()]
    assert line.startswith("jug: ") and "read-only file system" in line, line
    # status reads: it works (exit 1 only because not every task is finished)
    assert read("rc2").strip() == "1", read("err2")
    assert "Traceback" not in read("err2") and "jugfile.small" in read("out2")
