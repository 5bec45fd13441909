"""Compatibility with the original jug's redis store, both ways.

``data/orig_redis.json`` holds the raw values the original jug 2.7 wrote to redis
(``data/make_orig_redis_fixtures.py``): the same objects as the file-store fixtures in
``data/orig_store``, so each result must load equal to its file-store twin. When the original
is installed (``/tmp/origjug`` or ``$JUG_ORIGINAL_PYTHON``) we also check live that it reads
what we write and that we read what it writes now.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import pickle
import subprocess
import sys
import zlib

import numpy as np
import pytest

from jug.backends.file_store import file_store
from jug.backends.redis_store import redis_store
from jug.store import as_key, record_dict
from jug.testing.store_contract import record

DATA = os.path.join(os.path.dirname(__file__), "data")
ORIGINAL = os.environ.get("JUG_ORIGINAL_PYTHON", "/tmp/origjug/bin/python")


def _original_with_redis() -> bool:
    """Whether the original jug is installed here, with the redis package it needs."""
    if not os.path.exists(ORIGINAL):
        return False
    probe = [ORIGINAL, "-c", "import redis, jug.backends.redis_store"]
    return subprocess.run(probe, capture_output=True, timeout=60).returncode == 0


needs_original = pytest.mark.skipif(
    not _original_with_redis(),
    reason="the original jug is not installed here with the redis package "
    f"({ORIGINAL} -m pip install redis)",
)
pytestmark = pytest.mark.requires_redis


def k(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


def same(a, b) -> bool:
    """Deep equality that understands numpy arrays (dtype, shape, mask and values)."""
    if isinstance(a, np.ndarray):
        if type(a) is not type(b) or a.dtype != b.dtype or a.shape != b.shape:
            return False
        if isinstance(a, np.ma.MaskedArray):
            return a.mask.tolist() == b.mask.tolist() and a.data.tolist() == b.data.tolist()
        return a.tolist() == b.tolist()
    if isinstance(a, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return type(b) is dict and a.keys() == b.keys() and all(same(a[x], b[x]) for x in a)
    return type(a) is type(b) and a == b


@pytest.fixture
def fixtures():
    with open(os.path.join(DATA, "orig_redis.json")) as f:
        return json.load(f)


@pytest.fixture
def orig_server(redis_server, fixtures):
    """A server holding exactly what the original wrote."""
    client = redis_server.client()
    for name, value in fixtures.items():
        client.set(name, value.encode("ascii"))
    return redis_server


def test_load_everything_the_original_wrote(orig_server, fixtures):
    store = redis_store(orig_server.url)
    twins = file_store(os.path.join(DATA, "orig_store"))
    results = sorted(n.split(":", 1)[1] for n in fixtures if n.startswith("result:"))
    assert len(results) >= 10
    assert sorted(map(as_key, store.list())) == results
    assert store.can_load_many(results) == set(results)
    for key in results:
        assert same(twins.load(key), store.load(key)), key


def test_original_locks_are_understood(orig_server):
    store = redis_store(orig_server.url)
    store.lease = 30.0
    assert sorted(map(as_key, store.listlocks())) == sorted([k("running"), k("failed")])
    infos = store.lock_infos()
    assert infos[k("failed")].state() == "failed"
    assert store.getlock(k("failed")).is_failed()
    assert infos[k("running")].state() == "running"
    assert not store.getlock(k("running")).is_failed()
    # Neither is taken; the original's running lock (which never expires) gets our lease,
    # so that a dead original worker cannot block the task forever.
    assert not store.getlock(k("running")).get()
    assert not store.getlock(k("failed")).get()
    client = orig_server.client()
    assert 0 < client.pttl(f"lock:{k('running')}") <= 30_000
    assert client.pttl(f"lock:{k('failed')}") == -1
    store.getlock(k("failed")).force_release()
    assert store.getlock(k("failed")).get()


def test_original_locks_and_lock_unless_done(orig_server):
    """What a worker of ours does before running a task, on the original's locks."""
    store = redis_store(orig_server.url)
    store.lease = 30.0
    client = orig_server.client()
    for name in ("running", "failed"):
        assert store.lock_unless_done(k(name), store.getlock(k(name))) == "held"
    # As with get(): the original's running lock gets our lease, the failed mark stays.
    assert 0 < client.pttl(f"lock:{k('running')}") <= 30_000
    assert client.get(f"lock:{k('failed')}") == b"F"
    assert client.pttl(f"lock:{k('failed')}") == -1
    # An original worker that saved its result and has not yet released its lock: done.
    store.dump(3, k("running"))
    assert store.lock_unless_done(k("running"), store.getlock(k("running"))) == "done"
    assert client.get(f"lock:{k('running')}") == b"L"  # not ours to remove


def test_our_values_have_the_original_layout(redis_server):
    store = redis_store(redis_server.url)
    store.dump({"a": 1}, k("obj"))
    store.dump(np.arange(4), k("arr"))
    store.dump(None, k("none"))
    client = redis_server.client()
    payload = zlib.decompress(base64.b64decode(client.get(f"result:{k('obj')}")))
    assert payload.startswith(b"P")
    payload = zlib.decompress(base64.b64decode(client.get(f"result:{k('arr')}")))
    assert payload.startswith(b"N\x93NUMPY")
    assert client.get(f"result:{k('none')}") == b""
    # A large array whose bytes do not compress is stored without compressing, in the
    # same format (a zlib stream of stored blocks), so that saving it is fast.
    noise = np.random.default_rng(0).random(300_000)
    store.dump(noise, k("noise"))
    stream = base64.b64decode(client.get(f"result:{k('noise')}"))
    assert stream[:2] == b"\x78\x01"  # zlib header of level 0
    assert zlib.decompress(stream).startswith(b"N\x93NUMPY")
    assert np.array_equal(store.load(k("noise")), noise)
    ramp = np.arange(300_000.0)  # compressible: compressed as usual
    store.dump(ramp, k("ramp"))
    assert len(client.get(f"result:{k('ramp')}")) < ramp.nbytes / 2
    assert store.getlock(k("t")).get()
    record = json.loads(client.get(f"lock:{k('t')}"))
    assert record["token"] and record["lease"] == store.lease


# -- live, with the original installed ----------------------------------------------------------


@needs_original
def test_original_reads_what_we_write(redis_server, python_run):
    store = redis_store(redis_server.url)
    objs = {
        "int": 3,
        "dict": {"a": [1, 2], "b": (3.5, None)},
        "none": None,
        "arr": np.arange(6.0).reshape(2, 3),
        "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        "masked": np.ma.array([1, 2], mask=[0, 1]),
        # Large and incompressible: stored as an uncompressed zlib stream.
        "random": np.random.default_rng(1).random(300_000),
    }
    for name, obj in objs.items():
        store.dump(obj, k(name))
    proc = python_run(
        """
        import hashlib, pickle, sys
        from jug.backends.redis_store import redis_store
        s = redis_store(sys.argv[1])
        names = sys.argv[2:]
        out = {n: s.load(hashlib.sha1(n.encode()).hexdigest()) for n in names}
        print(pickle.dumps(out).hex())
        """,
        redis_server.url + "/",
        *objs,
        python=ORIGINAL,
    )
    loaded = pickle.loads(bytes.fromhex(proc.stdout.strip()))
    for name, obj in objs.items():
        assert same(obj, loaded[name]), name


@needs_original
def test_we_read_what_the_original_writes(redis_server, python_run):
    python_run(
        """
        import sys
        import numpy as np
        from jug.backends.redis_store import redis_store
        s = redis_store(sys.argv[1])
        s.dump({"x": [1, 2]}, "a" * 40)
        s.dump(np.arange(5), "b" * 40)
        s.dump(None, "c" * 40)
        l = s.getlock("d" * 40); l.get(); l.fail()
        s.getlock("e" * 40).get()
        """,
        redis_server.url + "/",
        python=ORIGINAL,
    )
    store = redis_store(redis_server.url)
    assert store.load("a" * 40) == {"x": [1, 2]}
    assert store.load("b" * 40).tolist() == [0, 1, 2, 3, 4]
    assert store.load("c" * 40) is None
    assert store.getlock("d" * 40).is_failed()
    infos = store.lock_infos()
    assert infos["d" * 40].state() == "failed"
    assert infos["e" * 40].state() == "running"


@needs_original
def test_original_and_ours_share_a_project(redis_server, tmp_path):
    """Results computed by one implementation are complete for the other's `jug execute`."""
    (tmp_path / "jugfile.py").write_text(
        "from jug import TaskGenerator\n"
        "@TaskGenerator\n"
        "def double(x):\n"
        "    open('runs.txt', 'a').write('double\\n')\n"
        "    return 2 * x\n"
        "@TaskGenerator\n"
        "def add(a, b):\n"
        "    open('runs.txt', 'a').write('add\\n')\n"
        "    return a + b\n"
        "r = add(double(0), double(1))\n"
    )
    url = redis_server.url + "/"
    ours = [sys.executable, "-m", "jug"]
    theirs = [os.path.join(os.path.dirname(ORIGINAL), "jug")]

    def run(cmd, sub):
        done = subprocess.run(
            [*cmd, sub, "jugfile.py", "--jugdir", url],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return (tmp_path / "runs.txt").read_text().split()

    assert len(run(ours, "execute")) == 3
    assert len(run(theirs, "execute")) == 3  # the original found all three results
    store = redis_store(redis_server.url)
    for key in list(store.list()):
        store.remove(key)
    assert len(run(theirs, "execute")) == 6
    assert len(run(ours, "execute")) == 6  # and we find what the original wrote
    assert len(run(ours, "check")) == 6
    assert store.load("be86b5f21d3e48d26efafa8694cb42ffcb9b26d5") == 2


@needs_original
def test_original_cleanup_keeps_our_records(redis_server, python_run):
    store = redis_store(redis_server.url)
    for i, name in enumerate(("keep", "drop")):
        lock = store.getlock(k(name))
        assert lock.get()
        store.dump_and_release(name, k(name), lock, record(i))
    python_run(
        """
        import sys
        from jug.backends.redis_store import redis_store

        class Active:
            def __init__(self, h): self.h = h
            def hash(self): return self.h.encode()

        s = redis_store(sys.argv[1])
        # The test servers refuse KEYS (which the original's cleanup sends): the same
        # answer through SCAN.
        s.redis.keys = lambda pattern: list(s.redis.scan_iter(pattern))
        print(s.cleanup([Active(sys.argv[2])]))
        """,
        redis_server.url,
        k("keep"),
        python=ORIGINAL,
    )
    assert sorted(map(as_key, store.list())) == [k("keep")]
    # The original deleted only results: both records are still there; ours drops the other.
    assert store.records([k("keep"), k("drop")]) == {
        k("keep"): record_dict(record(0)),
        k("drop"): record_dict(record(1)),
    }
    store.cleanup([k("keep")])
    assert store.records() == {k("keep"): record_dict(record(0))}
