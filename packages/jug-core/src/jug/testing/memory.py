"""Testing in the test's own process: an in-memory store, and tasks in real modules.

:class:`MemoryStore` is the reference store: it keeps results and lease records in
dictionaries and follows the whole :class:`jug.store.Store` contract, so tasks can be built,
run (:func:`run_all`, or :func:`jug.execution.execute`) and inspected in a unit test;
:func:`memory_store` installs a fresh one around a block. :func:`scratch_modules` writes
functions to real modules, so tasks can pickle and hash them by name::

    from jug import TaskGenerator
    from jug.testing import memory_store, run_all

    @TaskGenerator
    def double(x):
        return 2 * x

    with memory_store():
        t = double(2)
        run_all()
        assert t.value() == 4
"""

from __future__ import annotations

import builtins
import contextlib
import importlib
import os
import pickle
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import ModuleType

from jug.signing import open_stored
from jug.store import (
    Lock,
    LockInfo,
    Record,
    Store,
    active_keys,
    as_key,
    record_dict,
    signer_of,
)
from jug.task import Task, alltasks

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["MemoryStore", "memory_store", "run_all", "scratch_modules"]


class MemoryStore(Store):
    """The reference store: results and lease records in dictionaries, in this process.

    It keeps the whole :class:`jug.store.Store` contract in the plainest way (one mutex
    around every operation), and passes :mod:`jug.testing.store_contract`; read it as a
    model when writing a backend. Results are kept pickled, as a real store would, so a
    result that cannot be pickled fails here too.

    Attributes
    ----------
    results : dict
        Key → pickled result.
    locks : dict
        Key → :class:`~jug.store.LockInfo` of each lock and failed mark.
    records_kept : dict
        Key → the record of each result, kept as given (:data:`jug.store.Record`: its
        context is shared with the other records of the run that made it).
    """

    keeps_records = True
    signs_results = True

    def __init__(self) -> None:
        self.results: dict[str, bytes] = {}
        self.locks: dict[str, LockInfo] = {}
        self.records_kept: dict[str, Record] = {}
        self.mutex = threading.RLock()

    def __repr__(self) -> str:
        return f"MemoryStore({len(self.results)} results, {len(self.locks)} locks)"

    def dump(self, obj: Any, key: str | bytes) -> None:
        data = pickle.dumps(obj, protocol=5)  # before taking the mutex: it may raise
        if self.signer is not None:  # signed results: the MAC in front (jug.signing)
            data = self.signer.seal(as_key(key), data)
        with self.mutex:
            self.results[as_key(key)] = data
            self.records_kept.pop(as_key(key), None)  # it described the replaced result

    def dump_and_release(
        self, obj: Any, key: str | bytes, lock: Lock, record: Record | None = None
    ) -> None:
        data = pickle.dumps(obj, protocol=5)  # may raise: nothing changes
        if self.signer is not None:
            data = self.signer.seal(as_key(key), data)
        with self.mutex:
            self.results[as_key(key)] = data
            if record is None:
                self.records_kept.pop(as_key(key), None)
            else:
                self.records_kept[as_key(key)] = record
            lock.release()

    def records(self, keys: Iterable[str | bytes] | None = None) -> dict[str, dict[str, Any]]:
        with self.mutex:
            kept = self.records_kept
            wanted = builtins.list(kept) if keys is None else map(as_key, keys)
            return {k: record_dict(kept[k]) for k in wanted if k in kept}

    def load(self, key: str | bytes) -> Any:
        with self.mutex:
            data = self.results[as_key(key)]
        # Checked before anything is unpickled (a key-less store skips the header).
        return pickle.loads(open_stored(self.signer, as_key(key), data))

    def signature_states(self, keys: Iterable[str | bytes] | None = None) -> dict[str, Any]:
        signer = signer_of(self)
        with self.mutex:
            results = dict(self.results)
        wanted = results if keys is None else map(as_key, keys)
        return {k: signer.state(k, results[k]) for k in wanted if k in results}

    def sign(self, names: Iterable[str]) -> int:
        signer = signer_of(self)
        done = 0
        with self.mutex:
            for key in map(as_key, names):
                data = self.results.get(key)
                if data is not None:
                    self.results[key] = signer.seal(key, open_stored(None, key, data))
                    done += 1
        return done

    def can_load(self, key: str | bytes) -> bool:
        return as_key(key) in self.results

    def remove(self, key: str | bytes) -> bool:
        with self.mutex:
            self.records_kept.pop(as_key(key), None)
            return self.results.pop(as_key(key), None) is not None

    def cleanup(self, active: Iterable[Any], keeplocks: bool = False) -> int:
        keep = active_keys(active)
        with self.mutex:
            for k in [k for k in self.records_kept if k not in keep]:
                del self.records_kept[k]
        return super().cleanup(keep, keeplocks)

    def list(self) -> Iterator[bytes]:
        with self.mutex:
            return iter([key.encode("ascii") for key in self.results])

    def getlock(self, key: str | bytes) -> MemoryLock:
        return MemoryLock(self, as_key(key))

    def listlocks(self) -> builtins.list[bytes]:
        with self.mutex:
            return [key.encode("ascii") for key in self.locks]

    def remove_locks(self) -> int:
        with self.mutex:
            n = len(self.locks)
            self.locks.clear()
        return n

    def can_load_many(self, keys: Iterable[str | bytes]) -> set[str]:
        with self.mutex:
            return {k for k in map(as_key, keys) if k in self.results}

    def lock_infos(self) -> dict[str, LockInfo]:
        with self.mutex:
            return {k: v.copy() for k, v in self.locks.items()}


class MemoryLock(Lock):
    """One task's lease in a :class:`MemoryStore`."""

    def __init__(self, store: MemoryStore, key: str) -> None:
        self.store = store
        self.key = key
        self.token: str | None = None

    def __repr__(self) -> str:
        return f"MemoryLock({self.key!r})"

    def _held(self) -> LockInfo | None:
        """The record, if this object holds the lock (call with the mutex held)."""
        info = self.store.locks.get(self.key)
        if info is not None and self.token is not None and info.token == self.token:
            return info
        return None

    def get(self) -> bool:
        with self.store.mutex:
            if self._held() is not None:
                return False  # held already: a second get() must not succeed
            current = self.store.locks.get(self.key)
            if current is not None and not current.is_stale():
                return False
            info = LockInfo.new(self.store.lease)
            self.store.locks[self.key] = info
            self.token = info.token
            return True

    def release(self) -> None:
        with self.store.mutex:
            info = self._held()
            if info is not None and not info.failed:
                del self.store.locks[self.key]
            self.token = None

    def refresh(self) -> bool:
        with self.store.mutex:
            info = self._held()
            if info is None or info.failed:
                return False
            info.heartbeat = time.time()
            return True

    def fail(self, error: str = "") -> bool:
        with self.store.mutex:
            info = self._held()
            if info is None:
                return False
            info.failed = True
            info.error = error
            info.failed_at = time.time()
            self.token = None
            return True

    def force_release(self) -> None:
        with self.store.mutex:
            self.store.locks.pop(self.key, None)
            self.token = None

    def is_locked(self) -> bool:
        return self.key in self.store.locks

    def is_failed(self) -> bool:
        info = self.store.locks.get(self.key)
        return info is not None and info.failed

    def info(self) -> LockInfo | None:
        with self.store.mutex:
            info = self.store.locks.get(self.key)
            return None if info is None else info.copy()


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


@contextlib.contextmanager
def memory_store() -> Iterator[MemoryStore]:
    """Install a fresh :class:`MemoryStore` as the tasks' store for the ``with`` block.

    The list of defined tasks (``jug.task.alltasks``) is emptied on the way in and on the
    way out, and the previous store is put back, so tests do not see each other's tasks.

    Yields
    ------
    MemoryStore
        The store that tasks created inside the block save their results in.

    Examples
    --------
    A pytest fixture::

        @pytest.fixture
        def store():
            with memory_store() as s:
                yield s
    """
    saved = Task.store
    del alltasks[:]
    store = MemoryStore()
    Task.store = store
    try:
        yield store
    finally:
        Task.store = saved
        del alltasks[:]


@contextlib.contextmanager
def scratch_modules(
    directory: str | os.PathLike[str],
) -> Iterator[Callable[[str, str], ModuleType]]:
    """Write Python modules into *directory* and import them, for the ``with`` block.

    Task functions are pickled and hashed by their module and name, so a test that defines
    tasks needs them in a real, importable module rather than in a string given to ``exec``.

    Parameters
    ----------
    directory : path-like
        Where the module files go (a test's temporary directory). It is put first on
        ``sys.path`` for the block.

    Yields
    ------
    callable
        ``make(name, source)``: writes *source* (dedented) to ``NAME.py``, imports it anew
        and returns the module. Modules made this way are forgotten (removed from
        ``sys.modules``) after the block, and *directory* leaves ``sys.path``.
    """
    where = os.fspath(directory)
    sys.path.insert(0, where)
    importlib.invalidate_caches()
    created: builtins.list[str] = []

    def make(name: str, source: str) -> ModuleType:
        Path(where, f"{name}.py").write_text(textwrap.dedent(source))
        sys.modules.pop(name, None)
        created.append(name)
        importlib.invalidate_caches()
        return importlib.import_module(name)

    try:
        yield make
    finally:
        for name in created:
            sys.modules.pop(name, None)
        with contextlib.suppress(ValueError):
            sys.path.remove(where)
