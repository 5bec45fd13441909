"""A jug backend keeping results and leases in one SQLite file: ``--jugdir memtest:PATH``.

SQLite serialises writers across processes, so each lock operation is one short
transaction: that is all it takes to make ``get`` atomic and ``release``, ``refresh`` and
``fail`` owner-checked.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from jug.backends.encode import decode, encode
from jug.errors import StoreError
from jug.store import Lock, LockInfo, Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS locks (key TEXT PRIMARY KEY, record TEXT NOT NULL);
"""


class memtest_store(Store):
    """Results and locks in the SQLite database *path* (created if needed)."""

    def __init__(self, path: str) -> None:
        self.path = path
        # One connection, used by the main thread and jug's lease-refreshing thread in turn.
        self._db = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
        self._mutex = threading.Lock()
        self._db.executescript(SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: other processes wait until it ends."""
        with self._mutex:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def query(self, sql: str, *args: Any) -> list[Any]:
        with self._mutex:
            return self._db.execute(sql, args).fetchall()

    # -- results --------------------------------------------------------------------------

    def dump(self, obj: Any, key: str) -> None:
        data = encode(obj)  # before the transaction: an unpicklable object changes nothing
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO results VALUES (?, ?)", (key, data))

    def load(self, key: str) -> Any:
        rows = self.query("SELECT data FROM results WHERE key = ?", key)
        if not rows:
            raise KeyError(key)
        return decode(rows[0][0])

    def can_load(self, key: str) -> bool:
        return bool(self.query("SELECT 1 FROM results WHERE key = ?", key))

    def can_load_many(self, keys: Iterable[str]) -> set[str]:
        wanted = list(keys)
        found: set[str] = set()
        for i in range(0, len(wanted), 500):  # one query per 500 keys
            batch = wanted[i : i + 500]
            marks = ",".join("?" * len(batch))
            rows = self.query(f"SELECT key FROM results WHERE key IN ({marks})", *batch)
            found.update(row[0] for row in rows)
        return found

    def remove(self, key: str) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM results WHERE key = ?", (key,)).rowcount > 0

    def list(self) -> Iterator[str]:
        return iter([row[0] for row in self.query("SELECT key FROM results")])

    # -- locks ----------------------------------------------------------------------------

    def getlock(self, key: str) -> memtest_lock:
        return memtest_lock(self, key)

    def listlocks(self) -> list[str]:
        return [row[0] for row in self.query("SELECT key FROM locks")]

    def lock_infos(self) -> dict[str, LockInfo]:
        rows = self.query("SELECT key, record FROM locks")
        return {key: LockInfo.from_json(record) for key, record in rows}

    def remove_locks(self) -> int:
        with self.transaction() as db:
            return db.execute("DELETE FROM locks").rowcount

    def close(self) -> None:
        self._db.close()


class memtest_lock(Lock):
    """One task's lease: a row of the ``locks`` table holding a JSON :class:`LockInfo`."""

    def __init__(self, store: memtest_store, key: str) -> None:
        self.store = store
        self.key = key
        self.token: str | None = None  # set while this object holds the lock

    def _read(self, db: sqlite3.Connection) -> LockInfo | None:
        row = db.execute("SELECT record FROM locks WHERE key = ?", (self.key,)).fetchone()
        return None if row is None else LockInfo.from_json(row[0])

    def _write(self, db: sqlite3.Connection, info: LockInfo) -> None:
        db.execute("INSERT OR REPLACE INTO locks VALUES (?, ?)", (self.key, info.to_json()))

    def _mine(self, db: sqlite3.Connection) -> LockInfo | None:
        info = self._read(db)
        if info is None or self.token is None or info.token != self.token:
            return None
        return info

    def get(self) -> bool:
        info = LockInfo.new(self.store.lease)
        with self.store.transaction() as db:
            current = self._read(db)
            if current is not None and not current.is_stale():
                return False  # running or failed: a stale lock is reclaimed below
            self._write(db, info)
        self.token = info.token
        return True

    def release(self) -> None:
        with self.store.transaction() as db:
            info = self._mine(db)
            if info is not None and not info.failed:
                db.execute("DELETE FROM locks WHERE key = ?", (self.key,))
        self.token = None

    def refresh(self) -> bool:
        with self.store.transaction() as db:
            info = self._mine(db)
            if info is None or info.failed:
                return False
            info.heartbeat = time.time()
            self._write(db, info)
        return True

    def fail(self, error: str = "") -> bool:
        with self.store.transaction() as db:
            info = self._mine(db)
            if info is None:
                return False
            info.failed, info.error, info.failed_at = True, error, time.time()
            self._write(db, info)
        self.token = None
        return True

    def is_locked(self) -> bool:
        return bool(self.store.query("SELECT 1 FROM locks WHERE key = ?", self.key))

    def is_failed(self) -> bool:
        info = self.info()
        return info is not None and info.failed

    def force_release(self) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM locks WHERE key = ?", (self.key,))
        self.token = None

    def info(self) -> LockInfo | None:
        rows = self.store.query("SELECT record FROM locks WHERE key = ?", self.key)
        return None if not rows else LockInfo.from_json(rows[0][0])


def from_jugdir(jugdir: str) -> memtest_store:
    """The backend factory registered in the ``jug.backends`` entry-point group."""
    path = jugdir.removeprefix("memtest:")
    if not path or not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        raise StoreError(f"{jugdir!r}: expected memtest:PATH in an existing directory")
    return memtest_store(path)
