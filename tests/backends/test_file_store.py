"""File-store specifics: atomic writes, multi-process locking, stale-lock reclaim, errors."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import sys
import textwrap
import time
import zlib

import numpy as np
import pytest

from jug.backends.file_store import file_store
from jug.errors import CorruptResultError, JugError, StoreError
from jug.store import LockInfo, RecordContext, as_key, record_dict


def k(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


def result_path(store: file_store, key: str) -> str:
    return os.path.join(store.jugdir, key[:2], key[2:])


def all_files(root) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files
    )


# -- layout and atomic writes -----------------------------------------------------------


def test_layout(fstore):
    fstore.dump(1, k("a"))
    assert fstore.getlock(k("b")).get()
    assert all_files(fstore.jugdir) == sorted(
        [os.path.join(k("a")[:2], k("a")[2:]), os.path.join("locks", k("b") + ".lock")]
    )


def test_reading_creates_nothing(tmp_path):
    store = file_store(tmp_path / "absent.jugdata")
    assert list(store.list()) == []
    assert store.can_load_many([k("a")]) == set()
    assert store.listlocks() == [] and store.lock_infos() == {}
    assert not store.getlock(k("a")).is_locked()
    assert not (tmp_path / "absent.jugdata").exists()


def test_atomic_against_concurrent_reader(fstore, python_spawn):
    """A reader hammering load() while a writer rewrites the value never sees a partial one."""
    writer = python_spawn(
        """
        import sys
        import numpy as np
        from jug.backends.file_store import file_store
        s = file_store(sys.argv[1])
        for i in range(1, 121):
            if i % 2:
                s.dump(np.full(300_000, i), sys.argv[2])      # raw .npy, 2.4 MB
            else:
                s.dump({"i": i, "payload": [i] * 200_000}, sys.argv[2])  # zlib pickle
        """,
        fstore.jugdir,
        k("hot"),
    )
    seen = set()
    while writer.poll() is None or not seen:
        try:
            value = fstore.load(k("hot"))
        except KeyError:
            continue  # not written yet
        if isinstance(value, np.ndarray):
            assert value.shape == (300_000,)
            first = int(value[0])
            assert (value == first).all()
            seen.add(first)
        else:
            assert value["payload"] == [value["i"]] * 200_000
            seen.add(value["i"])
    assert writer.returncode == 0, writer.stderr.read()
    assert len(seen) > 1  # we really read while it was writing
    assert fstore.load(k("hot"))["i"] == 120
    assert [f for f in all_files(fstore.jugdir) if os.path.basename(f).startswith(".")] == []


def test_failed_dump_leaves_previous_value(fstore):
    fstore.dump("old", k("a"))
    with pytest.raises(Exception):  # noqa: B017 - whatever pickle raises
        fstore.dump({"f": lambda: 0}, k("a"))
    assert fstore.load(k("a")) == "old"
    assert all_files(fstore.jugdir) == [os.path.join(k("a")[:2], k("a")[2:])]


def test_write_error_is_clear_and_leaves_nothing(fstore, python_run):
    """A write that fails half-way (file size limit: EFBIG) raises StoreError, cleans up."""
    fstore.dump("old", k("a"))
    proc = python_run(
        """
        import resource, signal, sys
        import numpy as np
        from jug.backends.file_store import file_store
        from jug.errors import StoreError
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))
        s = file_store(sys.argv[1])
        for obj in (np.random.rand(100_000), list(range(10**6))):
            try:
                s.dump(obj, sys.argv[2])
            except StoreError as exc:
                print(type(exc).__name__, exc.errno, exc)
        """,
        fstore.jugdir,
        k("a"),
    )
    lines = proc.stdout.splitlines()
    assert len(lines) == 2
    for line in lines:
        assert line.startswith("StoreError 27 cannot write result " + k("a"))
    assert fstore.load(k("a")) == "old"
    assert all_files(fstore.jugdir) == [os.path.join(k("a")[:2], k("a")[2:])]


DISK_FULL_WORKER = """
import os, sys
import numpy as np
from jug.backends.file_store import file_store
from jug.errors import StoreError
s = file_store(sys.argv[1])
s.dump("small", sys.argv[2])
for obj in (np.random.rand(200_000), list(range(300_000))):
    try:
        s.dump(obj, sys.argv[2])
    except StoreError as exc:
        print(exc.errno, exc)
print(repr(s.load(sys.argv[2])))
print(sorted(os.listdir(os.path.join(sys.argv[1], sys.argv[2][:2]))))
"""


def test_disk_full(tmp_path, small_tmpfs):
    """On a really full file system (a 256 KiB tmpfs in a private mount namespace)."""
    mnt = tmp_path / "mnt"
    script = tmp_path / "worker.py"
    script.write_text(DISK_FULL_WORKER)
    jugdir = mnt / "full.jugdata"
    proc = small_tmpfs(
        mnt,
        "256k",
        f"exec {shlex.quote(sys.executable)} {shlex.quote(str(script))} "
        f"{shlex.quote(str(jugdir))} {k('a')}",
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 4, proc.stdout
    for line in lines[:2]:
        assert line.startswith(f"28 cannot write result {k('a')}"), line
        assert "disk full" in line
    assert lines[2] == "'small'"  # the previous value survived
    assert lines[3] == repr([k("a")[2:]])  # and no temporary file is left


def test_permission_denied(fstore, unprivileged):
    """A worker without write access gets one clear line, and the store is unchanged."""
    fstore.dump(1, k("a"))
    shard = os.path.join(fstore.jugdir, k("a")[:2])
    code = textwrap.dedent(
        """
        import sys
        from jug.backends.file_store import file_store
        from jug.errors import StoreError
        s = file_store(sys.argv[1])
        for action in (lambda: s.dump(2, sys.argv[2]), lambda: s.getlock(sys.argv[3]).get()):
            try:
                action()
            except StoreError as exc:
                print(exc)
        """
    )
    os.chmod(shard, 0o500)
    os.chmod(fstore.jugdir, 0o500)
    try:
        proc = unprivileged([sys.executable, "-c", code, fstore.jugdir, k("a"), k("b")])
    finally:
        os.chmod(fstore.jugdir, 0o700)
        os.chmod(shard, 0o700)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 2, proc.stdout
    assert all("permission denied" in line for line in lines), lines
    assert lines[0].startswith(f"cannot write result {k('a')}")
    assert fstore.load(k("a")) == 1
    assert all_files(fstore.jugdir) == [os.path.join(k("a")[:2], k("a")[2:])]


def test_jugdir_is_a_file(tmp_path):
    path = tmp_path / "oops.jugdata"
    path.write_text("not a directory")
    with pytest.raises(StoreError, match="exists and is not a directory") as info:
        file_store(path)
    assert isinstance(info.value, JugError) and isinstance(info.value, OSError)
    assert path.read_text() == "not a directory"


def test_file_in_place_of_shard_dir(fstore):
    os.makedirs(fstore.jugdir)
    with open(os.path.join(fstore.jugdir, k("a")[:2]), "w") as f:
        f.write("x")
    with pytest.raises(StoreError, match="a file is in the way"):
        fstore.dump(1, k("a"))


def test_invalid_keys(fstore):
    for bad in ("", "ab", "../etc", "ab/cd", "ab.cd", ".abc"):
        with pytest.raises(ValueError):
            fstore.dump(1, bad)


def test_temp_files_are_not_results(fstore):
    fstore.dump(1, k("a"))
    shard = os.path.join(fstore.jugdir, k("b")[:2])
    os.makedirs(shard, exist_ok=True)
    crashed = os.path.join(shard, f".{k('b')[2:]}.deadbeef.tmp")
    with open(crashed, "wb") as f:
        f.write(b"x\x01partial")
    assert list(map(as_key, fstore.list())) == [k("a")]
    assert not fstore.can_load(k("b"))
    assert fstore.can_load_many([k("a"), k("b")]) == {k("a")}
    # cleanup() deletes temp files only once they are old (a live writer keeps them fresh).
    fstore.cleanup([k("a")])
    assert os.path.exists(crashed)
    os.utime(crashed, (time.time() - 7200, time.time() - 7200))
    fstore.cleanup([k("a")])
    assert not os.path.exists(crashed)
    assert fstore.load(k("a")) == 1


def test_list_ignores_foreign_directories(fstore):
    fstore.dump(1, k("a"))
    for extra in ("tempfiles", "packs", "locks"):
        os.makedirs(os.path.join(fstore.jugdir, extra), exist_ok=True)
        with open(os.path.join(fstore.jugdir, extra, "junk"), "w") as f:
            f.write("x")
    assert list(map(as_key, fstore.list())) == [k("a")]


# -- corrupt results ----------------------------------------------------------------------


CORRUPTIONS = {
    "truncated_zlib": lambda data: data[: len(data) // 2],
    "garbage": lambda data: b"\x00garbage\xff" * 10,
    "trailing_bytes": lambda data: data + b"extra",
    "unknown_tag": lambda data: zlib.compress(b"Qwhatever"),
    "bad_pickle": lambda data: zlib.compress(b"P\x80\x05\x95"),
}


@pytest.mark.parametrize("how", sorted(CORRUPTIONS))
def test_corrupt_result(fstore, how):
    fstore.dump({"x": list(range(100))}, k("a"))
    path = result_path(fstore, k("a"))
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(CORRUPTIONS[how](data))
    with pytest.raises(CorruptResultError) as info:
        fstore.load(k("a"))
    assert info.value.key == k("a")
    assert k("a") in str(info.value)


def test_truncated_npy(fstore):
    fstore.dump(np.arange(1000), k("a"))
    path = result_path(fstore, k("a"))
    with open(path, "r+b") as f:
        f.truncate(500)
    with pytest.raises(CorruptResultError, match=k("a")):
        fstore.load(k("a"))


def test_missing_class_is_not_corruption(fstore, tmp_path, python_run):
    """An ImportError while unpickling is the user's problem, not a damaged file."""
    (tmp_path / "gone_module.py").write_text("class Thing:\n    pass\n")
    python_run(
        """
        import sys
        sys.path.insert(0, sys.argv[3])
        import gone_module
        from jug.backends.file_store import file_store
        file_store(sys.argv[1]).dump(gone_module.Thing(), sys.argv[2])
        """,
        fstore.jugdir,
        k("a"),
        str(tmp_path),
    )
    with pytest.raises(ModuleNotFoundError):
        fstore.load(k("a"))


# -- locks across processes -----------------------------------------------------------------


def test_lock_contention_between_processes(fstore, race):
    keys = [k(f"task{i}") for i in range(200)]
    results = race(fstore.jugdir, keys, nprocs=4)
    winners: dict[str, int] = {}
    for i, won in enumerate(results):
        for key in won:
            assert key not in winners, f"{key} taken by processes {winners[key]} and {i}"
            winners[key] = i
    assert set(winners) == set(keys)
    assert sorted(map(as_key, fstore.listlocks())) == sorted(keys)


def make_stale(store: file_store, key: str, age: float = 60.0) -> None:
    """Leave a lock whose holder stopped refreshing *age* seconds ago."""
    lock = store.getlock(key)
    assert lock.get()
    then = time.time() - age
    os.utime(lock.fullname, (then, then))
    info = LockInfo.from_dict(json.loads(open(lock.fullname).read()))
    with open(lock.fullname, "w") as f:
        info.heartbeat = info.started = then
        info.lease = 10.0
        json.dump(info.to_dict(), f)
    os.utime(lock.fullname, (then, then))


def test_concurrent_reclaim_has_one_winner(fstore, race):
    keys = [k(f"stale{i}") for i in range(40)]
    for key in keys:
        make_stale(fstore, key)
    assert all(info.state() == "stale" for info in fstore.lock_infos().values())
    results = race(fstore.jugdir, keys, nprocs=5)
    counts = {key: sum(key in won for won in results) for key in keys}
    assert counts == dict.fromkeys(keys, 1)
    infos = fstore.lock_infos()
    assert sorted(infos) == sorted(keys)
    assert all(info.state() == "running" for info in infos.values())
    leftovers = os.listdir(os.path.join(fstore.jugdir, "locks"))
    assert sorted(leftovers) == sorted(key + ".lock" for key in keys)


def test_reclaim_does_not_steal_a_fresh_lock(fstore):
    """The ABA case: a reclaimer that looked at a stale lock which someone else has already
    replaced with a fresh one must put the fresh lock back and fail."""
    make_stale(fstore, k("t"))
    late = fstore.getlock(k("t"))
    stale_view = late.info()
    assert stale_view is not None and stale_view.state() == "stale"
    winner = fstore.getlock(k("t"))
    assert winner.get()  # reclaims the stale lock
    # `late` now acts on what it saw before: it moves the (fresh) lock aside, notices, and
    # restores it.
    assert late._reclaim(LockInfo.new(fstore.lease)) is False
    assert winner.refresh() is True
    assert fstore.lock_infos()[k("t")].token == winner.info().token
    assert os.listdir(os.path.join(fstore.jugdir, "locks")) == [k("t") + ".lock"]


def test_killed_holder_is_reclaimed_after_lease(fstore, python_run):
    python_run(
        """
        import os, sys
        from jug.backends.file_store import file_store
        s = file_store(sys.argv[1])
        s.lease = 1.5
        assert s.getlock(sys.argv[2]).get()
        os._exit(9)  # die holding the lock, like SIGKILL
        """,
        fstore.jugdir,
        k("t"),
        check=False,
    )
    assert fstore.lock_infos()[k("t")].lease == 1.5
    assert not fstore.getlock(k("t")).get()
    time.sleep(1.8)
    assert fstore.lock_infos()[k("t")].state() == "stale"
    assert fstore.getlock(k("t")).get()


def test_refresh_moves_heartbeat(fstore):
    lock = fstore.getlock(k("t"))
    assert lock.get()
    first = lock.info().heartbeat
    time.sleep(0.05)
    assert lock.refresh()
    assert lock.info().heartbeat > first
    assert lock.info().started == pytest.approx(first)


def test_lock_record_is_json(fstore):
    fstore.lease = 42.0
    lock = fstore.getlock(k("t"))
    assert lock.get()
    with open(lock.fullname) as f:
        record = json.load(f)
    assert record["lease"] == 42.0
    assert record["pid"] == os.getpid()
    assert set(record) >= {"token", "host", "pid", "started", "heartbeat", "lease", "failed"}


def test_failed_mark_uses_the_original_convention(fstore):
    lock = fstore.getlock(k("t"))
    assert lock.get()
    assert lock.fail("boom")
    assert os.stat(lock.fullname).st_mtime == 1.0
    assert json.load(open(lock.fullname))["error"] == "boom"


def test_lock_infos_lists_running_stale_failed(fstore):
    fstore.lease = 600
    assert fstore.getlock(k("run")).get()
    make_stale(fstore, k("stale"))
    failing = fstore.getlock(k("fail"))
    assert failing.get() and failing.fail("err")
    states = {key: info.state() for key, info in fstore.lock_infos().items()}
    assert states == {k("run"): "running", k("stale"): "stale", k("fail"): "failed"}


def test_cleanup_removes_old_tombstones(fstore):
    assert fstore.getlock(k("a")).get()
    locks = os.path.join(fstore.jugdir, "locks")
    old, young = (os.path.join(locks, f".{k(n)}.abcd.reclaim") for n in ("old", "young"))
    for path in (old, young):
        open(path, "w").close()
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert fstore.cleanup([k("a")]) == 0
    assert sorted(os.listdir(locks)) == sorted([k("a") + ".lock", os.path.basename(young)])


def test_remove_locks_removes_leftover_tombstones(fstore):
    assert fstore.getlock(k("a")).get()
    tomb = os.path.join(fstore.jugdir, "locks", f".{k('b')}.abcd.reclaim")
    open(tomb, "w").close()
    assert list(map(as_key, fstore.listlocks())) == [k("a")]
    assert fstore.remove_locks() == 1
    assert os.listdir(os.path.join(fstore.jugdir, "locks")) == []


def test_a_jugdir_removed_behind_the_stores_back_is_made_again(fstore):
    fstore.dump(1, k("a"))
    shutil.rmtree(fstore.jugdir)
    fstore.dump(2, k("a"))  # a store whose directory vanished recreates it
    assert fstore.load(k("a")) == 2


def test_numpy_not_imported_for_plain_objects(fstore, python_run):
    proc = python_run(
        """
        import sys
        from jug.backends.file_store import file_store
        s = file_store(sys.argv[1])
        s.dump({"a": [1, 2.5, "x"]}, sys.argv[2])
        s.dump(None, sys.argv[3])
        assert s.load(sys.argv[2]) == {"a": [1, 2.5, "x"]}
        assert s.load(sys.argv[3]) is None
        l = s.getlock(sys.argv[2]); l.get(); l.refresh(); l.fail("e"); s.lock_infos()
        print("numpy" in sys.modules)
        """,
        fstore.jugdir,
        k("a"),
        k("b"),
    )
    assert proc.stdout.strip() == "False"
    assert "numpy" not in proc.stderr


def _saved(store, key, i, context=None):
    """Save *i* under *key* with a record of *i* in *context* (default: one of its own)."""
    lock = store.getlock(key)
    assert lock.get()
    rec = (context or RecordContext({"i": i}), 10**18 + i, i, 1000 + i)
    store.dump_and_release(i, key, lock, rec)
    return record_dict(rec)


def test_record_logs_idle_for_an_hour_are_merged_by_cleanup(tmp_path):
    """Logs nobody writes to any more are merged into one, without the removed results'
    records; a log still being written gets voids instead."""

    jugdir = tmp_path / "p.jugdata"
    keys = [hashlib.sha1(str(i).encode()).hexdigest() for i in range(6)]
    expected = {}
    for i, key in enumerate(keys[:4]):  # four processes' worth of logs, a context each
        store = file_store(jugdir)
        expected[key] = _saved(store, key, i)
        store.close()
    packs = jugdir / "packs"
    old = time.time() - 2 * 3600
    for log in packs.iterdir():
        os.utime(log, (old, old))
    live = file_store(jugdir)  # a worker still writing its log
    for i, key in enumerate(keys[4:], 4):
        expected[key] = _saved(live, key, i)
    assert len(list(packs.iterdir())) == 5

    cleaner = file_store(jugdir)
    cleaner.cleanup([keys[0], keys[1], keys[4]])
    logs = sorted(packs.iterdir())
    assert len(logs) == 3  # the merged one, the live worker's, the cleaner's voids
    kept = {key: expected[key] for key in (keys[0], keys[1], keys[4])}
    assert file_store(jugdir).records() == kept
    assert live.records() == kept
    lines = [json.loads(line) for log in logs for line in log.read_text().splitlines()]
    contexts = sorted(line[1]["i"] for line in lines if isinstance(line[0], int))
    assert contexts == [0, 1, 4, 5]  # the merged log keeps the contexts of what it keeps
    live.close()


def test_the_record_log_format(tmp_path):
    """A context line once per log and context, a line of numbers per result, a void line
    per result removed or saved without a record; lines of another shape are skipped."""
    jugdir = tmp_path / "p.jugdata"
    store = file_store(jugdir)
    shared = RecordContext({"host": "n1", "pid": 1})
    first = _saved(store, k("a"), 1, shared)
    _saved(store, k("b"), 2, RecordContext({"host": "n2", "pid": 2}))
    third = _saved(store, k("c"), 3, shared)
    store.dump(4, k("b"))  # without a record: b's is void
    (log,) = (jugdir / "packs").iterdir()
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    void_time = lines[-1][1]
    assert lines == [
        [0, {"host": "n1", "pid": 1}],
        [k("a"), 0, 10**18 + 1, 1, 1001],
        [1, {"host": "n2", "pid": 2}],
        [k("b"), 1, 10**18 + 2, 2, 1002],
        [k("c"), 0, 10**18 + 3, 3, 1003],
        [k("b"), void_time],
    ]
    assert abs(void_time / 1e9 - time.time()) < 60
    reader = file_store(jugdir)
    assert reader.records() == {k("a"): first, k("c"): third}
    with open(log, "a") as out:  # damage, and lines of unknown shapes, are skipped
        out.write('["x", {"started": 1}]\n{"not": "a list"}\n[7, 1, 2]\n[0, {"broken"\n')
        out.write(f'["{k("d")}",5,1,1,1]\n')  # an unknown context
    fourth = _saved(store, k("e"), 5, shared)  # appended after the damage
    assert reader.records() == {k("a"): first, k("c"): third, k("e"): fourth}
    assert file_store(jugdir).records() == {k("a"): first, k("c"): third, k("e"): fourth}
    store.close()  # a new log starts with the contexts it uses
    _saved(store, k("f"), 6, shared)
    new = [p for p in (jugdir / "packs").iterdir() if p != log]
    assert [json.loads(x) for x in new[0].read_text().splitlines()][0] == [0, dict(shared.fields)]
    assert file_store(jugdir).records()[k("f")]["host"] == "n1"


def test_keys_that_need_escaping_in_json_are_refused(fstore):
    for bad in ('ab"cd', "ab\x01cd", "ab\x7fcd"):
        with pytest.raises(ValueError, match="invalid store key"):
            fstore.dump(1, bad)
