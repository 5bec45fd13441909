"""``jug pack``: the original's pack file (``JUGDIR/packs/jugpack``), both ways.

A jugdir packed by either implementation is complete for the other; invalidate, cleanup
and removing a result keep the pack consistent, and each implementation then sees what
the other did.
"""

from __future__ import annotations

import json
import os

from jug.backends.file_store import file_store

JUGFILE = """
from jug import TaskGenerator

class Point:
    def __init__(self, x):
        self.x = x

    def __eq__(self, other):
        return type(other).__name__ == "Point" and other.x == self.x

@TaskGenerator
def small(i):
    return i * 10

@TaskGenerator
def point(i):
    return Point(i)

@TaskGenerator
def nothing(i):
    return None

@TaskGenerator
def big(n):
    return list(range(n))

@TaskGenerator
def total(xs, p):
    return sum(xs) + p.x

smalls = [small(i) for i in range(6)]
p = point(3)
nothing(0)
big(5000)
result = total(smalls, p)
"""

VALUES = """
import json, sys
import jug
jug.init("jugfile.py", "jugfile.jugdata")
import jugfile
print(json.dumps({
    "result": jug.value(jugfile.result),
    "smalls": [jug.value(t) for t in jugfile.smalls],
    "point": jug.value(jugfile.p).x,
}))
"""

EXPECTED = {"result": 153, "smalls": [0, 10, 20, 30, 40, 50], "point": 3}


def _files(jugdir):
    """Result files (not locks or the pack) in *jugdir*."""
    return sorted(
        os.path.join(d, n)
        for d, _, names in os.walk(jugdir)
        if len(os.path.basename(d)) == 2
        for n in names
        if not n.startswith(".")
    )


def test_we_read_a_jugdir_packed_by_the_original(project, original, parse_summary):
    project.write("jugfile.py", JUGFILE)
    assert original.jug("execute", "jugfile.py", cwd=project.path).returncode == 0
    packed = original.jug("pack", "jugfile.py", cwd=project.path)
    assert packed.returncode == 0, packed.stderr
    jugdir = project.path / "jugfile.jugdata"
    assert (jugdir / "packs" / "jugpack").is_file()
    assert len(_files(jugdir)) == 1  # only the big result is still a file
    # Everything is complete for us: nothing runs again, every value loads.
    assert project.jug("status").returncode == 0
    done = project.jug("execute")
    assert done.returncode == 0, done.stderr
    assert sum(parse_summary(done.stdout)["Total"][:1]) == 0  # nothing executed
    assert project.jug("check").returncode == 0
    values = project.python(VALUES)
    assert values == EXPECTED


def test_the_original_reads_a_jugdir_packed_by_us(project, original):
    project.write("jugfile.py", JUGFILE)
    assert project.jug("execute").returncode == 0
    packed = project.jug("pack")
    assert packed.returncode == 0, packed.stderr
    assert packed.stdout.startswith("Packed 9 result(s) into ")
    jugdir = project.path / "jugfile.jugdata"
    assert len(_files(jugdir)) == 1
    assert not os.path.exists(jugdir / "locks" / "pack-save.lock")
    status = original.jug("status", "jugfile.py", cwd=project.path)
    assert status.returncode == 0, status.stdout + status.stderr
    check = original.jug("check", "jugfile.py", cwd=project.path)
    assert check.returncode == 0
    done = original.run(VALUES, cwd=project.path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == EXPECTED
    # ... and packing again with nothing new to pack changes nothing.
    again = project.jug("pack")
    assert again.stdout.startswith("Packed 0 result(s)")


def test_invalidate_and_cleanup_keep_the_pack_consistent(project, original, parse_status):
    project.write("jugfile.py", JUGFILE)
    assert original.jug("execute", "jugfile.py", cwd=project.path).returncode == 0
    assert original.jug("pack", "jugfile.py", cwd=project.path).returncode == 0
    jugdir = str(project.path / "jugfile.jugdata")
    # Invalidating packed results takes them out of the pack (and their dependents).
    done = project.jug("invalidate", "--target", "jugfile.point")
    assert done.returncode == 0, done.stderr
    assert "jugfile.point" in done.stdout and "jugfile.total" in done.stdout
    theirs = original.jug("status", "jugfile.py", cwd=project.path)
    assert theirs.returncode == 1  # the original sees them gone too
    rows = parse_status(project.jug("status").stdout)
    assert rows["jugfile.point"][1] == 1 and rows["jugfile.total"][0] == 1  # ready, waiting
    # Recomputing saves files; the stale pack entries are gone, so the original agrees.
    assert project.jug("execute").returncode == 0
    assert original.jug("check", "jugfile.py", cwd=project.path).returncode == 0
    # Cleanup after the jugfile changed removes what is no longer used, from the pack too.
    project.write("jugfile.py", JUGFILE.replace("range(6)", "range(3)"))
    clean = project.jug("cleanup", "--keep-locks")
    assert clean.returncode == 0, clean.stderr
    # smalls 3..5 (packed), and the old total (a file now)
    assert clean.stdout.startswith("Removed 4 unused results"), clean.stdout
    packed = {k.decode() for k in file_store(jugdir).packed}
    assert len(packed) == 4  # smalls 0..2 and nothing(0); point and total are files now
    assert project.jug("execute").returncode == 0  # the new total
    assert original.jug("check", "jugfile.py", cwd=project.path).returncode == 0
    # The original finds nothing left to clean up, in the pack or outside it.
    theirs = original.jug("cleanup", "jugfile.py", "--keep-locks", cwd=project.path)
    assert theirs.returncode == 0, theirs.stderr
    assert theirs.stdout.strip() == "Removed 0 objects"


def test_store_api_on_a_pack(tmp_path, original):
    jugdir = str(tmp_path / "j")
    store = file_store(jugdir)
    keys = {f"{i:040x}": {"i": i} for i in range(5)}
    for key, value in keys.items():
        store.dump(value, key)
    store.dump(list(range(1000)), "f" * 40)  # too big for the pack
    assert store.update_pack() == 5
    assert store.update_pack() == 0
    fresh = file_store(jugdir)
    assert fresh.can_load_many(list(keys) + ["f" * 40, "e" * 40]) == {*keys, "f" * 40}
    assert sorted(fresh.list()) == sorted([k.encode() for k in keys] + [b"f" * 40])
    assert fresh.load("0" * 40) == {"i": 0} and fresh.can_load(("0" * 39 + "1").encode())
    assert fresh.metadata(type("T", (), {"hash": lambda self: ("0" * 40).encode()})()) == {
        "computed": True
    }
    # Saving a packed key takes it out of the pack: the new value wins everywhere.
    fresh.dump("new", "0" * 40)
    assert file_store(jugdir).load("0" * 40) == "new"
    assert b"0" * 40 not in file_store(jugdir).packed
    assert fresh.remove(("0" * 39 + "1").encode()) is True
    assert fresh.remove("0" * 39 + "1") is False
    assert fresh.cleanup(["0" * 40, "0" * 39 + "2"], keeplocks=True) == 3  # 3, 4 and f…
    left = file_store(jugdir)
    assert sorted(left.list()) == [b"0" * 40, b"0" * 39 + b"2"]
    # The original reads what is left, pack and files alike.
    done = original.run(
        """
        import sys
        from jug.backends.file_store import file_store
        s = file_store(sys.argv[1])
        print(sorted(k.decode() for k in s.list()), s.load(("0" * 39 + "2").encode()))
        """,
        jugdir,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{['0' * 40, '0' * 39 + '2']} {{'i': 2}}"


def test_a_pack_is_read_before_its_classes_can_be_imported(tmp_path, python_run):
    """Keys first (status needs no values), values once their module can be imported."""
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "packmod.py").write_text(
        "class Thing:\n    def __init__(self, n):\n        self.n = n\n"
    )
    jugdir = str(tmp_path / "j")
    key = "a" * 40
    python_run(
        f"""
        import sys
        sys.path.insert(0, {str(mods)!r})
        import packmod
        from jug.backends.file_store import file_store
        s = file_store({jugdir!r})
        s.dump(packmod.Thing(7), {key!r})
        assert s.update_pack() == 1
        """
    )
    out = python_run(
        f"""
        import sys
        from jug.backends.file_store import file_store
        s = file_store({jugdir!r})
        print(s.can_load({key!r}), s.can_load_many([{key!r}, "b" * 40]) == {{{key!r}}})
        try:
            s.load({key!r})
        except ModuleNotFoundError as e:
            print("missing", e.name)
        sys.path.insert(0, {str(mods)!r})
        print(s.load({key!r}).n)
        """
    )
    assert out.split() == ["True", "True", "missing", "packmod", "7"]
