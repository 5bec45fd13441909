"""The redis store: results and leases on a redis (or Valkey) server shared by all workers.

For clusters whose nodes share no file system: every ``jug execute`` connects to one
server. Select it with ``--jugdir`` (forms in :mod:`jug.backends._redis_url`)::

    redis:                                   localhost:6379
    redis://:PASSWORD@HOST:PORT/DB?prefix=myproject
    rediss://HOST/0                          TLS
    unix:///run/redis/redis.sock?db=2

Data layout (the original jug's, so either implementation reads what the other wrote)
------------------------------------------------------------------------------------
* ``result:HASH`` — the result, as :func:`jug.backends.encode.encode` bytes (a zlib stream of
  ``b'P'`` + pickle or ``b'N'`` + ``.npy``; empty for ``None``), base64-encoded; with a
  secret key, those bytes behind their signature header (:mod:`jug.signing`);
* ``lock:HASH`` — the task's lease: a JSON :class:`~jug.store.LockInfo` with a random owner
  token, set with ``SET NX PX lease`` so that the server deletes it when the lease runs out
  unless the holder renews it. A failed mark is the record with ``"failed": true`` and no
  expiry. The original's values, ``L`` (running, never expires) and ``F`` (failed), are
  understood; an ``L`` gets our lease the first time one of our workers finds it locked.
* ``record:HASH`` — the result's record (its provenance, see
  :mod:`jug.execution.records`): ``STARTED DURATION PEAK_RSS CONTEXT``, three integers
  (nanoseconds since the epoch, nanoseconds, bytes) and the compact JSON of the record's
  context; saved with the result in the same ``MSET``, and removed with it. The original jug neither reads nor deletes these keys (its
  ``cleanup`` deletes only ``result:`` keys and locks).

With ``?prefix=NAME`` every key starts with ``NAME:``, so that several projects share one
server; listing, ``cleanup`` and ``remove_locks`` see only their own prefix (``SCAN`` with a
pattern, never ``KEYS``).

Round trips: one per result saved or loaded, one per lock operation (owner-checked server-
side scripts), one per few thousand keys for existence checks and lock listings, one for
:meth:`redis_store.lock_unless_done` (lock a task unless its result is stored) and one for
:meth:`redis_store.dump_and_release` (save a result and release its lock together): two per
task that ``jug execute`` runs (the record travels with the result). Commands go through a :class:`~._redis_client.Link` (one
connection per thread, raw replies), not through ``redis.Redis``'s per-command pool checkout
and reply post-processing, which cost several times a round trip to a local server.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import os
import socket
import time
import zlib
from collections.abc import Iterable, Iterator

from jug.errors import CorruptResultError, InvalidJugdirError
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

from . import _redis_scripts as scripts
from ._redis_client import Link, connect, describe, retrying, unreachable
from ._redis_url import RedisTarget, parse
from .encode import COMPRESSION_LEVEL, DecodeError, checked, decode, encode, is_plain_array

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "base_lock",
    "base_store",
    "decode",
    "encode",
    "from_jugdir",
    "redis_functional",
    "redis_lock",
    "redis_store",
]

# Keys per existence check / lock listing round trip, and SCAN's COUNT hint.
_BATCH = 5000
# Arrays of at least _SAMPLE_FROM bytes are stored uncompressed if _SAMPLE bytes do not
# compress (see _level_for).
_SAMPLE_FROM = 1 << 20
_SAMPLE = 1 << 18
# The original jug's lock values.
_ORIGINAL_RUNNING = b"L"
_ORIGINAL_FAILED = b"F"

_GET = scripts.Script(scripts.GET)
_LOCK_UNLESS_DONE = scripts.Script(scripts.LOCK_UNLESS_DONE)
_OUTCOMES = {
    scripts.LOCKED: LockOutcome.LOCKED,
    scripts.DONE: LockOutcome.DONE,
    scripts.HELD: LockOutcome.HELD,
}
# The keys and the arguments of a script call.
_ScriptCall = tuple[builtins.list[bytes], builtins.list[object]]
_RELEASE = scripts.Script(scripts.RELEASE)
_REFRESH = scripts.Script(scripts.REFRESH)
_FAIL = scripts.Script(scripts.FAIL)
_EXISTS_MANY = scripts.Script(scripts.EXISTS_MANY)
_RECORDS = scripts.Script(scripts.RECORDS)


def _b64(value: bytes) -> bytes:
    """The bytes of a stored value (empty if it is not base64: unsigned, to a signer)."""
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        return b""


def _level_for(obj: Any) -> int:
    """zlib level for *obj*: 0 (store) for a large array whose bytes do not compress.

    The original's format requires a zlib stream, but compressing incompressible data
    (e.g. random floating-point numbers) costs seconds per hundred megabytes for nothing;
    a sample tells.
    """
    if not is_plain_array(obj) or obj.nbytes < _SAMPLE_FROM or not obj.flags.c_contiguous:
        return COMPRESSION_LEVEL
    sample = memoryview(obj.reshape(-1).view("u1"))[:_SAMPLE]
    return (
        0
        if len(zlib.compress(sample, COMPRESSION_LEVEL)) > 0.9 * len(sample)
        else COMPRESSION_LEVEL
    )


def _lease_ms(lease: float) -> int:
    return max(1, int(lease * 1000 + 0.5))


def _record(info: LockInfo) -> bytes:
    """The JSON of *info*, as stored in a lock's value (compact: see LockInfo.to_json)."""
    return info.to_json(compact=True).encode()


def _new_record(lease: float) -> tuple[LockInfo, bytes]:
    """A :meth:`LockInfo.new` record for a lock taken now, and its JSON."""
    info = LockInfo.new(lease)
    return info, _record(info)


def _parse_record(value: bytes, pttl: int, default_lease: float, now: float) -> LockInfo:
    """The :class:`LockInfo` of a lock whose value is *value* and time-to-live *pttl* ms.

    The heartbeat is derived from the time-to-live, which the server counts: clocks of
    the workers need not agree.
    """
    info: LockInfo | None = None
    if value.startswith(b"{"):
        try:
            info = LockInfo.from_json(value)
        except ValueError:
            info = None
    if info is None:  # the original jug's 'L'/'F', or something unknown: a lock all the same
        info = LockInfo(lease=default_lease, failed=value == _ORIGINAL_FAILED)
        if info.failed:
            info.error = "(marked as failed by the original jug)"
    if not info.failed:
        info.heartbeat = now if pttl < 0 else now - max(0.0, info.lease - pttl / 1000.0)
    return info


class redis_store(Store):
    """Results and locks on a redis server.

    Parameters
    ----------
    url : str, optional
        A redis jugdir (default ``'redis:'``, localhost:6379).

    Attributes
    ----------
    jugdir : str
        The URL.
    prefix : str
        The key prefix (``''`` or ``'NAME:'``).
    lease : float
        Lease length (seconds) of the locks taken from now on.
    retry : float
        Seconds during which a lost connection is retried before operations fail.

    Raises
    ------
    jug.errors.StoreError
        If the server cannot be reached, refuses the credentials, or the ``redis`` package
        is not installed (one-line messages saying what to do).
    jug.errors.InvalidJugdirError
        If *url* is malformed.
    """

    keeps_records = True
    signs_results = True

    def __init__(self, url: str = "redis:") -> None:
        self.jugdir = url
        self._target: RedisTarget = parse(url)
        self.prefix = self._target.prefix
        self.retry = self._target.retry
        self.redis = connect(self._target)
        self._link = Link(self.redis)
        self._results = (self.prefix + "result:").encode()
        self._locks = (self.prefix + "lock:").encode()
        self._records = (self.prefix + "record:").encode()
        # The contexts of the records read so far, by their JSON (few: one per worker run).
        self._contexts: dict[bytes, RecordContext] = {}
        self._check_server()

    def __repr__(self) -> str:
        return f"redis_store({self._target.address!r}, prefix={self.prefix!r})"

    def _check_server(self) -> None:
        """Fail now, with a clear message, if the server is unreachable or refuses us."""
        from redis import exceptions as rx

        try:
            self._link.call("PING")
        except rx.RedisError as exc:
            err = describe(self._target, exc, "answer PING")
            raise (err if err is not None else unreachable(self._target, exc)) from exc

    def _do(self, what: str, fn: Any, *args: Any) -> Any:
        return retrying(self._target, what, lambda: fn(*args))

    def _call(self, what: str, *command: Any) -> Any:
        """Send one command (retried while the server is unreachable); its raw reply."""
        return retrying(self._target, what, lambda: self._link.call(*command))

    def _script(self, what: str, script: scripts.Script, keys: Any, args: Any) -> Any:
        return retrying(self._target, what, lambda: script(self._link, keys, args))

    def _rkey(self, key: str | bytes) -> bytes:
        return self._results + (key if isinstance(key, bytes) else key.encode())

    def _lkey(self, key: str | bytes) -> bytes:
        return self._locks + (key if isinstance(key, bytes) else key.encode())

    def _reckey(self, key: str | bytes) -> bytes:
        return self._records + (key if isinstance(key, bytes) else key.encode())

    def _scan(self, prefix: bytes) -> Iterator[builtins.list[bytes]]:
        """Batches of up to ``_BATCH`` keys starting with *prefix* (each key once), by ``SCAN``.

        ``SCAN`` walks the whole key space (other projects' keys included) a slice at a
        time; the matches are gathered into full batches, so that the work done per batch
        (one script call, one ``DEL``) does not depend on how many keys others have.
        """
        seen: set[bytes] = set()
        pending: builtins.list[bytes] = []
        cursor: Any = 0
        pattern = prefix + b"*"
        while True:
            cursor, found = self._call(
                "list keys", "SCAN", cursor, "MATCH", pattern, "COUNT", _BATCH
            )
            for name in found:
                if name not in seen:  # SCAN may return a key twice
                    seen.add(name)
                    pending.append(name)
            if len(pending) >= _BATCH:
                yield pending
                pending = []
            if int(cursor) == 0:
                break
        if pending:
            yield pending

    # -- results --------------------------------------------------------------------------

    def _encode(self, obj: Any, key: str | bytes) -> bytes:
        data = encode(obj, _level_for(obj))
        if self.signer is not None:  # signed results: the MAC in front (jug.signing)
            data = self.signer.seal(as_key(key), data)
        return base64.b64encode(data)

    def dump(self, obj: Any, key: str | bytes) -> None:
        """Store *obj* under *key* in one ``SET`` (replacing any previous value atomically),
        and delete its record in the same round trip (it described the replaced result).

        The object is encoded before anything is sent: an unpicklable object changes nothing.
        """
        data = self._encode(obj, key)
        commands = [("SET", self._rkey(key), data), ("DEL", self._reckey(key))]
        self._do(f"save result {as_key(key)}", self._send, commands)

    def _send(self, commands: builtins.list[tuple[Any, ...]]) -> builtins.list[Any]:
        replies = self._link.calls(commands)
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return replies

    def dump_and_release(
        self,
        obj: Any,
        key: str | bytes,
        lock: Any,
        record: Record | None = None,
    ) -> None:
        """Store *obj* under *key* with its *record*, and release *lock* (if held), in one
        round trip.

        The result is written before the lock is released, so no other worker sees the
        task unlocked and without its result.
        """
        data = self._encode(obj, key)
        if record is None:
            save = [("SET", self._rkey(key), data), ("DEL", self._reckey(key))]
        else:
            context, started, duration, peak_rss = record
            value = f"{started} {duration} {peak_rss} {context.json}"
            save = [("MSET", self._rkey(key), data, self._reckey(key), value)]
        if not self._holds(lock):
            self._do(f"save result {as_key(key)}", self._send, save)
            if lock is not None:
                lock.release()
            return
        release = [lock._lkey], [lock._value]
        self._do(f"save result {as_key(key)}", self._send_save, save, release)
        lock._info = lock._value = None

    def _holds(self, lock: Any) -> bool:
        return isinstance(lock, redis_lock) and lock.store is self and lock._value is not None

    def _send_save(self, save: builtins.list[tuple[Any, ...]], release: _ScriptCall) -> None:
        """One round trip: the commands that *save* the result and its record, then the
        release script.

        A release script the server does not know (after a restart or ``SCRIPT FLUSH``) is
        sent again in full: releasing is safe to repeat.
        """
        link = self._link
        replies = link.calls([*save, _RELEASE.command(*release)])
        if isinstance(replies[-1], Exception) and scripts.is_noscript(replies[-1]):
            replies[-1] = _RELEASE.eval(link, *release)
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply

    # -- records ----------------------------------------------------------------------------

    def records(self, keys: Iterable[str | bytes] | None = None) -> dict[str, dict[str, Any]]:
        """The records of *keys* (default: all of this prefix): ``MGET`` per few thousand."""
        if keys is None:
            cut = len(self._records)
            wanted = [k[cut:].decode() for batch in self._scan(self._records) for k in batch]
        else:
            wanted = builtins.list(dict.fromkeys(map(as_key, keys)))
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), _BATCH):
            batch = wanted[start : start + _BATCH]
            values = self._call("read records", "MGET", *[self._reckey(k) for k in batch])
            for k, value in zip(batch, values, strict=True):
                if value is not None:
                    record = self._parse_record(value)
                    if record is not None:
                        out[k] = record_dict(record)
        return out

    def _parse_record(self, value: bytes) -> Record | None:
        """The record in a ``record:`` value, or ``None`` if it is not one."""
        try:
            started, duration, peak_rss, text = value.split(b" ", 3)
            context = self._contexts.get(text)
            if context is None:
                import json

                context = self._contexts[text] = RecordContext(json.loads(text))
            return (context, int(started), int(duration), int(peak_rss))
        except (TypeError, ValueError):
            return None

    def load(self, key: str | bytes) -> Any:
        """Return the object stored under *key*.

        Raises
        ------
        KeyError
            If there is no result for *key*.
        jug.errors.CorruptResultError
            If the stored value cannot be decoded (the message names the hash).
        """
        name = as_key(key)
        data = self._call(f"load result {name}", "GET", self._rkey(key))
        if data is None:
            raise KeyError(name)
        try:
            raw = base64.b64decode(data, validate=True)
        except binascii.Error as exc:
            where = self._rkey(key).decode()
            raise CorruptResultError(
                name, f"redis key {where} at {self._target.address}: {exc}"
            ) from exc
        view = checked(self.signer, name, raw)  # checked before anything is decoded
        try:
            return decode(view)
        except DecodeError as exc:
            where = self._rkey(key).decode()
            raise CorruptResultError(
                name, f"redis key {where} at {self._target.address}: {exc}"
            ) from exc

    def can_load(self, key: str | bytes) -> bool:
        return bool(self._call("check a result", "EXISTS", self._rkey(key)))

    # -- signed results (see jug.signing) ---------------------------------------------------

    def signature_states(self, keys: Iterable[str | bytes] | None = None) -> dict[str, Any]:
        """Whether each result among *keys* (default: all of this prefix) is signed with
        the store's key: ``MGET`` per few thousand keys, nothing decoded."""
        signer = signer_of(self)
        if keys is None:
            wanted = [k.decode() for k in self.list()]
        else:
            wanted = builtins.list(dict.fromkeys(map(as_key, keys)))
        out: dict[str, Any] = {}
        for start in range(0, len(wanted), _BATCH):
            batch = wanted[start : start + _BATCH]
            values = self._call("read results", "MGET", *[self._rkey(k) for k in batch])
            for k, value in zip(batch, values, strict=True):
                if value is not None:
                    out[k] = signer.state(k, _b64(value))
        return out

    def sign(self, names: Iterable[str]) -> int:
        """Sign the results *names* with the store's key, as they are (one ``GET`` and
        one ``SET`` each; sign while no worker runs)."""
        signer = signer_of(self)
        done = 0
        for name in map(as_key, names):
            value = self._call(f"read result {name}", "GET", self._rkey(name))
            if value is None:
                continue
            sealed = signer.seal(name, checked(None, name, _b64(value)))
            self._call(f"sign result {name}", "SET", self._rkey(name), base64.b64encode(sealed))
            done += 1
        return done

    def can_load_many(self, keys: Iterable[str | bytes]) -> set[str]:
        """The subset of *keys* with a result: one round trip per few thousand keys."""
        wanted = builtins.list(dict.fromkeys(map(as_key, keys)))
        present: set[str] = set()
        for start in range(0, len(wanted), _BATCH):
            batch = wanted[start : start + _BATCH]
            flags = self._script("check results", _EXISTS_MANY, [self._rkey(k) for k in batch], [])
            present.update(k for k, f in zip(batch, flags, strict=True) if f == ord("1"))
        return present

    def remove(self, key: str | bytes) -> bool:
        """Delete the result of *key* and its record (one round trip)."""
        commands = [("DEL", self._rkey(key)), ("DEL", self._reckey(key))]
        return bool(self._do(f"remove result {as_key(key)}", self._send, commands)[0])

    def _delete(self, keys: builtins.list[bytes]) -> int:
        return int(self._call("remove keys", "DEL", *keys)) if keys else 0

    def list(self) -> Iterator[bytes]:
        """Iterate over the keys (``bytes``, as in the original jug) of all results under
        this store's prefix."""
        cut = len(self._results)
        for batch in self._scan(self._results):
            for name in batch:
                yield name[cut:]

    def cleanup(self, active: Iterable[Any], keeplocks: bool = False) -> int:
        """Remove results (and locks, unless *keeplocks*) of this prefix not in *active*
        (keys or tasks); return the number of results removed."""
        keep = {k.encode() for k in active_keys(active)}
        removed = 0
        kinds = [self._results, self._records]
        if not keeplocks:
            kinds.append(self._locks)
        for prefix in kinds:
            cut = len(prefix)
            for batch in builtins.list(self._scan(prefix)):
                gone = self._delete([k for k in batch if k[cut:] not in keep])
                if prefix is self._results:
                    removed += gone
        return removed

    def find_elsewhere(self, keys: Iterable[str]) -> str | None:
        """If this store's database (not 0) holds none of the results of *keys* but
        database 0 of the same server does: a line saying so, with the jugdir to use.

        The original jug ignored the database number of its URLs and wrote to database 0,
        so a project it computed with ``redis://HOST/3`` is in database 0. One existence
        query here (a round trip per 5000 keys), and, only if nothing is found, one there.
        """
        db = self._target.kwargs.get("db", 0)
        wanted = [as_key(k) for k in keys]
        if not db or not wanted or self.can_load_many(wanted):
            return None
        url = _with_database(self.jugdir, 0)
        try:
            other = redis_store(url)
        except Exception:  # not allowed there, say: nothing to suggest
            return None
        try:
            found = len(other.can_load_many(wanted))
        except Exception:
            return None
        finally:
            other.close()
        if not found:
            return None
        from ._redis_url import _hide_password

        return (
            f"database {db} holds none of this jugfile's results, but database 0 holds "
            f"{found} of {len(set(wanted))}: the original jug ignored the database of redis "
            f"URLs and always wrote to 0; to use those results, run with --jugdir "
            f"{_hide_password(url)}"
        )

    def close(self) -> None:
        """Close the connections to the server."""
        self._link.close()
        self.redis.close()

    # -- locks ----------------------------------------------------------------------------

    def getlock(self, key: str | bytes) -> redis_lock:
        return redis_lock(self, as_key(key))

    def lock_unless_done(self, key: str | bytes, lock: Lock) -> LockOutcome:
        """Take *lock* unless the result of *key* is stored: one round trip (one script).

        Like :meth:`redis_lock.get` otherwise: a lease that ran out is gone from the server,
        a failed mark or a live lease means ``HELD``, and the original jug's ``L`` gets our
        lease. A stored result wins over any lock: its task needs no worker. See
        :meth:`jug.store.Store.lock_unless_done` for the outcomes.
        """
        if not isinstance(lock, redis_lock) or lock.store is not self:
            return super().lock_unless_done(as_key(key), lock)
        return _OUTCOMES[lock._take(self._rkey(key))]

    def listlocks(self) -> builtins.list[bytes]:
        """The keys (``bytes``) of every lock under this store's prefix."""
        cut = len(self._locks)
        return [k[cut:] for batch in self._scan(self._locks) for k in batch]

    def lock_infos(self) -> dict[str, LockInfo]:
        """The record of every lock: ``SCAN`` plus one script call per batch of locks."""
        out: dict[str, LockInfo] = {}
        cut = len(self._locks)
        for batch in self._scan(self._locks):
            replies = self._script("read locks", _RECORDS, batch, [])
            now = time.time()
            for i, name in enumerate(batch):
                value, pttl = replies[2 * i], replies[2 * i + 1]
                if value is not None:
                    out[name[cut:].decode()] = _parse_record(value, int(pttl), self.lease, now)
        return out

    def remove_locks(self) -> int:
        """Remove every lock and failed mark under this prefix; return how many."""
        return sum(self._delete(batch) for batch in builtins.list(self._scan(self._locks)))


class redis_lock(Lock):
    """The lease of one task in a :class:`redis_store`.

    The lock object remembers the exact value it wrote; it holds the lock while the
    server still has that value (see :mod:`jug.backends._redis_scripts`).
    """

    def __init__(self, store: redis_store, key: str) -> None:
        self.store = store
        self.key = key
        self._lkey = store._lkey(key)
        self._info: LockInfo | None = None
        self._value: bytes | None = None

    def __repr__(self) -> str:
        return f"redis_lock({self.store._target.address!r}, {self.key!r})"

    def _run(self, what: str, script: scripts.Script, *args: Any) -> Any:
        return self.store._script(f"{what} the lock of {self.key}", script, [self._lkey], args)

    def _take(self, result_key: bytes | None) -> int:
        """Take the lock, by ``SET NX PX lease``; unless *result_key* exists, if given.

        Returns one of ``_redis_scripts.LOCKED``, ``DONE`` and ``HELD``.
        """
        if self._value is not None and self._current() == self._value:
            return scripts.HELD  # held already: taking it again must not succeed
        info, value = _new_record(self.store.lease)
        lease = _lease_ms(info.lease)
        if result_key is None:
            outcome = self._run("take", _GET, value, lease)
        else:
            outcome = self.store._script(
                f"take the lock of {self.key}",
                _LOCK_UNLESS_DONE,
                [result_key, self._lkey],
                (value, lease),
            )
        if outcome == scripts.LOCKED:
            self._info, self._value = info, value
        else:
            self._info = self._value = None
        return int(outcome)

    def get(self) -> bool:
        """Take the lock (``SET NX PX lease``); return whether this object holds it."""
        return self._take(None) == scripts.LOCKED

    def release(self) -> None:
        """Remove the lock if this object holds it (a failed mark is left alone)."""
        if self._value is not None:
            self._run("release", _RELEASE, self._value)
        self._info = self._value = None

    def refresh(self) -> bool:
        """Renew the lease; ``False`` if this object no longer holds the lock."""
        if self._value is None or self._info is None:
            return False
        return bool(self._run("renew", _REFRESH, self._value, _lease_ms(self._info.lease)))

    def fail(self, error: str = "") -> bool:
        """Turn the held lock into a failed mark recording *error*; ``False`` if not held."""
        if self._value is None or self._info is None:
            return False
        failed = LockInfo.from_dict(self._info.to_dict())
        failed.failed = True
        failed.error = error
        failed.failed_at = time.time()
        failed.host = socket.gethostname()
        failed.pid = os.getpid()
        ok = bool(self._run("mark as failed", _FAIL, self._value, _record(failed)))
        self._info = self._value = None
        return ok

    def _current(self) -> bytes | None:
        value: bytes | None = self.store._call(f"read the lock of {self.key}", "GET", self._lkey)
        return value

    def is_locked(self) -> bool:
        return bool(self.store._call("check a lock", "EXISTS", self._lkey))

    def is_failed(self) -> bool:
        value = self._current()
        return value is not None and _parse_record(value, -1, self.store.lease, 0.0).failed

    def force_release(self) -> None:
        self._info = self._value = None
        self.store._call(f"remove the lock of {self.key}", "DEL", self._lkey)

    def info(self) -> LockInfo | None:
        replies = self.store._script(f"read the lock of {self.key}", _RECORDS, [self._lkey], [])
        if replies[0] is None:
            return None
        return _parse_record(replies[0], int(replies[1]), self.store.lease, time.time())


#: The original's names (of jug.backends.base): this module exported them too.
base_store, base_lock = Store, Lock


def _with_database(url: str, db: int) -> str:
    """The redis jugdir *url* with database *db* instead of its own."""
    from urllib.parse import parse_qsl, urlencode, urlsplit

    if url.startswith("redis:") and not url.startswith("redis://"):
        url = "redis://" + (url[len("redis:") :] or "localhost")  # the original's redis:HOST
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    path = parts.path
    if any(name == "db" for name, _ in query):
        query = [(n, str(db) if n == "db" else v) for n, v in query]
    else:
        path = f"/{db}"
    # Built by hand: urlunsplit drops the empty host of unix:///PATH.
    return f"{parts.scheme}://{parts.netloc}{path}" + (f"?{urlencode(query)}" if query else "")


def _redis_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("redis") is not None


#: Whether the ``redis`` package is installed (the original's flag).
redis_functional = _redis_installed()


def from_jugdir(jugdir: str) -> redis_store:
    """The factory of the ``redis``, ``rediss`` and ``unix`` backends: *jugdir* is a redis
    URL (see the module docstring).

    Raises
    ------
    InvalidJugdirError
        For a string that is no redis URL, e.g. a bare ``redis`` (which could as well be
        meant as a directory).
    """
    if not jugdir.startswith(("redis:", "rediss:", "unix:")):
        raise InvalidJugdirError(
            f"{jugdir!r} is not a redis jugdir: use redis: (a server on this machine), "
            f"redis://HOST:PORT/DB, or ./{jugdir} for a directory of that name"
        )
    return redis_store(jugdir)
