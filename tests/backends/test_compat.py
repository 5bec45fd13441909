"""Compatibility with the original jug's file store, both ways.

``data/orig_store`` was written by the original jug 2.7 (``data/make_orig_fixtures.py``);
we must load all of it. Files we write must have the original's byte format. When the
original is installed (``/tmp/origjug`` or ``$JUG_ORIGINAL_PYTHON``) we also check live that
it reads what we write and that we read what it writes now.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pickle
import shutil
import time
import zlib

import numpy as np
import pytest

from jug.backends.file_store import file_store
from jug.store import RecordContext, as_key, record_dict
from jug.testing.store_contract import record

DATA = os.path.join(os.path.dirname(__file__), "data")
ORIGINAL = os.environ.get("JUG_ORIGINAL_PYTHON", "/tmp/origjug/bin/python")
needs_original = pytest.mark.skipif(
    not os.path.exists(ORIGINAL), reason="the original jug is not installed here"
)


def k(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


def raw(store: file_store, name: str) -> bytes:
    key = k(name)
    with open(os.path.join(store.jugdir, key[:2], key[2:]), "rb") as f:
        return f.read()


def _load_fixture_maker():
    spec = importlib.util.spec_from_file_location(
        "make_orig_fixtures", os.path.join(DATA, "make_orig_fixtures.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def expected_objects():
    """The objects make_orig_fixtures.py gave the original to store (the script's own
    objects(), so the two never drift apart), and its compressed array."""
    return {**_load_fixture_maker().objects(), "arr_compressed": np.arange(7)}


def check_equal(name, expected, got):
    if isinstance(expected, np.ma.MaskedArray):
        assert isinstance(got, np.ma.MaskedArray), name
        assert got.mask.tolist() == expected.mask.tolist()
        assert got.data.tolist() == expected.data.tolist()
    elif isinstance(expected, np.ndarray):
        assert type(got) is np.ndarray, name
        assert got.dtype == expected.dtype and got.shape == expected.shape, name
        assert got.tolist() == expected.tolist(), name
    elif name == "list_of_array":
        assert [a.tolist() for a in got] == [a.tolist() for a in expected]
    else:
        assert got == expected and type(got) is type(expected), name


@pytest.fixture
def orig_copy(tmp_path):
    """A writable copy of the original's store, with its lock files re-created."""
    dest = tmp_path / "orig.jugdata"
    shutil.copytree(os.path.join(DATA, "orig_store"), dest)
    os.makedirs(dest / "locks")
    for name in ("running", "failed"):
        shutil.copyfile(
            os.path.join(DATA, f"orig_lock_{name}.txt"), dest / "locks" / f"{k(name)}.lock"
        )
    # The original marks a failed lock with mtime 1 (git does not keep mtimes).
    os.utime(dest / "locks" / f"{k('failed')}.lock", (1, 1))
    return file_store(dest)


def test_load_everything_the_original_wrote(orig_copy):
    expected = expected_objects()
    assert sorted(map(as_key, orig_copy.list())) == sorted(k(n) for n in expected)
    for name, obj in expected.items():
        check_equal(name, obj, orig_copy.load(k(name)))
    assert orig_copy.can_load_many([k(n) for n in expected]) == {k(n) for n in expected}


def test_original_lock_files_are_locks(orig_copy):
    assert sorted(map(as_key, orig_copy.listlocks())) == sorted([k("running"), k("failed")])
    infos = orig_copy.lock_infos()
    assert infos[k("failed")].state() == "failed"
    assert orig_copy.getlock(k("failed")).is_failed()
    running = infos[k("running")]
    assert running.state() == "running"  # its mtime (the copy's) is recent
    assert running.pid > 0 and running.host
    assert running.lease == orig_copy.lease
    assert not orig_copy.getlock(k("running")).get()
    assert not orig_copy.getlock(k("failed")).get()


def test_old_original_lock_is_reclaimed(orig_copy):
    path = os.path.join(orig_copy.jugdir, "locks", k("running") + ".lock")
    then = time.time() - 2 * orig_copy.lease
    os.utime(path, (then, then))
    assert orig_copy.lock_infos()[k("running")].state() == "stale"
    lock = orig_copy.getlock(k("running"))
    assert lock.get()
    assert lock.info().token


# -- the bytes we write ---------------------------------------------------------------------


def test_none_is_an_empty_file(fstore):
    fstore.dump(None, k("none"))
    assert raw(fstore, "none") == b""


def test_plain_arrays_are_raw_npy(fstore, tmp_path):
    for name, arr in {
        "arr": np.arange(5),
        "arr0d": np.array(3.5),
        "noncontig": np.arange(20).reshape(4, 5)[:, ::2],
        "fortran": np.asfortranarray(np.ones((3, 4))),
        "record": np.zeros(2, dtype=[("a", "<i4")]),
    }.items():
        fstore.dump(arr, k(name))
        data = raw(fstore, name)
        assert data.startswith(b"\x93NUMPY")
        path = tmp_path / f"{name}.npy"
        path.write_bytes(data)
        back = np.load(path, allow_pickle=False)
        assert back.dtype == arr.dtype and back.tolist() == arr.tolist()


def test_objects_are_zlib_tagged_pickles(fstore):
    objs = {
        "int": 3,
        "dict": {"a": [1]},
        "arrobj": np.array([None, 1], dtype=object),
        "masked": np.ma.array([1, 2], mask=[0, 1]),
    }
    for name, obj in objs.items():
        fstore.dump(obj, k(name))
        payload = zlib.decompress(raw(fstore, name))
        assert payload[:1] == b"P"
        assert payload[1:3] == b"\x80\x05"  # pickle protocol 5
        back = pickle.loads(payload[1:])
        assert repr(back) == repr(obj)


def test_compress_numpy_is_zlib_tagged_npy(tmp_path):
    store = file_store(tmp_path / "c.jugdata", compress_numpy=True)
    store.dump(np.arange(4), k("a"))
    payload = zlib.decompress(raw(store, "a"))
    assert payload.startswith(b"N\x93NUMPY")
    assert store.load(k("a")).tolist() == [0, 1, 2, 3]


# -- live, with the original installed ----------------------------------------------------------


@needs_original
def test_original_reads_what_we_write(fstore, python_run):
    objs = expected_objects()
    for name, obj in objs.items():
        fstore.dump(obj, k(name))
    lock = fstore.getlock(k("failed"))
    assert lock.get() and lock.fail("Traceback: boom")
    assert fstore.getlock(k("running")).get()
    proc = python_run(
        """
        import hashlib, sys
        import numpy as np
        from jug.backends.file_store import file_store
        s = file_store(sys.argv[1])
        for name in sys.argv[2].split(","):
            obj = s.load(hashlib.sha1(name.encode()).hexdigest())
            if isinstance(obj, list):
                obj = [a.tolist() for a in obj]
            elif isinstance(obj, np.ndarray):
                obj = (type(obj).__name__, str(obj.dtype), obj.tolist())
            print(name, repr(obj))
        fl = s.getlock(hashlib.sha1(b"failed").hexdigest())
        rl = s.getlock(hashlib.sha1(b"running").hexdigest())
        print("failed", fl.is_failed(), "running", rl.is_locked(), rl.is_failed())
        print("locks", len(list(s.listlocks())), "results", len(list(s.list())))
        """,
        fstore.jugdir,
        ",".join(objs),
        python=ORIGINAL,
    )
    lines = dict(line.split(" ", 1) for line in proc.stdout.splitlines())
    assert lines["none"] == "None"
    assert lines["int"] == "3"
    assert lines["dict"] == repr({"a": [1, 2], "b": (3.5, None)})
    assert lines["list_of_array"] == "[[0, 1, 2]]"
    assert lines["arr_noncontig"] == repr(
        ("ndarray", "int64", [[0, 2, 4], [5, 7, 9], [10, 12, 14], [15, 17, 19]])
    )
    assert lines["arr_record"].startswith("('ndarray',")
    assert lines["masked"].startswith("('MaskedArray',")
    assert lines["failed"] == "True running True False"
    assert lines["locks"] == f"2 results {len(objs)}"


@needs_original
def test_we_read_what_the_original_writes_now(tmp_path, python_run):
    jugdir = tmp_path / "o.jugdata"
    python_run(
        f"""
        import shutil, sys
        sys.path.insert(0, {DATA!r})
        import make_orig_fixtures as m
        from jug.backends.file_store import file_store
        s = file_store(sys.argv[1])
        for name, obj in m.objects().items():
            s.dump(obj, m.key(name))
        l = s.getlock(m.key("failed")); l.get(); l.fail()
        """,
        str(jugdir),
        python=ORIGINAL,
    )
    store = file_store(jugdir)
    expected = expected_objects()
    del expected["arr_compressed"]
    for name, obj in expected.items():
        check_equal(name, obj, store.load(k(name)))
    assert store.getlock(k("failed")).is_failed()
    assert store.lock_infos()[k("failed")].state() == "failed"


@needs_original
def test_original_dict_store_reads_our_file(tmp_path, python_run):
    from jug.backends.dict_store import dict_store

    path = tmp_path / "r.pickle"
    ours = dict_store(path)
    ours.dump({"a": np.arange(3)}, k("a"))
    ours.close()
    proc = python_run(
        """
        import sys
        from jug.backends.dict_store import dict_store
        s = dict_store(sys.argv[1])
        v = s.load(sys.argv[2])
        print(v["a"].tolist(), s.can_load(sys.argv[2]))
        """,
        str(path),
        k("a"),
        python=ORIGINAL,
    )
    assert proc.stdout.strip() == "[0, 1, 2] True"


@needs_original
def test_original_dict_store_reads_our_file_with_records(tmp_path, python_run):
    from jug.backends.dict_store import dict_store

    path = tmp_path / "r.pickle"
    ours = dict_store(path)
    lock = ours.getlock(k("a"))
    assert lock.get()
    ours.dump_and_release([1, 2], k("a"), lock, (RecordContext({"host": "n1"}), 10**9, 10**9, 7))
    ours.close()
    proc = python_run(
        """
        import sys
        from jug.backends.dict_store import dict_store
        s = dict_store(sys.argv[1])
        print(s.load(sys.argv[2]), sorted(s.list()))
        """,
        str(path),
        k("a"),
        python=ORIGINAL,
    )
    assert proc.stdout.strip() == f"[1, 2] [b'{k('a')}']"
    assert dict_store(path).record(k("a")) == {
        "host": "n1",
        "started": 1.0,
        "ended": 2.0,
        "duration": 1.0,
        "peak_rss": 7,
    }


@needs_original
def test_original_cleanup_keeps_the_record_logs(fstore, python_run):
    for i, name in enumerate(("keep", "drop")):
        lock = fstore.getlock(k(name))
        assert lock.get()
        fstore.dump_and_release(name, k(name), lock, record(i))
    fstore.close()
    python_run(
        """
        import sys
        from jug.backends.file_store import file_store

        class Active:
            def __init__(self, h): self.h = h
            def hash(self): return self.h.encode()

        s = file_store(sys.argv[1])
        s.cleanup([Active(sys.argv[2])])
        """,
        fstore.jugdir,
        k("keep"),
        python=ORIGINAL,
    )
    store = file_store(fstore.jugdir)
    assert sorted(map(as_key, store.list())) == [k("keep")]
    assert store.records([k("keep")]) == {k("keep"): record_dict(record(0))}
