"""The dict store: results kept in memory, optionally saved to and loaded from one file.

``--jugdir=dict_store`` keeps everything in the process (for tests, notebooks and tiny
projects). ``--jugdir=dict_store:FILE`` loads FILE when the store is opened, if it exists,
and saves to it:

* on :meth:`dict_store.close` (``jug execute`` closes its store when it finishes),
* when the interpreter exits normally (an :mod:`atexit` hook), and
* whenever :meth:`dict_store.save` is called.

Saving after every ``dump`` would rewrite the whole file once per task, so it is not done: a
process killed with SIGKILL loses the results computed since the last save. Saving writes a
temporary file next to FILE, fsyncs it and renames it over FILE, so FILE is always a complete
snapshot. Two processes writing the same FILE do not merge: the last save wins.

The file is a pickle of a dict in the original jug's layout (``b'result:KEY'`` → pickled
value), which the original jug can open too, plus this store's failed marks under
``b'jug-failed:KEY'`` and the results' records (:mod:`jug.execution.records`) under
``b'jug-records'``: ``{"contexts": [JSON text, ...], "records": {KEY: (context index,
started, duration, peak_rss)}}``, plain data (the original unpickles it, and ignores it).
Running locks are not saved: when FILE is loaded, whoever held them is gone.

Locks behave as in every jug store (owner token, lease, failed marks) but, the store being
private to one process, they only coordinate threads and objects within that process.
"""

from __future__ import annotations

import atexit
import builtins
import os
import pickle
import struct
import threading
import time
import weakref
from collections.abc import Iterable, Iterator

from jug.atomic import write_atomically
from jug.errors import InvalidJugdirError, StoreError
from jug.store import (
    Lock,
    LockInfo,
    LockOutcome,
    Record,
    RecordContext,
    Store,
    active_keys,
    as_key,
    record_dict,
    signer_of,
)

from .encode import PICKLE_PROTOCOL, checked

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["base_lock", "base_store", "dict_lock", "dict_store", "from_jugdir"]

# Looked up once: reading a member of an Enum class costs ~0.1 us (Python 3.11), per task.
_LOCKED, _DONE, _HELD = LockOutcome.LOCKED, LockOutcome.DONE, LockOutcome.HELD

_RESULT = b"result:"
_FAILED = b"jug-failed:"
_OLD_LOCK = b"lock:"
_RECORDS = b"jug-records"

# A record is kept as a row of bytes: its context's number, its start, its duration and the
# peak memory. Not as its tuple: an object the garbage collector tracks, kept per task, makes
# it collect ever more often (100,000 trivial tasks: 8 times the collections, one of them a
# full one over every task), which cost more than the rest of the record.
_ROW = struct.Struct("=qqqq")
_pack_row, _unpack_row = _ROW.pack, _ROW.unpack


class dict_store(Store):
    """An in-memory store, optionally persisted to the file *backend*.

    Parameters
    ----------
    backend : str or path, optional
        File to load from (if it exists) and save to. ``None`` keeps results in memory only.

    Attributes
    ----------
    backend : str or None
        The file, if any.
    lease : float
        Lease length (seconds) recorded in locks taken from now on.
    """

    keeps_records = True
    signs_results = True

    def __init__(self, backend: str | os.PathLike[str] | None = None) -> None:
        self.backend = None if backend is None else os.fspath(backend)
        self._results: dict[str, bytes] = {}
        # Key -> its record, as a row (see _ROW) numbering its context in self._contexts.
        self._records: dict[str, bytes] = {}
        self._contexts: builtins.list[RecordContext] = []
        self._context_numbers: dict[RecordContext, int] = {}
        self._locks: dict[str, LockInfo] = {}
        self._mutex = threading.RLock()
        self._dirty = False
        if self.backend is not None:
            if os.path.isdir(self.backend):
                raise StoreError(f"dict_store file {self.backend!r} is a directory")
            if os.path.exists(self.backend):
                self._read(self.backend)
            elif not os.path.isdir(os.path.dirname(os.path.abspath(self.backend))):
                # Fail now rather than when saving at exit, after all the work is done.
                raise StoreError(
                    f"cannot use dict_store file {self.backend!r}: its directory does not exist"
                )
            # A weak reference, so that the hook does not keep a discarded store alive.
            ref = weakref.ref(self)
            self._atexit = lambda: _save_if_alive(ref)
            atexit.register(self._atexit)

    def __repr__(self) -> str:
        return f"dict_store({self.backend!r})" if self.backend else "dict_store()"

    # -- persistence ----------------------------------------------------------------------

    def _read(self, path: str) -> None:
        try:
            with open(path, "rb") as stream:
                data = _PlainUnpickler(stream).load()
        except OSError as exc:
            raise StoreError(f"cannot read dict_store file {path!r}: {exc.strerror}") from exc
        except Exception as exc:  # any unpickling failure means the file is not ours
            raise StoreError(f"dict_store file {path!r} is not a valid store ({exc})") from exc
        if not isinstance(data, dict):
            raise StoreError(f"dict_store file {path!r} is not a valid store")
        for name, value in data.items():
            name = name.encode() if isinstance(name, str) else name
            if name.startswith(_RESULT):
                self._results[name[len(_RESULT) :].decode()] = value
            elif name.startswith(_FAILED):
                key = name[len(_FAILED) :].decode()
                self._locks[key] = LockInfo.from_json(value)
            elif name.startswith(_OLD_LOCK) and value == 2:  # the original's failed mark
                key = name[len(_OLD_LOCK) :].decode()
                self._locks.setdefault(key, LockInfo(failed=True, error="(failed)"))
            elif name == _RECORDS:
                self._load_records(value)

    def save(self, path: str | os.PathLike[str] | None = None) -> None:
        """Write all results and failed marks to *path* (default: the store's file).

        The file is replaced atomically (temporary file, fsync, rename).

        Raises
        ------
        StoreError
            If there is no file to save to, or it cannot be written.
        """
        target = self.backend if path is None else os.fspath(path)
        if target is None:
            raise StoreError("this dict_store has no file to save to (use dict_store:FILE)")
        with self._mutex:
            data: dict[bytes, Any] = {_RESULT + k.encode(): v for k, v in self._results.items()}
            for key, info in self._locks.items():
                if info.failed:
                    data[_FAILED + key.encode()] = info.to_json()
                    data[_OLD_LOCK + key.encode()] = 2
            if self._records:
                rows = {k: _unpack_row(row) for k, row in self._records.items()}
                contexts = [c.json for c in self._contexts]
                data[_RECORDS] = {"contexts": contexts, "records": rows}
            try:
                write_atomically(
                    target, lambda out: pickle.dump(data, out, protocol=PICKLE_PROTOCOL)
                )
            except OSError as exc:
                raise StoreError(
                    f"cannot save dict_store to {target!r}: {exc.strerror or exc}"
                ) from exc
            if path is None:
                self._dirty = False

    def close(self) -> None:
        """Save to the store's file (if it has one and anything changed)."""
        if self.backend is not None and self._dirty:
            self.save()

    # -- results --------------------------------------------------------------------------

    def dump(self, obj: Any, key: str | bytes) -> None:
        data = pickle.dumps(obj, protocol=PICKLE_PROTOCOL)
        key = as_key(key)
        if self.signer is not None:
            data = self.signer.seal(key, data)
        with self._mutex:
            self._results[key] = data
            self._records.pop(key, None)  # it described the result replaced now
            self._dirty = True

    def dump_and_release(
        self,
        obj: Any,
        key: str | bytes,
        lock: Lock,
        record: Record | None = None,
    ) -> None:
        """:meth:`dump` (keeping *record*), then release *lock*, under one hold of the
        store's mutex."""
        data = pickle.dumps(obj, protocol=PICKLE_PROTOCOL)  # an unpicklable obj changes nothing
        key = as_key(key)
        if self.signer is not None:
            data = self.signer.seal(key, data)
        row = None
        if record is not None:
            n = self._context_numbers.get(record[0])
            if n is None:
                n = self._number(record[0])
            row = _pack_row(n, record[1], record[2], record[3])
        mine = lock if type(lock) is dict_lock and lock.store is self else None
        with self._mutex:
            self._results[key] = data
            if row is not None:
                self._records[key] = row
            elif self._records:
                self._records.pop(key, None)
            self._dirty = True
            if mine is not None:
                mine._release()
        if mine is None:  # another store's lock: released outside this store's mutex
            lock.release()

    def _number(self, context: RecordContext) -> int:
        """The number of *context* in this store (numbering it, the first time)."""
        with self._mutex:
            n = self._context_numbers.get(context)
            if n is None:
                n = self._context_numbers[context] = len(self._contexts)
                self._contexts.append(context)
            return n

    def records(self, keys: Iterable[str | bytes] | None = None) -> dict[str, dict[str, Any]]:
        with self._mutex:
            kept, contexts = self._records, self._contexts
            wanted = builtins.list(kept) if keys is None else map(as_key, keys)
            rows = {k: _unpack_row(kept[k]) for k in wanted if k in kept}
        return {k: record_dict((contexts[n], s, d, m)) for k, (n, s, d, m) in rows.items()}

    def _load_records(self, data: Any) -> None:
        """Keep the records a saved file holds (see :meth:`save`); none if it holds
        something else."""
        import json

        try:
            contexts = [RecordContext(json.loads(text)) for text in data["contexts"]]
            rows = {
                key: _pack_row(n, started, duration, peak_rss)
                for key, (n, started, duration, peak_rss) in data["records"].items()
                if isinstance(key, str) and 0 <= n < len(contexts)
            }
        except (KeyError, TypeError, ValueError, struct.error):
            return
        for context in contexts:
            self._number(context)
        self._records.update(rows)

    def load(self, key: str | bytes) -> Any:
        """Return the object stored under *key* (``KeyError`` if there is none); with a
        key, its signature is checked first (:class:`jug.errors.SignatureError`)."""
        key = as_key(key)
        return pickle.loads(checked(self.signer, key, self._results[key]))

    def signature_states(self, keys: Iterable[str | bytes] | None = None) -> dict[str, Any]:
        """Whether each stored result among *keys* (default: all) is signed with the
        store's key (never unpickled)."""
        signer = signer_of(self)
        with self._mutex:
            results = dict(self._results)
        wanted = results if keys is None else map(as_key, keys)
        return {k: signer.state(k, results[k]) for k in wanted if k in results}

    def sign(self, names: Iterable[str]) -> int:
        """Sign the stored results *names* with the store's key, as they are."""
        signer = signer_of(self)
        done = 0
        with self._mutex:
            for key in map(as_key, names):
                data = self._results.get(key)
                if data is not None:
                    self._results[key] = signer.seal(key, checked(None, key, data))
                    self._dirty = True
                    done += 1
        return done

    def can_load(self, key: str | bytes) -> bool:
        return as_key(key) in self._results

    def can_load_many(self, keys: Iterable[str | bytes]) -> set[str]:
        results = self._results
        return {k for k in map(as_key, keys) if k in results}

    def remove(self, key: str | bytes) -> bool:
        key = as_key(key)
        with self._mutex:
            found = self._results.pop(key, None) is not None
            self._dirty |= self._records.pop(key, None) is not None or found
        return found

    def list(self) -> Iterator[bytes]:
        """Iterate over the keys (``bytes``, as in the original jug) of all results."""
        with self._mutex:
            keys = builtins.list(self._results)
        return (key.encode("ascii") for key in keys)

    def cleanup(self, active: Iterable[Any], keeplocks: bool = False) -> int:
        """Remove results (and locks, unless *keeplocks*) whose keys are not in *active*
        (keys or tasks); return the number of results removed."""
        keep = active_keys(active)
        with self._mutex:
            gone = [k for k in self._results if k not in keep]
            for k in gone:
                del self._results[k]
            removed = len(gone)
            for k in [k for k in self._records if k not in keep]:
                del self._records[k]
            stale = [] if keeplocks else [k for k in self._locks if k not in keep]
            for k in stale:
                del self._locks[k]
            self._dirty |= bool(gone or stale)
        return removed

    # -- locks ----------------------------------------------------------------------------

    def getlock(self, key: str | bytes) -> dict_lock:
        return dict_lock(self, as_key(key))

    def lock_unless_done(self, key: str | bytes, lock: Lock) -> LockOutcome:
        if type(lock) is not dict_lock or lock.store is not self:
            return super().lock_unless_done(as_key(key), lock)
        key = as_key(key)
        with self._mutex:  # check and lock at once: no thread can slip in between
            if key in self._results:
                return _DONE
            return _LOCKED if lock._take() else _HELD

    def listlocks(self) -> builtins.list[bytes]:
        """The keys (``bytes``) of every lock."""
        with self._mutex:
            return [key.encode("ascii") for key in self._locks]

    def lock_infos(self) -> dict[str, LockInfo]:
        with self._mutex:
            return {k: v.copy() for k, v in self._locks.items()}

    def remove_locks(self) -> int:
        with self._mutex:
            n = len(self._locks)
            self._dirty |= any(i.failed for i in self._locks.values())
            self._locks.clear()
        return n


class _PlainUnpickler(pickle.Unpickler):
    """Reads the store's file, which holds plain data only (dicts, bytes, str, numbers):
    it refuses every class or function, so a file changed by someone else cannot run
    code when it is opened (results stay pickled bytes inside, checked when loaded)."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(
            f"it refers to {module}.{name}, and a dict_store file holds plain data only"
        )


def _save_if_alive(ref: weakref.ref[dict_store]) -> None:
    store = ref()
    if store is not None:
        try:
            store.close()
        except StoreError as exc:  # at exit there is nobody left to raise to
            import sys

            print(f"jug: {exc}", file=sys.stderr)


class dict_lock(Lock):
    """A lease in a :class:`dict_store` (owner-checked, with lease and failed marks)."""

    def __init__(self, store: dict_store, key: str) -> None:
        self.store = store
        self.key = key
        self._token: str | None = None

    def __repr__(self) -> str:
        return f"dict_lock({self.key!r})"

    def _owned(self) -> LockInfo | None:
        info = self.store._locks.get(self.key)
        if self._token is None or info is None or info.token != self._token:
            return None
        return info

    def get(self) -> bool:
        with self.store._mutex:
            return self._take()

    def _take(self) -> bool:
        """:meth:`get`, with the store's mutex already held."""
        locks = self.store._locks
        current = locks.get(self.key)
        if current is not None and not current.is_stale():
            return False
        info = LockInfo.new(self.store.lease)
        locks[self.key] = info
        self._token = info.token
        return True

    def release(self) -> None:
        with self.store._mutex:
            self._release()

    def _release(self) -> None:
        """:meth:`release`, with the store's mutex already held."""
        info = self._owned()
        if info is not None and not info.failed:
            del self.store._locks[self.key]
        self._token = None

    def refresh(self) -> bool:
        with self.store._mutex:
            info = self._owned()
            if info is None or info.failed:
                return False
            info.heartbeat = time.time()
            return True

    def fail(self, error: str = "") -> bool:
        with self.store._mutex:
            info = self._owned()
            if info is None:
                return False
            info.failed = True
            info.error = error
            info.failed_at = time.time()
            self.store._dirty = True
            self._token = None
            return True

    def is_locked(self) -> bool:
        return self.key in self.store._locks

    def is_failed(self) -> bool:
        info = self.store._locks.get(self.key)
        return info is not None and info.failed

    def force_release(self) -> None:
        with self.store._mutex:
            info = self.store._locks.pop(self.key, None)
            if info is not None and info.failed:
                self.store._dirty = True
            self._token = None

    def info(self) -> LockInfo | None:
        info = self.store._locks.get(self.key)
        return None if info is None else info.copy()


#: The original's names (of jug.backends.base): this module exported them too.
base_store, base_lock = Store, Lock


def from_jugdir(jugdir: str) -> dict_store:
    """The ``dict_store`` backend factory: ``'dict_store'`` (in memory) or
    ``'dict_store:FILE'``; ``'dict:FILE'`` is an alias of the latter.

    Raises
    ------
    InvalidJugdirError
        For any other string, e.g. a bare ``'dict'`` (which could as well be meant as a
        directory: results kept in memory only would then be lost).
    """
    if jugdir == "dict_store":
        return dict_store()
    for prefix in ("dict_store:", "dict:"):
        if jugdir.startswith(prefix):
            path = jugdir[len(prefix) :]
            if not path:
                raise InvalidJugdirError(f"{jugdir!r}: no file name after {prefix!r}")
            return dict_store(path)
    raise InvalidJugdirError(
        f"{jugdir!r} is not a dict_store jugdir: use dict_store (in memory), "
        f"dict_store:FILE (saved to FILE), or ./{jugdir} for a directory of that name"
    )
