"""The store interface: what every jug backend implements, and the lease record of a lock.

A store maps a task's hash (a 40-character hex string) to its pickled result, and holds one
lock per task so that several ``jug execute`` processes never run the same task at once.
:class:`Store` and :class:`Lock` are the base classes of every backend: the built-in ones
(``jug.backends.*``, from jug-backends), third-party ones, and the reference in-memory
store of :mod:`jug.testing`. jug-core reaches backends only through the ``jug.backends``
entry-point group (see :mod:`jug.backend_registry`); writing one is described in
``docs/writing-a-backend.md``, and :mod:`jug.testing.store_contract` checks one.

Keys are ``str`` (the task's :meth:`jug.Task.key`). The built-in stores also accept the
``bytes`` of :meth:`jug.Task.hash`, as the original jug's stores did, for scripts written
against them.

The original jug's store API
----------------------------
Code written against the original jug (scripts, and backends written from its template,
``jug.backends.base``) keeps working; what that needs is gathered here, in one place:

* :meth:`Store.list` and :meth:`Store.listlocks` give keys as ``bytes``, as the original's
  stores did; jug itself turns any key into ``str`` with :func:`as_key` (and asks
  :meth:`Store.can_load_many` and :meth:`Store.lock_infos`, which use ``str``);
* :meth:`Store.cleanup` takes tasks as well as keys, and counts removed results only;
* :meth:`Store.remove_many`, :meth:`Store.metadata` and :meth:`Store.remove_store` have
  defaults;
* a :class:`Lock` subclass whose ``fail()`` takes no argument (the original's) is called
  without one, and :meth:`Lock.force_release` defaults to :meth:`Lock.release` (the
  original's release removed the lock whoever held it).

Locks are *leases*: a lock records its owner and a heartbeat that the holder refreshes while
the task runs. A lock whose heartbeat is older than its lease is stale, and the next worker
that tries to take it reclaims it, so a killed worker never blocks a task forever.

Beside each result a store may keep a *record* of how it was computed: a
:class:`RecordContext` shared by many results (host, pid, versions...) plus a few numbers
of that result (start, duration, peak memory; see :data:`Record` and
:mod:`jug.execution.records`). Records are written with the result
(:meth:`Store.dump_and_release`), read in bulk as dicts (:meth:`Store.records`), and kept
only by stores whose :attr:`Store.keeps_records` is true; the default of a store that
cannot keep them is to keep none.

A store may also *sign* results (:mod:`jug.signing`): one whose
:attr:`Store.signs_results` is true is given a :attr:`Store.signer` when a secret key is
configured, signs what it saves with it, checks what it loads before decoding anything,
and answers :meth:`Store.signature_states` and :meth:`Store.sign`. jug refuses a key for
a store that cannot sign.
"""

from __future__ import annotations

import builtins
import math
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType

from .execution.states import TaskState

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .signing import SignatureState, Signer

__all__ = [
    "DEFAULT_LEASE",
    "Lock",
    "LockInfo",
    "LockOutcome",
    "Record",
    "RecordContext",
    "Store",
    "active_keys",
    "as_key",
    "record_dict",
    "signer_of",
]

#: Default lease length in seconds (``jug execute --lease``).
DEFAULT_LEASE: float = 600.0


class LockOutcome(StrEnum):
    """What :meth:`Store.lock_unless_done` found (members equal their lower-case names)."""

    #: The caller now holds the lock, and no result was stored.
    LOCKED = "locked"
    #: A result is stored: nothing to do (the lock is not held).
    DONE = "done"
    #: Another worker holds the lock, or the task is marked as failed.
    HELD = "held"


# Looked up once: reading a member of an Enum class costs ~0.1 us (Python 3.11), per task.
_LOCKED, _DONE, _HELD = LockOutcome.LOCKED, LockOutcome.DONE, LockOutcome.HELD


def as_key(key: str | bytes) -> str:
    """*key* as a ``str`` (:meth:`jug.Task.hash` is ``bytes``, as in the original jug)."""
    return key.decode("ascii") if isinstance(key, bytes) else key


def active_keys(active: Iterable[Any]) -> set[str]:
    """The keys of *active*, the argument of :meth:`Store.cleanup`: keys (``str`` or
    ``bytes``) or tasks (anything with a ``hash()`` method, as the original jug passed)."""
    out: set[str] = set()
    for item in active:
        if not isinstance(item, (str, bytes)):
            item = item.key() if hasattr(item, "key") else item.hash()
        out.add(as_key(item))
    return out


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
        process (again after a fork) followed by a counter. Under a batch scheduler,
        ``extra`` holds the job (``{"job": ID, "scheduler": NAME}``, see
        :func:`jug.execution.records.batch_job`), so that status shows which job runs
        which task.
        """
        now = time.time()
        me = _Holder.current()
        me.count += 1
        if me.job:
            return cls(
                me.prefix + str(me.count),
                me.host,
                me.pid,
                now,
                now,
                float(lease),
                extra=dict(me.job),
            )
        return cls(me.prefix + str(me.count), me.host, me.pid, now, now, float(lease))

    def is_stale(self, now: float | None = None) -> bool:
        """Whether the holder missed its heartbeat for longer than the lease."""
        if self.failed:
            return False
        if now is None:
            now = time.time()
        return now - self.heartbeat > self.lease

    def state(self, now: float | None = None) -> TaskState:
        """The state of the task holding this lock: failed, stale or running."""
        if self.failed:
            return TaskState.FAILED
        return TaskState.STALE if self.is_stale(now) else TaskState.RUNNING

    def to_json(self, compact: bool = False) -> str:
        """The fields as JSON (the record every store keeps): what ``json.dumps(vars(self))``
        gives, or with *compact* what ``separators=(",", ":")`` gives."""
        # Every store writes a fresh lock's record once per task: formatting it directly
        # rather than through json saves ~8 % of a trivial task's instructions on the file
        # store (callgrind). Only records that need no escaping take this path.
        if (
            not (self.failed or self.error or self.extra)
            and type(self.pid) is int
            and _needs_no_escape(self.token)
            and _needs_no_escape(self.host)
            and type(self.started) is type(self.heartbeat) is type(self.lease) is float
            and type(self.failed_at) is float
            and math.isfinite(self.started + self.heartbeat + self.lease + self.failed_at)
        ):
            template = _COMPACT_RECORD if compact else _RECORD
            values = (self.token, self.host, self.pid, self.started, self.heartbeat)
            return template % (*values, self.lease, self.failed_at)
        import json

        return json.dumps(vars(self), separators=(",", ":") if compact else None)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a new dict (``extra`` copied, so the dict can be changed freely)."""
        out = {k: getattr(self, k) for k in self.FIELDS}
        out["extra"] = _deep_copy(self.extra) if self.extra else {}
        return out

    def copy(self) -> LockInfo:
        """An independent copy (a store hands out copies of the records it keeps)."""
        return LockInfo(**self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LockInfo:
        """A record from a dict such as :meth:`to_dict` returns; unknown keys are ignored."""
        return cls(**{k: data[k] for k in cls.FIELDS if k in data})

    @classmethod
    def from_json(cls, data: str | bytes) -> LockInfo:
        """A record from the JSON that :meth:`to_json` writes.

        Raises
        ------
        ValueError
            If *data* is not a JSON object of lock fields.
        """
        import json

        try:
            fields = json.loads(data)
            if not isinstance(fields, dict):
                raise TypeError("not a JSON object")
            return cls.from_dict(fields)
        except (TypeError, UnicodeDecodeError) as exc:
            raise ValueError(f"not a lock record: {exc}") from exc


# A fresh lock's record as LockInfo.to_json writes it, with json.dumps' separators and with
# the compact ones; the fields in LockInfo.FIELDS order.
_RECORD = (
    '{"token": "%s", "host": "%s", "pid": %d, "started": %r, "heartbeat": %r, "lease": %r, '
    '"failed": false, "error": "", "failed_at": %r, "extra": {}}'
)
_COMPACT_RECORD = _RECORD.replace(": ", ":").replace(", ", ",")


def _needs_no_escape(text: Any) -> bool:
    """Whether json.dumps writes *text* as it is, between quotes."""
    return (
        type(text) is str
        and text.isascii()
        and text.isprintable()
        and '"' not in text
        and "\\" not in text
    )


class RecordContext:
    """What the records of many results share: where and how they were computed.

    A result's record (:data:`Record`) is a context plus the numbers of that result. The
    execution loop makes one context per run (host, pid, versions, batch job: see
    :mod:`jug.execution.records`) and gives the same object with every result, so that a
    store keeps it once (an object it holds, a line of a log) rather than once per result.
    A context never changes once made, and is compared by identity: other fields make
    another context.

    Parameters
    ----------
    fields : mapping
        JSON values under ``str`` names; none named like a record's numbers (``started``,
        ``ended``, ``duration``, ``peak_rss``).

    Attributes
    ----------
    fields : mapping
        The fields, read-only (a value that JSON has no exact form for, such as a tuple,
        is kept as JSON reads it back: a list).
    json : str
        The fields as compact JSON (one object), made once.

    Raises
    ------
    TypeError, ValueError
        If *fields* is not a mapping of JSON values, or uses a name of the numbers.
    """

    __slots__ = ("_flat", "fields", "json")

    fields: MappingProxyType[str, Any]
    json: str

    def __init__(self, fields: Mapping[str, Any]) -> None:
        own = dict(fields)
        for name in own:
            if type(name) is not str:
                raise TypeError(f"a record context's field names are str, not {name!r}")
            if name in _NUMBERS:
                raise ValueError(f"{name!r} is one of a record's numbers, not a context field")
        text = _flat_json(own)
        #: Whether every value is a str, int, bool or None (nothing a reader could change).
        self._flat = text is not None
        if text is None:  # nested or unusual values: json checks them, and normalises
            import json

            text = json.dumps(own, separators=(",", ":"), allow_nan=False)
            own = json.loads(text)
        self.fields = MappingProxyType(own)
        self.json = text

    def __repr__(self) -> str:
        return f"RecordContext({self.json})"


#: A result's record, as the execution loop gives it to :meth:`Store.dump_and_release`:
#: ``(context, started, duration, peak_rss)``, a :class:`RecordContext` shared by many
#: results, then this result's start (``time.time_ns()``: nanoseconds since the epoch),
#: how long it ran (nanoseconds) and the worker's peak resident memory (bytes). A plain
#: tuple: it is made once per task. :func:`record_dict` is what a reader sees.
Record = tuple[RecordContext, int, int, int]

# The names of a record's numbers, as record_dict gives them.
_NUMBERS = frozenset({"started", "ended", "duration", "peak_rss"})


def record_dict(record: Record) -> dict[str, Any]:
    """The record as :meth:`Store.records` hands it out: a new dict of the context's
    fields plus ``started`` and ``ended`` (seconds since the epoch), ``duration``
    (seconds) and ``peak_rss`` (bytes)."""
    context, started, duration, peak_rss = record
    if context._flat:
        out = context.fields.copy()
    else:  # nested values, which the reader may change: its own copy
        import json

        out = json.loads(context.json)
    # Integer division by an integer: correctly rounded (a float of the nanoseconds is not).
    out["started"] = started / 1_000_000_000
    out["ended"] = (started + duration) / 1_000_000_000
    out["duration"] = duration / 1_000_000_000
    out["peak_rss"] = peak_rss
    return out


def _flat_json(fields: dict[str, Any]) -> str | None:
    """The compact JSON of *fields* if every value is a plain ``str`` (nothing to escape),
    ``int``, ``bool`` or ``None``, else ``None``: the loop's context without importing
    :mod:`json` (a few milliseconds of every worker's start)."""
    parts = []
    for name, value in fields.items():
        kind = type(value)
        if kind is str and _needs_no_escape(value):
            text = f'"{value}"'
        elif kind is int:
            text = str(value)
        elif kind is bool or value is None:
            text = "true" if value is True else "false" if value is False else "null"
        else:
            return None
        if not _needs_no_escape(name):
            return None
        parts.append(f'"{name}":{text}')
    return "{" + ",".join(parts) + "}"


def _deep_copy(obj: Any) -> Any:
    import copy

    return copy.deepcopy(obj)


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
        from .execution.records import batch_job

        job = batch_job()
        self.job: dict[str, str] = {} if job is None else {"job": job[1], "scheduler": job[0]}

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

    The object is cheap to create and touches the store only when a method is called. It
    remembers whether *it* took the lock, which is what makes :meth:`release`, :meth:`fail`
    and :meth:`refresh` owner-checked.
    """

    def __init__(self) -> None:  # noqa: B027 - the original template's signature
        """A lock needs no particular constructor: only :meth:`Store.getlock` makes one."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fail = cls.__dict__.get("fail")
        code = getattr(fail, "__code__", None)
        if code is not None and code.co_argcount == 1 and not code.co_flags & 0x04:
            # A lock written for the original jug: fail(self), no error to record.
            def fail_ignoring_error(self: Lock, error: str = "", _fail: Any = fail) -> bool:
                return bool(_fail(self))

            fail_ignoring_error.__doc__ = fail.__doc__
            cls.fail = fail_ignoring_error  # type: ignore[method-assign]

    @abstractmethod
    def get(self) -> bool:
        """Try to take the lock, atomically across every process using the store.

        Records a new owner token, host, pid, start time, heartbeat and the store's
        current :attr:`Store.lease`. A stale lock (heartbeat older than its lease, not
        failed) is reclaimed: of several processes doing so at once, exactly one succeeds.

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
        race-free.
        """

    @abstractmethod
    def fail(self, error: str = "") -> bool:
        """Turn the held lock into a failed mark recording *error*, the host and the time.

        A failed mark never goes stale, so that ``jug status`` on any machine can report
        why the task failed, and no worker runs it again until the mark is removed.

        Returns
        -------
        failed : bool
            ``False`` (and nothing changes) if this object does not hold the lock.
        """

    @abstractmethod
    def is_failed(self) -> bool:
        """Whether the key carries a failed mark (the answer may be outdated at once)."""

    def force_release(self) -> None:
        """Remove the lock or failed mark, whoever holds it (``jug cleanup``, ``invalidate``).

        The default calls :meth:`release`, which is right for the original jug's locks (their
        release removed the lock whoever held it); a store whose :meth:`release` checks the
        owner must override it.
        """
        self.release()

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
        """The lock's record (``None`` if there is no lock); ``heartbeat`` is up to date.

        The default, for locks that keep no record (the original jug's), makes one from
        :meth:`is_locked` and :meth:`is_failed`: such a lock is running (it never goes
        stale, having no lease) or failed.
        """
        if not self.is_locked():
            return None
        now = time.time()
        return LockInfo(started=now, heartbeat=now, failed=self.is_failed())


class Store(ABC):
    """A place where task results and locks live: the base class of every backend.

    What jug relies on:

    * :meth:`dump` is atomic: a concurrent :meth:`load` sees the previous value or the new
      one, never a mixture, and a crash while dumping leaves no partial result behind.
    * ``getlock(key).get()`` is atomic across every process using the store (see
      :class:`Lock`), and locks are leases that go stale.
    * The bulk methods (:meth:`can_load_many`, :meth:`lock_infos`) have correct but slow
      defaults, asking key by key; a store should answer them with one listing or one
      round trip per batch. :meth:`lock_unless_done` and :meth:`dump_and_release` likewise
      have defaults that a store may do in one operation.
    * Records (see the module docstring) are optional. A store that keeps them sets
      :attr:`keeps_records`, saves the *record* given to :meth:`dump_and_release` with the
      result, and answers :meth:`records`; the defaults keep none.

    Attributes
    ----------
    lease : float
        Lease length, in seconds, of the locks taken from now on.
    keeps_records : bool
        Whether the store keeps the records given to :meth:`dump_and_release` (default
        ``False``: they are dropped, and :meth:`records` finds none).
    """

    lease: float = DEFAULT_LEASE
    keeps_records: bool = False
    #: Whether the store signs and checks results with :attr:`signer` (see "Signed
    #: results" below and :mod:`jug.signing`); a store that cannot leaves it ``False``.
    signs_results: bool = False
    #: The key results are signed and checked with (``None``: no key, nothing signed).
    signer: Signer | None = None

    def __init__(self, name: str | None = None) -> None:  # noqa: B027 - the original template's
        """A store needs no particular constructor (the original template's took a name)."""

    @abstractmethod
    def dump(self, obj: Any, key: str) -> None:
        """Store *obj* under *key*, replacing any previous value, atomically.

        An error (an unpicklable object, a full disk) leaves the previous state untouched.
        """

    @abstractmethod
    def load(self, key: str) -> Any:
        """Return the object stored under *key*.

        Raises
        ------
        KeyError
            If nothing is stored under *key*.
        jug.errors.CorruptResultError
            If the stored bytes cannot be decoded (the message names the key).
        """

    @abstractmethod
    def can_load(self, key: str) -> bool:
        """Whether a result is stored under *key*."""

    @abstractmethod
    def remove(self, key: str) -> bool:
        """Remove the result stored under *key*; return whether there was one."""

    @abstractmethod
    def list(self) -> Iterable[bytes | str]:
        """Iterate over the keys of all stored results, as ``bytes`` (the original jug's type;
        ``str`` is accepted from other stores: :func:`as_key` turns either into ``str``)."""

    @abstractmethod
    def getlock(self, key: str) -> Lock:
        """Return the lock object of *key* (not taken until its :meth:`Lock.get`)."""

    @abstractmethod
    def listlocks(self) -> Iterable[bytes | str]:
        """Return the keys of all locks, running, stale and failed, as ``bytes`` (as
        :meth:`list`)."""

    @abstractmethod
    def remove_locks(self) -> int:
        """Remove every lock and failed mark; return how many were removed."""

    def cleanup(self, active: Iterable[Any], keeplocks: bool = False) -> int:
        """Remove every result (and lock, unless *keeplocks*) whose key is not in *active*.

        Parameters
        ----------
        active : iterable
            The keys to keep, or tasks (see :func:`active_keys`).
        keeplocks : bool, optional
            Leave every lock alone.

        Returns
        -------
        removed : int
            The number of results removed (locks are not counted, as in the original jug).
        """
        keep = active_keys(active)
        removed = 0
        for key in builtins.list(map(as_key, self.list())):
            if key not in keep:
                removed += bool(self.remove(key))
        if not keeplocks:
            for key in builtins.list(map(as_key, self.listlocks())):
                if key not in keep:
                    self.getlock(key).force_release()
        return removed

    def close(self) -> None:  # noqa: B027 - optional hook, most stores hold nothing
        """Release connections or files held by the store."""

    # -- the original jug's store API (see the module docstring) ----------------------------

    def remove_many(self, names: Iterable[str | bytes]) -> set[str | bytes]:
        """Remove the results of *names*; return the names that had one.

        The default calls :meth:`remove` for each name.
        """
        return {name for name in names if self.remove(as_key(name))}

    def metadata(self, t: Any) -> dict[str, Any] | None:
        """What the store knows about the result of task *t* (:func:`jug.task.describe`).

        The default says nothing (``None``); the built-in stores give ``{"computed": bool}``,
        with ``"completed"`` (the time, as :func:`time.ctime` writes it) where they know it.
        """
        return None

    def find_elsewhere(self, keys: Iterable[str]) -> str | None:
        """Where the results of *keys* are, if this store holds none of them but knows of
        another place that does: one line for the user (``None``: nothing to say).

        The redis store answers it when its database is not 0: the original jug ignored
        the database of its URLs and always wrote to database 0. ``jug`` asks after loading
        a jugfile, with the keys of its tasks, only stores that override this method.
        """
        return None

    @staticmethod  # noqa: B027 - optional, as in the original
    def remove_store(jugdir: str) -> None:
        """Remove everything kept for the store named *jugdir* (the default does nothing)."""

    # -- what a worker does per task: defaults a store may do in one operation ---------------

    def lock_unless_done(self, key: str, lock: Lock) -> LockOutcome:
        """Take *lock* to run the task of *key*, unless its result is already stored.

        This is what a worker does before running a task: lock it, then check that no other
        worker stored its result meanwhile. The default takes the lock first and checks
        after, which is race-free on any store.

        Returns
        -------
        LockOutcome
            ``LOCKED`` (the caller holds *lock*, and no result was stored), ``DONE`` (a
            result is stored; *lock* is not held) or ``HELD`` (another worker holds the
            lock, or a failed mark is present).
        """
        if not lock.get():
            return _HELD
        try:
            done = self.can_load(key)
        except BaseException:
            lock.release()
            raise
        if done:
            lock.release()
            return _DONE
        return _LOCKED

    def dump_and_release(
        self, obj: Any, key: str, lock: Lock, record: Record | None = None
    ) -> None:
        """Store *obj* under *key* (with its *record*, if the store keeps records), then
        release *lock* (held by the caller).

        The result and its record are saved before the lock goes, so no worker sees the
        task unlocked and without a result. A record replaces any earlier record of *key*;
        a result saved without one (here or by :meth:`dump`) voids it. The default saves
        the result with :meth:`dump` and drops the record: a store that keeps records
        overrides this method and :meth:`records`, and may do it all in one operation.

        Parameters
        ----------
        record : Record, optional
            ``(context, started, duration, peak_rss)`` (see :data:`Record`): a store
            keeps the :class:`RecordContext` once for the many results that share it (it
            is the same object), and the three numbers per result.
        """
        self.dump(obj, key)
        lock.release()

    # -- records ----------------------------------------------------------------------------

    def records(self, keys: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
        """The records of *keys* (default: every record), as new dicts (see
        :func:`record_dict`); keys without a record are left out.

        Answered in bulk (one listing or a round trip per batch), like :meth:`can_load_many`.
        A record describes the result stored with it; once that result is removed, a store
        may still return its record until :meth:`cleanup` (callers that care check that
        the result exists). The default: no records.
        """
        return {}

    def record(self, key: str) -> dict[str, Any] | None:
        """The record of *key*, or ``None`` (see :meth:`records`)."""
        return self.records([as_key(key)]).get(as_key(key))

    # -- bulk queries -----------------------------------------------------------------------

    def can_load_many(self, keys: Iterable[str]) -> set[str]:
        """Return the subset of *keys* that have a stored result."""
        return {k for k in map(as_key, keys) if self.can_load(k)}

    def lock_infos(self) -> dict[str, LockInfo]:
        """Return the record of every existing lock, keyed by task hash."""
        out: dict[str, LockInfo] = {}
        for key in map(as_key, self.listlocks()):
            info = self.getlock(key).info()
            if info is not None:
                out[key] = info
        return out

    # -- signed results (see jug.signing) ----------------------------------------------------

    def signature_states(self, keys: Iterable[str] | None = None) -> dict[str, SignatureState]:
        """Whether each stored result among *keys* (default: every stored result) is signed
        with :attr:`signer`, checked without decoding anything.

        Keys without a result are left out. A store that signs something as a whole (the
        file store's pack) adds an entry for it under a name of its own, which is never a
        task hash. Only for stores whose :attr:`signs_results` is true; the default raises.

        Raises
        ------
        jug.errors.SecretKeyError
            If the store cannot sign, or has no :attr:`signer`.
        """
        raise _cannot_sign(self)

    def sign(self, names: Iterable[str]) -> int:
        """Sign the stored results *names* (keys, or names from :meth:`signature_states`)
        with :attr:`signer`, as they are, without decoding them: for results the user
        trusts. A result with a signature has it replaced. Returns how many were signed
        (names without a result are skipped). The default raises, as
        :meth:`signature_states` does."""
        raise _cannot_sign(self)


def _cannot_sign(store: Store) -> Exception:
    from .errors import SecretKeyError

    if not store.signs_results:
        return SecretKeyError(f"the store {store!r} cannot sign results")
    return SecretKeyError(
        "no secret key is configured (--secret-file, JUG_SECRET_FILE or JUG_SECRET_KEY)"
    )


def signer_of(store: Store) -> Signer:
    """The :attr:`Store.signer` of *store*, for the signing methods of a store.

    Raises
    ------
    jug.errors.SecretKeyError
        If the store has none.
    """
    signer = store.signer
    if signer is None:
        raise _cannot_sign(store)
    return signer
