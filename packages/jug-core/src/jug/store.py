"""The interface every jug store implements, and the lease record its locks keep.

A store maps a task's hash (a 40-character hex string) to its pickled result, and holds one
lock per task so that several ``jug execute`` processes never run the same task at once.
Concrete stores live in the ``jug-backends`` distribution (``jug.backends.*``) or in
third-party packages; jug-core reaches them only through the ``jug.backends`` entry-point
group (see :mod:`jug.backend_registry`).

Locks are *leases*: a lock records its owner and a heartbeat that the holder refreshes while
the task runs. A lock whose heartbeat is older than its lease is stale, and the next worker
that tries to take it reclaims it, so a killed worker never blocks a task forever.
"""

from __future__ import annotations

import builtins
import copy
import math
import os
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator

TYPE_CHECKING = False  # as typing.TYPE_CHECKING: importing typing costs ~4 ms per process
if TYPE_CHECKING:
    from typing import Any

#: Default lease length in seconds (``jug execute --lease``).
DEFAULT_LEASE: float = 600.0

#: Outcomes of :meth:`Store.lock_unless_done`.
LOCKED, DONE, HELD = "locked", "done", "held"


def as_key(key: str | bytes) -> str:
    """Return *key* as a ``str``: tasks hash to ``bytes`` (as in the original jug)."""
    return key.decode("ascii") if isinstance(key, bytes) else key


class LockInfo:
    """What a lock records about its holder.

    Attributes
    ----------
    token : str
        Random identifier of the holder; release, fail and refresh check it.
    host, pid :
        Where the holder runs.
    started : float
        When the lock was taken (seconds since the epoch).
    heartbeat : float
        When the holder last showed it is alive.
    lease : float
        Seconds after ``heartbeat`` at which the lock becomes stale.
    failed : bool
        Whether the task was marked as failed (failed locks never go stale).
    error : str
        For a failed task: the traceback (or message) of its exception.
    failed_at : float
        For a failed task: when it failed.
    extra : dict
        Anything else a store wants to keep with the lock.

    Notes
    -----
    A plain class rather than a dataclass: importing :mod:`dataclasses` (and the
    :mod:`inspect` it pulls in) would cost every ``jug`` command several milliseconds.
    """

    #: The fields, in the order of their positional arguments (and of the JSON records).
    FIELDS = (
        "token",
        "host",
        "pid",
        "started",
        "heartbeat",
        "lease",
        "failed",
        "error",
        "failed_at",
        "extra",
    )

    def __init__(
        self,
        token: str = "",
        host: str = "",
        pid: int = 0,
        started: float = 0.0,
        heartbeat: float = 0.0,
        lease: float = DEFAULT_LEASE,
        failed: bool = False,
        error: str = "",
        failed_at: float = 0.0,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.token = token
        self.host = host
        self.pid = pid
        self.started = started
        self.heartbeat = heartbeat
        self.lease = lease
        self.failed = failed
        self.error = error
        self.failed_at = failed_at
        self.extra: dict[str, Any] = {} if extra is None else extra

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.FIELDS)
        return f"LockInfo({fields})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it was

    @classmethod
    def new(cls, lease: float) -> LockInfo:
        """A record for a lock the current process is taking now.

        Its token is unique among all processes and hosts: a random prefix drawn once per
        process (again after a fork) followed by a counter.
        """
        now = time.time()
        me = _Holder.current()
        me.count += 1
        return cls(me.prefix + str(me.count), me.host, me.pid, now, now, float(lease))

    def is_stale(self, now: float | None = None) -> bool:
        """Whether the holder missed its heartbeat for longer than the lease."""
        if self.failed:
            return False
        if now is None:
            now = time.time()
        return now - self.heartbeat > self.lease

    def state(self, now: float | None = None) -> str:
        """One of ``'failed'``, ``'stale'`` or ``'running'``."""
        if self.failed:
            return "failed"
        return "stale" if self.is_stale(now) else "running"

    def to_json(self, compact: bool = False) -> str:
        """The fields as JSON: exactly what ``json.dumps(vars(self))`` gives, or with
        *compact* what ``separators=(",", ":")`` gives.

        A fresh lock's record (written once per task by every store) is formatted directly;
        anything else goes through :mod:`json`.
        """
        if (
            self.failed
            or self.error
            or self.extra
            or type(self.pid) is not int
            or not (_plain_text(self.token) and _plain_text(self.host))
            or not _plain_numbers(self.started, self.heartbeat, self.lease, self.failed_at)
        ):
            import json

            return json.dumps(vars(self), separators=(",", ":") if compact else None)
        template = _COMPACT_RECORD if compact else _RECORD
        values = (self.token, self.host, self.pid, self.started, self.heartbeat)
        return template % (*values, self.lease, self.failed_at)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a new dict (``extra`` copied, so the dict can be changed freely)."""
        out = {k: getattr(self, k) for k in self.FIELDS}
        out["extra"] = copy.deepcopy(self.extra) if self.extra else {}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LockInfo:
        """A record from a dict such as :meth:`to_dict` returns; unknown keys are ignored."""
        return cls(**{k: data[k] for k in cls.FIELDS if k in data})


# A fresh lock's JSON record (LockInfo.to_json), with json.dumps' default separators and
# with the compact ones; the fields in LockInfo.FIELDS order.
_RECORD = (
    '{"token": "%s", "host": "%s", "pid": %d, "started": %r, "heartbeat": %r, "lease": %r, '
    '"failed": false, "error": "", "failed_at": %r, "extra": {}}'
)
_COMPACT_RECORD = _RECORD.replace(": ", ":").replace(", ", ",")
# Lock tokens as LockInfo.new makes them, and host names, need no escaping in JSON.
_PLAIN_TEXT = re.compile(r"[0-9A-Za-z_.-]*")


def _plain_text(text: Any) -> bool:
    return type(text) is str and _PLAIN_TEXT.fullmatch(text) is not None


def _plain_numbers(*numbers: Any) -> bool:
    """Whether ``repr`` writes each of *numbers* as JSON does (finite ints and floats)."""
    return all(type(x) in (int, float) and math.isfinite(x) for x in numbers)


class _Holder:
    """This process as a lock holder: host, pid and a token prefix, looked up once per process."""

    _me: _Holder | None = None

    def __init__(self) -> None:
        self.pid = os.getpid()
        if hasattr(os, "uname"):  # what gethostname() returns, without importing socket (~2 ms)
            self.host = os.uname().nodename
        else:  # pragma: no cover - not POSIX
            import socket

            self.host = socket.gethostname()
        self.prefix = os.urandom(9).hex() + "-"
        self.count = 0

    @classmethod
    def current(cls) -> _Holder:
        me = cls._me
        if me is None:
            me = cls._me = cls()
        return me

    @classmethod
    def forget(cls) -> None:
        """A forked child is another holder: its own pid and token prefix."""
        cls._me = None


if hasattr(os, "register_at_fork"):  # POSIX: no getpid() per lock taken to notice a fork
    os.register_at_fork(after_in_child=_Holder.forget)


class Lock(ABC):
    """One task's lease in a store, as returned by :meth:`Store.getlock`.

    The object is cheap to create and does not touch the store until a method is called;
    it remembers whether *it* took the lock, which is what makes ``release``, ``fail`` and
    ``refresh`` owner-checked.
    """

    @abstractmethod
    def get(self) -> bool:
        """Try to take the lock, atomically.

        If a stale lock (heartbeat older than its lease, and not failed) is present, it is
        reclaimed: of several processes doing so at once, exactly one succeeds.

        Returns
        -------
        locked : bool
            Whether this object now holds the lock.
        """

    @abstractmethod
    def release(self) -> None:
        """Release the lock if this object holds it; otherwise do nothing."""

    @abstractmethod
    def is_locked(self) -> bool:
        """Whether a lock (running, stale or failed) exists for the key.

        The answer may be outdated by the time it is returned; only :meth:`get` is
        race-free. It exists as a cheap check before the atomic one.
        """

    @abstractmethod
    def fail(self, error: str = "") -> bool:
        """Turn the held lock into a failed mark recording *error*, the host and the time.

        Returns
        -------
        failed : bool
            ``False`` (and nothing changes) if this object does not hold the lock.
        """

    @abstractmethod
    def is_failed(self) -> bool:
        """Whether the key carries a failed mark (the answer may be outdated at once)."""

    @abstractmethod
    def force_release(self) -> None:
        """Remove the lock or failed mark, whoever holds it (``jug cleanup``, ``invalidate``)."""

    def refresh(self) -> bool:
        """Renew the heartbeat of the held lock.

        Returns
        -------
        held : bool
            ``False`` if this object no longer holds the lock (it was reclaimed after its
            lease expired, or forcibly released): the caller should stop its task.
        """
        return True

    def info(self) -> LockInfo | None:
        """The lock's record (``None`` if there is no lock); ``heartbeat`` is up to date."""
        return None


class Store(ABC):
    """A place where task results and locks live.

    Subclasses implement the abstract methods; the bulk methods have correct but slow
    defaults that a store should override with one listing or one round trip per batch.
    """

    #: Lease length, in seconds, of the locks this store hands out.
    lease: float = DEFAULT_LEASE

    @abstractmethod
    def dump(self, obj: Any, key: str | bytes) -> None:
        """Store *obj* under *key*, replacing any previous value, atomically.

        A reader never sees a partial value, and an error (e.g. an unpicklable object or a
        full disk) leaves the previous state untouched.
        """

    @abstractmethod
    def load(self, key: str | bytes) -> Any:
        """Return the object stored under *key*.

        Raises
        ------
        KeyError
            If nothing is stored under *key*.
        jug.errors.CorruptResultError
            If the stored bytes cannot be decoded (the message names the key).
        """

    @abstractmethod
    def can_load(self, key: str | bytes) -> bool:
        """Whether a result is stored under *key*."""

    @abstractmethod
    def remove(self, key: str | bytes) -> bool:
        """Remove the result stored under *key*; return whether there was one."""

    @abstractmethod
    def list(self) -> Iterator[str]:
        """Iterate over the keys (as ``str``) of all stored results."""

    @abstractmethod
    def getlock(self, key: str | bytes) -> Lock:
        """Return the lock object of *key* (not taken until its ``get()``)."""

    @abstractmethod
    def listlocks(self) -> builtins.list[str]:
        """Return the keys of all locks, running, stale and failed."""

    @abstractmethod
    def remove_locks(self) -> int:
        """Remove every lock and failed mark; return how many were removed."""

    def cleanup(self, active: Iterable[str | bytes], keeplocks: bool = False) -> int:
        """Remove every result (and lock, unless *keeplocks*) whose key is not in *active*.

        Returns the number of entries removed.
        """
        keep = {as_key(k) for k in active}
        removed = 0
        for key in list(self.list()):
            if key not in keep:
                removed += bool(self.remove(key))
        if not keeplocks:
            for key in self.listlocks():
                if key not in keep:
                    self.getlock(key).force_release()
                    removed += 1
        return removed

    def dump_and_release(self, obj: Any, key: str | bytes, lock: Lock) -> None:
        """Store *obj* under *key*, then release *lock* (held by the caller).

        The result is saved before the lock goes, so no worker sees the task unlocked and
        without a result. Stores that can do both in one round trip (redis) override this.
        """
        self.dump(obj, key)
        lock.release()

    def lock_unless_done(self, key: str | bytes, lock: Lock) -> str:
        """Take *lock* to run the task of *key*, unless its result is already stored.

        This is what a worker does before running a task: lock it, then check that no other
        worker stored its result meanwhile. Stores that can do both in one round trip
        (redis: one script) override it; the default takes the lock first and checks after,
        which is race-free on any store.

        Returns
        -------
        outcome : str
            :data:`LOCKED` (the caller now holds *lock*, and no result was stored),
            :data:`DONE` (a result is stored; *lock* is not held) or :data:`HELD` (another
            worker holds the lock, or a failed mark is present).
        """
        if not lock.get():
            return HELD
        try:
            done = self.can_load(key)
        except BaseException:
            lock.release()
            raise
        if done:
            lock.release()
            return DONE
        return LOCKED

    def close(self) -> None:  # noqa: B027 - optional hook, most stores hold nothing
        """Release connections or files held by the store."""

    # -- bulk operations ------------------------------------------------------------------

    def can_load_many(self, keys: Iterable[str | bytes]) -> set[str]:
        """Return the subset of *keys* that have a stored result."""
        return {k for k in map(as_key, keys) if self.can_load(k)}

    def lock_infos(self) -> dict[str, LockInfo]:
        """Return the record of every existing lock, keyed by task hash."""
        out: dict[str, LockInfo] = {}
        for key in self.listlocks():
            info = self.getlock(key).info()
            if info is not None:
                out[key] = info
        return out
