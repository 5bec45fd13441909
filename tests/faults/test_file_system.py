"""The file system says no: a full disk, a read-only or forbidden jugdir, a jugdir that is a
file. Each is one clear line and a non-zero exit; nothing is half written; no lock is left.
"""

from __future__ import annotations

import json
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
print(json.dumps({"results": len(list(store.list())), "locks": store.listlocks(),
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
