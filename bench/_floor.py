"""The floors: plain-Python loops doing only the work a scenario cannot avoid.

No framework: per task a minimal task object (the jugfile builds one per task) and a SHA-1 of
its function name and pickled argument (the task's identity), and the store work any
correct implementation does: for the file store an ``O_EXCL`` lock file, the result written
to a temporary file, fsynced and renamed into place, the lock removed; for redis the lock
``SET NX``, the result ``SET`` and the lock ``DEL``. The process start is added by the caller
(``Context.startup_floor``).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import time
from pathlib import Path
from typing import Any


class _Task:
    __slots__ = ("args", "name")

    def __init__(self, name: str, args: tuple[Any, ...]) -> None:
        self.name = name
        self.args = args


def _key(i: int) -> str:
    task = _Task("bench.double", (i,))
    return hashlib.sha1(task.name.encode() + pickle.dumps(task.args)).hexdigest()


def hashes(n: int) -> float:
    """Seconds to compute *n* task identities."""
    t0 = time.perf_counter()
    for i in range(n):
        _key(i)
    return time.perf_counter() - t0


def engine(n: int) -> float:
    """*n* trivial tasks into a dict: hash, call, pickle, store."""
    store: dict[str, bytes] = {}

    def double(x: int) -> int:
        return 2 * x

    t0 = time.perf_counter()
    for i in range(n):
        store[_key(i)] = pickle.dumps(double(i))
    return time.perf_counter() - t0


def file_execute(n: int, jugdir: Path) -> float:
    """*n* results written durably, each under an ``O_EXCL`` lock file."""
    jugdir.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    t0 = time.perf_counter()
    made: set[str] = set()
    for i in range(n):
        key = _key(i)
        shard = os.path.join(jugdir, key[:2])
        if key[:2] not in made:
            os.makedirs(shard, exist_ok=True)
            made.add(key[:2])
        lock = os.path.join(shard, key[2:] + ".lock")
        fd = os.open(lock, flags, 0o666)
        os.write(fd, b'{"pid": 1}')
        os.close(fd)
        tmp = os.path.join(shard, "." + key[2:] + ".tmp")
        fd = os.open(tmp, flags, 0o666)
        os.write(fd, pickle.dumps(2 * i))
        os.fsync(fd)
        os.close(fd)
        os.rename(tmp, os.path.join(shard, key[2:]))
        os.unlink(lock)
    return time.perf_counter() - t0


def listing(jugdir: Path) -> float:
    """One listing of every shard directory (what status and a rerun need)."""
    t0 = time.perf_counter()
    found = 0
    with os.scandir(jugdir) as it:
        for entry in it:
            if entry.is_dir():
                found += len(os.listdir(entry.path))
    return time.perf_counter() - t0


def status(n: int, jugdir: Path) -> float:
    """Identify *n* tasks and see which results exist."""
    t0 = time.perf_counter()
    keys = {_key(i) for i in range(n)}
    present: set[str] = set()
    if jugdir.exists():
        with os.scandir(jugdir) as it:
            for entry in it:
                if entry.is_dir():
                    present.update(entry.name + name for name in os.listdir(entry.path))
    _ = len(keys & present)
    return time.perf_counter() - t0


def redis_execute(n: int, client: Any) -> float:
    """*n* tasks on redis through redis-py: lock, result, unlock (one round trip each)."""
    t0 = time.perf_counter()
    for i in range(n):
        key = _key(i)
        client.set("lock:" + key, b"1", nx=True, ex=600)
        client.set("result:" + key, pickle.dumps(2 * i))
        client.delete("lock:" + key)
    return time.perf_counter() - t0
