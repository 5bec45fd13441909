"""Helpers for testing code that uses jug, without any backend package installed.

:class:`MemoryStore` keeps results and lease records in a dict of the current process.
It follows the full :class:`jug.store.Store` contract, so a jugfile's tasks can be run and
inspected in a unit test::

    from jug.testing import MemoryStore, run_all
    store = MemoryStore()
    jug.set_jugdir(store)
    ...build tasks...
    run_all()
"""

from __future__ import annotations

import builtins
import copy
import pickle
import time
from collections.abc import Iterable, Iterator
from typing import Any

from .store import Lock, LockInfo, Store, as_key
from .task import Task, alltasks

__all__ = ["MemoryStore", "run_all"]


class _MemoryLock(Lock):
    def __init__(self, store: MemoryStore, key: str) -> None:
        self.store = store
        self.key = key
        self.token: str | None = None

    def _held(self) -> LockInfo | None:
        info = self.store.locks.get(self.key)
        if info is not None and self.token is not None and info.token == self.token:
            return info
        return None

    def get(self) -> bool:
        current = self.store.locks.get(self.key)
        if current is not None and not current.is_stale():
            return False
        info = LockInfo.new(self.store.lease)
        self.store.locks[self.key] = info
        self.token = info.token
        return True

    def release(self) -> None:
        if self._held() is not None:
            del self.store.locks[self.key]
        self.token = None

    def force_release(self) -> None:
        self.store.locks.pop(self.key, None)
        self.token = None

    def is_locked(self) -> bool:
        return self.key in self.store.locks

    def fail(self, error: str = "") -> bool:
        info = self._held()
        if info is None:
            return False
        info.failed = True
        info.error = error
        info.failed_at = time.time()
        self.token = None
        return True

    def is_failed(self) -> bool:
        info = self.store.locks.get(self.key)
        return info is not None and info.failed

    def refresh(self) -> bool:
        info = self._held()
        if info is None:
            return False
        info.heartbeat = time.time()
        return True

    def info(self) -> LockInfo | None:
        return self.store.locks.get(self.key)


class MemoryStore(Store):
    """An in-process store: results are kept pickled, as a real store would."""

    def __init__(self) -> None:
        self.results: dict[str, bytes] = {}
        self.locks: dict[str, LockInfo] = {}

    def dump(self, obj: Any, key: str | bytes) -> None:
        self.results[as_key(key)] = pickle.dumps(obj, protocol=5)

    def load(self, key: str | bytes) -> Any:
        return pickle.loads(self.results[as_key(key)])

    def can_load(self, key: str | bytes) -> bool:
        return as_key(key) in self.results

    def remove(self, key: str | bytes) -> bool:
        return self.results.pop(as_key(key), None) is not None

    def list(self) -> Iterator[str]:
        return iter(builtins.list(self.results))

    def getlock(self, key: str | bytes) -> Lock:
        return _MemoryLock(self, as_key(key))

    def listlocks(self) -> builtins.list[str]:
        return builtins.list(self.locks)

    def remove_locks(self) -> int:
        n = len(self.locks)
        self.locks.clear()
        return n

    def lock_infos(self) -> dict[str, LockInfo]:
        return {k: copy.copy(v) for k, v in self.locks.items()}

    def can_load_many(self, keys: Iterable[str | bytes]) -> set[str]:
        return {k for k in map(as_key, keys) if k in self.results}


def run_all(tasks: Iterable[Task] | None = None) -> int:
    """Run every task (default: all defined so far) in dependency order; return how many ran.

    A simple sequential executor for tests: no locks, no waiting.
    """
    todo = builtins.list(alltasks if tasks is None else tasks)
    ran = 0
    progress = True
    while todo and progress:
        progress = False
        rest = []
        for t in todo:
            if t.can_load():
                continue
            if t.can_run():
                t.run()
                ran += 1
                progress = True
            else:
                rest.append(t)
        todo = rest
    if todo:
        raise RuntimeError(f"{len(todo)} tasks could not run (missing dependencies)")
    return ran
