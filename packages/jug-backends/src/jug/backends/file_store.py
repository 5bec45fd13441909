"""The file store: one file per result in a directory, safe on NFS and shared by many workers.

Layout (the same as the original jug's, so either implementation reads the other's data)::

    JUGDIR/3a/b04c6abfa31e89deca3a8c90fa30d13d8bba68     result of task 3ab04c6a…
    JUGDIR/locks/3ab04c6abfa31e89deca3a8c90fa30d13d8bba68.lock

Results are encoded by :mod:`jug.backends.encode`. Their records (provenance, see
:mod:`jug.execution.records`) go to append-only logs in ``JUGDIR/packs/``
(:mod:`jug.backends._file_records`), where the original jug's ``cleanup`` leaves them. A result is written to a hidden temporary
file (``.REST.TOKEN.tmp``) in its shard directory, fsynced, then renamed over the final name,
so a reader sees the old result or the new one and a crashed writer leaves only a hidden file
that :meth:`file_store.list` ignores and :meth:`file_store.cleanup` removes.

Packs
-----
``jug pack`` (:meth:`file_store.update_pack`) moves every result file of at most
:data:`MAX_FILESIZE_IN_PACK` bytes into one *pack*, ``JUGDIR/packs/jugpack``, in the original
jug's format: the stored form (:func:`jug.backends.encode.encode_to`) of a dict from key
(``bytes``) to value. A jugdir packed by either implementation is complete for the other.
The pack is read the first time a store needs it (values whose classes cannot be imported
yet, before the jugfile is loaded, are read again when asked for); it is rewritten while
holding the lock ``locks/pack-save.lock`` (the original's), re-read under it so that no
change made meanwhile by another process is lost. Saving a result that is in the pack,
removing it (``invalidate``) or ``cleanup`` take it out of the pack. A result file wins over
a pack entry of the same key. The pack is read once per process, as the original does: pack
a project while no worker runs.

Locks are leases (see :mod:`jug.backends.base`). A lock file is created with
``O_CREAT | O_EXCL`` and holds a JSON :class:`~jug.store.LockInfo`; its modification time is
the heartbeat, renewed by :meth:`file_lock.refresh` with ``os.utime`` (the record's
``heartbeat`` field is the time the lock was taken; the effective heartbeat is the later of
the two). A failed mark is the record with ``failed: true`` and a modification time of 1 (one second
after the epoch), which is also how the original jug marks failed locks. Lock files written by the original
jug (plain text, no owner token) are recognised: their heartbeat is their modification time
and their lease is the reading store's lease.

Reclaiming a stale lock
-----------------------
``get()`` first tries ``O_EXCL``-creating the lock file. If a lock exists and is stale, the
would-be reclaimer must first ``O_EXCL``-create a per-key *reclaim mutex*
(``locks/.KEY.reclaiming``): of several reclaimers of the same lock only one gets it, and the
others return ``False`` at once. The mutex holder reads the lock again; if it is still stale,
it renames it to a tombstone unique to itself, checks by inode that it moved the very file it
judged stale, deletes it, and ``O_EXCL``-creates its own lock (a worker that saw the name
free in between may win that create instead: ``O_EXCL`` lets exactly one succeed). As only
the mutex holder ever removes a lock it did not take, reclaimers can no longer displace each
other's fresh locks. A mutex left by a reclaimer that died within those few system calls is
ignored and removed once it is older than a minute.

Residual window: if the *stale* holder is in fact alive and releases its lock between the
reclaimer's check and its rename, and a third worker takes the lock in that instant, the
reclaimer moves that fresh lock aside; it notices (inode), links it back if the name is still
free, and gives up. A fourth worker creating the lock within those few system calls would
make the task run twice (results are written atomically, so the stored value stays right).
Owner operations (``release``, ``fail``, ``refresh``) check the token and then act; they can
only misfire if the holder had already let its lease expire. A release within half a lease of
the moment the holder last saw its token in the file skips the read: no other worker can
have found the lock stale by then, so the file is still the holder's (unless someone forced
it away, which ``jug cleanup --force`` warns about). Staleness compares clocks of different
hosts: keep them synchronised (NTP) to well below half the lease.
"""

from __future__ import annotations

import builtins
import errno
import os
import re
import time
from collections.abc import Iterable, Iterator

from jug.atomic import write_atomically
from jug.errors import CorruptResultError, StoreError
from jug.store import Lock, LockInfo, Record, Store, active_keys, as_key, signer_of

from ._file_records import RecordLogs
from .encode import (
    DecodeError,
    checked,
    decode,
    decode_from,
    encode,
    encode_small,
    encode_to,
    is_polars_frame,
    read_result,
    write_result,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "MAX_FILESIZE_IN_PACK",
    "base_lock",
    "base_store",
    "decode_from",
    "encode_to",
    "file_based_lock",
    "file_keepalive_based_lock",
    "file_keepalive_store",
    "file_lock",
    "file_store",
    "from_jugdir",
    "fsync_dir",
]

#: Result files up to this many bytes go into the pack (``jug pack``), as in the original.
MAX_FILESIZE_IN_PACK = 512
_PACKS = "packs"
_PACK_FILE = "jugpack"
#: The name the pack is signed under, and its entry in signature_states (never a hash).
PACK_NAME = f"{_PACKS}/{_PACK_FILE}"
# The lock that serialises rewriting the pack (the original's name for it).
_PACK_LOCK = "pack-save"
# How long to wait for another process's pack rewrite before giving up.
_PACK_LOCK_PATIENCE = 120.0

_LOCKS = "locks"
_LOCK_SUFFIX = ".lock"
_TMP_SUFFIX = ".tmp"
# Temporary files older than this are left over from a crashed writer (a live writer keeps
# its file's modification time current), so cleanup() may delete them.
_STALE_TEMP_AGE = 3600.0
# How long an owner operation waits for its lock file to reappear: a reclaimer that moved a
# fresh lock aside by mistake puts it back within a few system calls.
_REAPPEAR_WAIT = 0.05
# The per-key reclaim mutex (see "Reclaiming a stale lock"); one older than
# _STALE_MUTEX_AGE seconds was left by a reclaimer that died mid-reclaim.
_RECLAIM_SUFFIX = ".reclaiming"
_STALE_MUTEX_AGE = 60.0
# Modification time of a failed mark (the original jug's convention).
_FAILED_MTIME = 1.0
# A key names the file SHARD/REST with SHARD = key[:2]: neither part may be hidden (temporary
# files are) or leave its directory. Nor may a key hold a quote or a control character, so
# that the record logs write it as it is in JSON.
_NOT_IN_KEY = r'/\\\x00-\x1f\x7f"'
_VALID_KEY = re.compile(f"[^.{_NOT_IN_KEY}][^{_NOT_IN_KEY}][^.{_NOT_IN_KEY}][^{_NOT_IN_KEY}]*")
_ORIGINAL_LOCK = re.compile(rb"PID\s+(\d+)\s+on\s+HOSTNAME\s+(\S+)")

_REASONS = {
    errno.ENOSPC: "no space left on device (disk full)",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.ENOTDIR: "a path component is not a directory",
}


def _store_error(exc: OSError, what: str, show_file: bool = True) -> StoreError:
    """A one-line :class:`StoreError` for *exc*, which happened while doing *what*."""
    reason = _REASONS.get(exc.errno or 0, exc.strerror or str(exc))
    where = f" ({exc.filename})" if exc.filename and show_file else ""
    err = StoreError(f"cannot {what}: {reason}{where}")
    err.errno = exc.errno
    return err


def _scan(path: str, what: str) -> list[os.DirEntry[str]]:
    """The entries of the directory *path*; none if it is missing (or not a directory).

    Any other failure (no permission to read it, ...) is a :class:`StoreError` saying that
    *what* could not be listed, rather than a traceback.
    """
    try:
        with os.scandir(path) as it:
            return list(it)
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        raise _store_error(exc, f"list {what}") from exc


# Above this many keys, can_load_many lists every shard rather than working out which.
_MANY_KEYS = 4096


def _names(path: str, what: str) -> list[str]:
    """The names in the directory *path* (like :func:`_scan`, without the entry objects)."""
    try:
        return os.listdir(path)
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        raise _store_error(exc, f"list {what}") from exc


# Listing every shard directory of a large project (a status, or a start over many tasks)
# is spread over threads: os.listdir lets other threads run while it waits for the file
# system, so on NFS, where each listing is a round trip to the server, the waits overlap,
# and on a local disk the kernel's work spreads over the cores. Small queries, and those
# over shards that may not exist yet (a project's first start), list one after the other:
# threads would cost more than they save.
_LISTING_THREADS = 4
_PARALLEL_LISTINGS = 32


def _listings(paths: list[str], what: str, parallel: bool) -> list[list[str]]:
    """:func:`_names` of each of *paths*, in order; several at once if *parallel*."""
    if not parallel or len(paths) < _PARALLEL_LISTINGS:
        return [_names(path, what) for path in paths]
    import threading

    out: list[list[str]] = [[] for _ in paths]
    errors: list[BaseException] = []
    stride = _LISTING_THREADS

    def list_every_stride(first: int) -> None:
        try:
            for i in range(first, len(paths), stride):
                out[i] = _names(paths[i], what)
        except BaseException as exc:  # raised again in the calling thread
            errors.append(exc)

    threads = [
        threading.Thread(target=list_every_stride, args=(k,), name="jug-listing", daemon=True)
        for k in range(stride)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return out


def _token() -> str:
    return os.urandom(8).hex()


class file_store(Store):
    """Results and locks as files below the directory *dname*.

    Parameters
    ----------
    dname : str or path
        The jugdir. It is created when the first result or lock is written (reading an
        absent jugdir finds nothing and creates nothing).
    compress_numpy : bool, optional
        Store plain numpy arrays zlib-compressed instead of as raw ``.npy`` files.

    Attributes
    ----------
    jugdir : str
        The directory.
    packfile : str
        The pack (``JUGDIR/packs/jugpack``, see ``jug pack``), which may not exist.
    lease : float
        Lease length (seconds) recorded in locks taken from now on.

    Raises
    ------
    StoreError
        If *dname* exists and is not a directory.
    """

    keeps_records = True
    signs_results = True

    def __init__(self, dname: str | os.PathLike[str], compress_numpy: bool = False) -> None:
        self.jugdir = os.fspath(dname)
        self.compress_numpy = compress_numpy
        if os.path.exists(self.jugdir) and not os.path.isdir(self.jugdir):
            raise StoreError(
                f"jugdir {self.jugdir!r} exists and is not a directory; "
                "choose another --jugdir or move the file away"
            )
        self._lockdir = os.path.join(self.jugdir, _LOCKS)
        self._prefix = os.path.join(self.jugdir, "")  # paths below: prefix + relative
        self._lockprefix = os.path.join(self._lockdir, "")
        self._made_dirs: set[str] = set()
        self._records = RecordLogs(self.jugdir, self._makedir)
        self.packfile = os.path.join(self.jugdir, _PACKS, _PACK_FILE)
        # The pack as read (str key -> value), None until needed; keys whose values could
        # not all be read are in self._pack_unread.
        self._pack: dict[str, Any] | None = None
        self._pack_unread = False

    def __repr__(self) -> str:
        return f"file_store({self.jugdir!r})"

    # -- paths ----------------------------------------------------------------------------

    def _key(self, key: str | bytes) -> str:
        key = as_key(key)
        if _VALID_KEY.fullmatch(key) is None:
            raise ValueError(f"invalid store key {key!r} (expected a task hash)")
        return key

    def _getfname(self, key: str | bytes) -> str:
        key = self._key(key)
        return f"{self._prefix}{key[:2]}{os.sep}{key[2:]}"

    def _lockname(self, key: str) -> str:
        return self._lockprefix + key + _LOCK_SUFFIX

    def _makedir(self, path: str) -> None:
        if path in self._made_dirs:
            return
        try:
            os.makedirs(path, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise StoreError(
                f"cannot create {path!r} in jugdir {self.jugdir!r}: a file is in the way"
            ) from exc
        except OSError as exc:
            raise _store_error(exc, f"create directory {path!r}", show_file=False) from exc
        self._made_dirs.add(path)

    # -- results --------------------------------------------------------------------------

    def dump(self, obj: Any, key: str | bytes) -> None:
        """Store *obj* under *key* atomically (temporary file, fsync, rename).

        Raises
        ------
        StoreError
            On disk full, permission denied and similar errors; nothing is left behind.
        """
        key = self._dump(obj, key)
        if self._records.has_logs():  # any record of the replaced result is void now
            self._void_records([key])

    def dump_and_release(
        self,
        obj: Any,
        key: str | bytes,
        lock: Lock,
        record: Record | None = None,
    ) -> None:
        """Store *obj* under *key*, append its *record* to this process's record log, and
        release *lock*, in that order."""
        key = self._dump(obj, key)
        if record is not None:
            try:
                self._records.append_record(key, record)
            except OSError as exc:
                raise _store_error(exc, f"write records in {self._records.directory!r}") from exc
        elif self._records.has_logs():
            self._void_records([key])
        lock.release()

    def _void_records(self, keys: Iterable[str]) -> None:
        try:
            self._records.append_voids(keys)
        except OSError as exc:
            raise _store_error(exc, f"write records in {self._records.directory!r}") from exc

    def records(self, keys: Iterable[str | bytes] | None = None) -> dict[str, dict[str, Any]]:
        """The records of *keys* (default: all), from the record logs; reads only what was
        appended since this store object last read them."""
        try:
            return self._records.records(None if keys is None else map(as_key, keys))
        except OSError as exc:
            raise _store_error(exc, "read the records of results") from exc

    def _dump(self, obj: Any, key: str | bytes) -> str:
        """:meth:`dump` without touching the records; returns the key as a ``str``."""
        key = self._key(key)
        pack = self._pack if self._pack is not None else self._read_pack()
        if pack and key in pack:
            self._change_pack(lambda packed: _drop(packed, [key]))
        shard = self._prefix + key[:2]
        final = shard + os.sep + key[2:]
        self._makedir(shard)
        # Hidden, so that list() ignores it and cleanup() finds it if a crash leaves it.
        tmp = f"{shard}{os.sep}.{key[2:]}.{_token()}{_TMP_SUFFIX}"
        small = encode_small(obj)
        data: Any = small
        signer = self.signer
        if signer is not None:  # signed (see jug.signing): the MAC in front
            if small is not None:
                data = signer.seal(key, small)
            else:

                def data(out: Any) -> None:
                    signer.write_sealed(out, key, _writer_of(obj, self.compress_numpy))

        elif small is None:

            def data(out: Any) -> None:
                write_result(obj, out, self.compress_numpy)

        try:
            try:
                write_atomically(final, data, temp=tmp)
            except FileNotFoundError:
                # The shard directory was removed behind our back (another cleanup).
                self._made_dirs.discard(shard)
                self._makedir(shard)
                write_atomically(final, data, temp=tmp)
        except StoreError:
            raise
        except OSError as exc:
            raise _store_error(exc, f"write result {key} in {shard!r}", show_file=False) from exc
        return key

    def load(self, key: str | bytes) -> Any:
        """Return the object stored under *key*.

        Raises
        ------
        KeyError
            If there is no result for *key*.
        jug.errors.CorruptResultError
            If the file cannot be decoded (truncated or damaged); the message names the hash.
        """
        path = self._getfname(key)
        key = as_key(key)
        try:
            stream = open(path, "rb")
        except (FileNotFoundError, NotADirectoryError):
            return self._load_packed(key)
        except OSError as exc:
            raise _store_error(exc, f"read result {key}") from exc
        with stream:
            try:
                if self.signer is None:
                    return read_result(stream)
                # Read whole, checked, then decoded from memory: what is checked is what
                # is decoded, even if the file is rewritten meanwhile.
                return decode(self.signer.open(key, stream.read()))
            except DecodeError as exc:
                raise CorruptResultError(key, f"{path}: {exc}") from exc

    def can_load(self, key: str | bytes) -> bool:
        try:
            os.stat(self._getfname(key))
        except (FileNotFoundError, NotADirectoryError):
            pack = self._pack if self._pack is not None else self._read_pack()
            return bool(pack) and as_key(key) in pack
        except OSError as exc:  # not "absent": e.g. no permission to look
            raise _store_error(exc, f"look for result {as_key(key)}") from exc
        return True

    def can_load_many(self, keys: Iterable[str | bytes]) -> set[str]:
        """Return the subset of *keys* that have a result: one directory listing per shard."""
        keys = keys if isinstance(keys, (list, tuple, set, frozenset)) else list(keys)
        # C-level passes only: this runs over every task of a project at once.
        if set(map(type, keys)) <= {str}:
            wanted = set(keys)
        else:
            wanted = set(map(as_key, keys))
        many = len(wanted) > _MANY_KEYS
        if many:
            shards = [e.name for e in self._shards()]  # most shards hold wanted keys
        else:
            shards = list({k[:2] for k in wanted})
        # Only names a key can start with (not too short, not a path).
        shards = [shard for shard in shards if _VALID_KEY.fullmatch(shard + "x") is not None]
        paths = [self._prefix + shard for shard in shards]
        listings = _listings(paths, f"results in {self.jugdir!r}", parallel=many)
        present: set[str] = set()
        for shard, names in zip(shards, listings, strict=True):
            present.update(map(shard.__add__, names))
        pack = self._pack if self._pack is not None else self._read_pack()
        if pack:
            present.update(pack)
        return wanted & present

    def remove(self, key: str | bytes) -> bool:
        return bool(self.remove_many([key]))

    def remove_many(self, names: Iterable[str | bytes]) -> set[str | bytes]:
        """Remove the results of *names* (files and pack entries, the pack rewritten at most
        once) and void their records; return the names that had one."""
        names = builtins.list(names)
        keys = {as_key(name): name for name in names}
        for key in keys:
            self._key(key)
        removed: set[str | bytes] = set()
        pack = self._pack if self._pack is not None else self._read_pack()
        if pack and not keys.keys().isdisjoint(pack):
            gone = self._change_pack(lambda packed: _drop(packed, keys))
            removed.update(keys[k] for k in gone)
        for key, name in keys.items():
            try:
                os.unlink(self._getfname(key))
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError as exc:
                raise _store_error(exc, f"remove result {key}") from exc
            removed.add(name)
        if removed and self._records.has_logs():
            self._void_records([as_key(name) for name in removed])
        return removed

    def _shards(self) -> Iterator[os.DirEntry[str]]:
        for entry in _scan(self.jugdir, f"jugdir {self.jugdir!r}"):
            if len(entry.name) == 2 and not entry.name.startswith(".") and entry.is_dir():
                yield entry

    def _file_keys(self) -> Iterator[str]:
        for shard in self._shards():
            entries = _scan(shard.path, f"results in {self.jugdir!r}")
            names = [e.name for e in entries if not e.name.startswith(".")]
            for name in names:
                yield shard.name + name

    def list(self) -> Iterator[bytes]:
        """Iterate over the keys (``bytes``) of all results: files (temporary files are not
        results), then those in the pack only."""
        seen = set()
        for key in self._file_keys():
            seen.add(key)
            yield key.encode("ascii")
        for key in self._read_pack() if self._pack is None else self._pack:
            if key not in seen:
                yield key.encode("ascii")

    def cleanup(self, active: Iterable[Any], keeplocks: bool = False) -> int:
        """Remove results (and locks, unless *keeplocks*) whose keys are not in *active*.

        *active* holds keys or tasks. Also deletes temporary files (and lock tombstones)
        left by crashed processes, once they are an hour old, and removes from the pack
        what is not active. Returns the number of results removed (locks are not counted,
        as in the original jug).
        """
        keep = active_keys(active)
        removed = 0
        now = time.time()
        for shard in self._shards():
            for entry in _scan(shard.path, f"results in {self.jugdir!r}"):
                if entry.name.startswith("."):
                    if entry.name.endswith(_TMP_SUFFIX) and _older_than(
                        entry, now - _STALE_TEMP_AGE
                    ):
                        _unlink_quietly(entry.path)
                    continue
                if shard.name + entry.name not in keep and _unlink_quietly(entry.path):
                    removed += 1
        if self._read_pack():
            removed += len(self._change_pack(lambda packed: _drop(packed, set(packed) - keep)))
        if not keeplocks:
            for key in map(as_key, self.listlocks()):
                if key not in keep:
                    _unlink_quietly(self._lockname(key))
        # Tombstones and temporary lock files of a reclaimer or a failing worker that died
        # half-way are hidden files in the locks directory.
        hidden = [e for e in _scan(self._lockdir, "locks") if e.name.startswith(".")]
        for entry in hidden:
            if _older_than(entry, now - _STALE_TEMP_AGE):
                _unlink_quietly(entry.path)
        try:
            self._records.compact(keep)  # the records of the removed results go too
        except OSError as exc:
            raise _store_error(exc, "merge the record logs") from exc
        return removed

    # -- locks ----------------------------------------------------------------------------

    def getlock(self, key: str | bytes) -> file_lock:
        return file_lock(self, self._key(key))

    def _lock_entries(self) -> builtins.list[os.DirEntry[str]]:
        return [
            e
            for e in _scan(self._lockdir, "locks")
            if e.name.endswith(_LOCK_SUFFIX) and not e.name.startswith(".")
        ]

    def listlocks(self) -> builtins.list[bytes]:
        """The keys (``bytes``) of every lock (the pack's lock ``pack-save`` included)."""
        return [e.name[: -len(_LOCK_SUFFIX)].encode() for e in self._lock_entries()]

    def lock_infos(self) -> dict[str, LockInfo]:
        """The record of every lock, from one listing of the locks directory."""
        out: dict[str, LockInfo] = {}
        for entry in self._lock_entries():
            info = _read_lock(entry.path, self.lease)
            if info is not None:
                out[entry.name[: -len(_LOCK_SUFFIX)]] = info
        return out

    def remove_locks(self) -> int:
        """Remove every lock (and any leftover tombstone); return how many locks."""
        removed = 0
        for entry in _scan(self._lockdir, "locks"):
            if _unlink_quietly(entry.path) and entry.name.endswith(_LOCK_SUFFIX):
                removed += not entry.name.startswith(".")
        return removed

    def close(self) -> None:
        """Close this process's record log (every other file is closed after each use)."""
        self._records.close()

    # -- the pack (see "Packs" in the module docstring) ------------------------------------

    @property
    def packed(self) -> dict[bytes, Any]:
        """The pack's contents: key (``bytes``) → value (read on first use)."""
        pack = self._read_pack() if self._pack is None else self._pack
        if self._pack_unread:
            pack = self._read_pack(again=True)
        return {key.encode("ascii"): value for key, value in pack.items()}

    def _read_pack(self, again: bool = False) -> dict[str, Any]:
        """The pack, read from disk the first time (or *again*); empty if there is none."""
        if self._pack is not None and not again:
            return self._pack
        raw = _read_pack_file(self.packfile, lenient=False, signer=self.signer)
        unread = False
        if raw is _UNREADABLE:
            # A value's class is defined in a module not importable yet (the jugfile,
            # before it is loaded): read the keys now, the values when asked for.
            raw, unread = _read_pack_file(self.packfile, lenient=True, signer=self.signer), True
        assert isinstance(raw, dict)
        self._pack = {as_key(k): v for k, v in raw.items()}
        self._pack_unread = unread
        return self._pack

    def _load_packed(self, key: str) -> Any:
        pack = self._pack if self._pack is not None else self._read_pack()
        if key not in pack:
            raise KeyError(key)
        if self._pack_unread:
            pack = self._read_pack(again=True)
            if self._pack_unread:  # still not importable: say what is missing
                raw = _read_pack_file(
                    self.packfile, lenient=False, raise_errors=True, signer=self.signer
                )
                del raw
        return pack[key]

    def _change_pack(self, change: Any) -> set[str]:
        """Apply *change* (a function of the pack dict returning the keys it changed) to the
        pack on disk, holding the pack's lock and reading the pack again under it."""
        lock = self.getlock(_PACK_LOCK)
        deadline = time.monotonic() + _PACK_LOCK_PATIENCE
        pause = 0.01
        while not lock.get():
            if time.monotonic() > deadline:
                raise StoreError(
                    f"cannot change the pack of {self.jugdir!r}: another process holds its "
                    f"lock ({self._lockname(_PACK_LOCK)}); remove that file if none does"
                )
            time.sleep(pause)
            pause = min(pause * 2, 1.0)
        try:
            raw = _read_pack_file(
                self.packfile, lenient=False, raise_errors=True, signer=self.signer
            )
            assert isinstance(raw, dict)
            pack = {as_key(k): v for k, v in raw.items()}
            changed = change(pack)
            if changed:
                self._write_pack(pack)
            self._pack = pack
            self._pack_unread = False
            return changed
        finally:
            lock.release()

    def _write_pack(self, pack: dict[str, Any]) -> None:
        directory = os.path.dirname(self.packfile)
        self._makedir(directory)
        if not pack:
            _unlink_quietly(self.packfile)
            return
        # Keys as bytes, as the original wrote them (it looks them up by Task.hash()).
        data = {key.encode("ascii"): value for key, value in pack.items()}
        temp = os.path.join(directory, f".{_PACK_FILE}.{_token()}{_TMP_SUFFIX}")
        try:
            signer = self.signer
            if signer is None:
                write_atomically(self.packfile, lambda out: encode_to(data, out), temp=temp)
            else:
                sealed = signer.seal(PACK_NAME, encode(data))
                write_atomically(self.packfile, sealed, temp=temp)
        except OSError as exc:
            raise _store_error(exc, f"write the pack of {self.jugdir!r}", show_file=False) from exc

    def update_pack(self) -> int:
        """Move every result file of at most :data:`MAX_FILESIZE_IN_PACK` bytes into the
        pack (``jug pack``); return how many were moved.

        Every process that opens the store reads the whole pack into memory.
        """
        small: dict[str, Any] = {}
        for key in self._file_keys():
            path = self._getfname(key)
            try:
                if os.stat(path).st_size > MAX_FILESIZE_IN_PACK:
                    continue
                with open(path, "rb") as stream:
                    raw = stream.read()
                small[key] = decode(checked(self.signer, key, raw))
            except FileNotFoundError:  # removed meanwhile (an invalidate): nothing to pack
                continue
            except DecodeError as exc:
                raise CorruptResultError(key, f"{path}: {exc}") from exc
        if not small:
            return 0

        def add(pack: dict[str, Any]) -> set[str]:
            pack.update(small)
            return set(small)

        self._change_pack(add)
        for key in small:
            _unlink_quietly(self._getfname(key))
        return len(small)

    def resave_pack(self) -> None:
        """Write this process's copy of the pack to disk (the original's method; prefer
        :meth:`update_pack`: the copy may miss what other processes changed since)."""
        pack = dict(self._read_pack())
        self._change_pack(lambda packed: (packed.clear(), packed.update(pack), set(pack))[2])

    # -- signed results (see jug.signing) ---------------------------------------------------

    def signature_states(self, keys: Iterable[str | bytes] | None = None) -> dict[str, Any]:
        """Whether each result file among *keys* (default: all) is signed with the store's
        key, and the pack as a whole (under :data:`PACK_NAME`), if there is one; read as
        bytes, never decoded."""
        signer = signer_of(self)
        wanted = self._file_keys() if keys is None else map(self._key, keys)
        out: dict[str, Any] = {}
        for key in wanted:
            data = self._raw(self._getfname(key))
            if data is not None:
                out[key] = signer.state(key, data)
        data = self._raw(self.packfile)
        if data is not None:
            out[PACK_NAME] = signer.state(PACK_NAME, data)
        return out

    def sign(self, names: Iterable[str]) -> int:
        """Sign the result files and the pack (:data:`PACK_NAME`) among *names* with the
        store's key, as they are (each rewritten atomically); return how many."""
        signer = signer_of(self)
        done = 0
        for name in names:
            path = self.packfile if name == PACK_NAME else self._getfname(name)
            data = self._raw(path)
            if data is None:
                continue
            sealed = signer.seal(name, checked(None, name, data))
            temp = os.path.join(os.path.dirname(path), f".sign.{_token()}{_TMP_SUFFIX}")
            try:
                write_atomically(path, sealed, temp=temp)
            except OSError as exc:
                raise _store_error(exc, f"sign {name}", show_file=False) from exc
            done += 1
            if name == PACK_NAME:
                self._pack = None  # read (and checked) again when next needed
        return done

    def _raw(self, path: str) -> bytes | None:
        """The bytes of the file *path*, or ``None`` if there is none."""
        try:
            with open(path, "rb") as stream:
                return stream.read()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise _store_error(exc, "read a stored result") from exc

    # -- the rest of the original jug's file store API -------------------------------------

    def metadata(self, t: Any) -> dict[str, Any]:
        """``{"computed": bool}``, and ``"completed"`` (the result file's time, as
        :func:`time.ctime` writes it) for a result file."""
        key = as_key(t.hash())
        try:
            st = os.stat(self._getfname(key))
        except (FileNotFoundError, NotADirectoryError):
            return {"computed": key in self._read_pack()}
        return {"computed": True, "completed": time.ctime(st.st_mtime)}

    def create(self) -> None:
        """Create the jugdir (it is also created when the first result or lock is written)."""
        self._makedir(self.jugdir)

    def tempdir(self) -> str:
        """The original's directory for temporary files (``JUGDIR/tempfiles``). This store
        writes its temporary files next to their final names instead, and never uses it."""
        return os.path.join(self.jugdir, "tempfiles")

    @staticmethod
    def remove_store(jugdir: str) -> None:
        """Delete the jugdir *jugdir* and everything in it."""
        import shutil

        if os.path.exists(jugdir):
            shutil.rmtree(jugdir)


def _writer_of(obj: Any, compress_numpy: bool) -> Any:
    """A function writing the unsigned stored form of *obj* to a stream (a polars frame
    made into parquet in memory first: its writer may want to seek)."""
    if is_polars_frame(obj) and not compress_numpy:
        import io

        buffer = io.BytesIO()
        write_result(obj, buffer)
        return lambda out: out.write(buffer.getbuffer())
    return lambda out: write_result(obj, out, compress_numpy)


def _drop(pack: dict[str, Any], keys: Iterable[str]) -> set[str]:
    """Remove *keys* from *pack*; return those that were in it."""
    gone = {key for key in keys if key in pack}
    for key in gone:
        del pack[key]
    return gone


# _read_pack_file's answer when a value cannot be unpickled yet (see file_store._read_pack).
_UNREADABLE = object()


class _Unknown:
    """Stands for an object whose class cannot be imported while only the pack's keys are
    wanted."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        pass


def _read_pack_file(
    path: str, lenient: bool, raise_errors: bool = False, signer: Any = None
) -> object:
    """The dict stored in the pack file *path* (empty if there is none).

    Unpickling errors (a class that cannot be imported) give :data:`_UNREADABLE`, unless
    *raise_errors*; with *lenient*, such objects are replaced by placeholders instead.
    With *signer*, the pack's signature is checked first (:class:`SignatureError` if it
    is missing or wrong).
    """
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except OSError as exc:
        raise _store_error(exc, "read the pack") from exc
    view = checked(signer, PACK_NAME, data)
    try:
        if lenient:
            value = _lenient_decode(view)
        else:
            value = decode(view)
    except DecodeError as exc:
        raise StoreError(f"the pack {path} is damaged ({exc}); move it away") from exc
    except Exception:
        if raise_errors:
            raise
        return _UNREADABLE
    if not isinstance(value, dict):
        raise StoreError(f"{path} is not a jug pack (it holds a {type(value).__name__})")
    return value


def _lenient_decode(data: bytes | memoryview) -> Any:
    """Decode a pickled (``b'P'``) stored form, with placeholders for unimportable classes."""
    import io
    import pickle
    import zlib

    try:
        payload = zlib.decompress(data)
    except zlib.error as exc:
        raise DecodeError(f"invalid compressed data ({exc})") from exc
    if payload[:1] != b"P":
        raise DecodeError("not a pickled pack")

    class Reader(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            try:
                return super().find_class(module, name)
            except (ImportError, AttributeError):
                return _Unknown

    return Reader(io.BytesIO(payload[1:])).load()


def _take_mutex(path: str) -> bool:
    """``O_EXCL``-create *path*; an abandoned one (older than a minute) is replaced once."""
    for _ in range(2):
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return True
        except FileExistsError:
            try:
                age = time.time() - os.stat(path).st_mtime
            except FileNotFoundError:
                continue
            if age < _STALE_MUTEX_AGE:
                return False
            _unlink_quietly(path)
    return False


def _older_than(entry: os.DirEntry[str], cutoff: float) -> bool:
    try:
        return entry.stat().st_mtime < cutoff
    except FileNotFoundError:
        return False


def _unlink_quietly(path: str) -> bool:
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


def _record(info: LockInfo) -> bytes:
    """The JSON bytes of a lock file (``json.dumps(vars(info))``, see LockInfo.to_json)."""
    return info.to_json().encode()


def _read_lock(path: str, default_lease: float) -> LockInfo | None:
    """The record of the lock file *path*, with ``heartbeat`` made current; ``None`` if absent.

    Lock files that are not our JSON (written by the original jug, or caught half-written)
    count as locks whose heartbeat is their modification time and whose lease is
    *default_lease*; a modification time of 1 (or 0) is the original's failed mark.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        mtime = os.fstat(fd).st_mtime
        data = b""
        while chunk := os.read(fd, 65536):
            data += chunk
    finally:
        os.close(fd)
    info: LockInfo | None = None
    if data.startswith(b"{"):
        try:
            info = LockInfo.from_json(data)
        except ValueError:
            info = None
    if info is None:
        info = LockInfo(started=mtime, heartbeat=mtime, lease=default_lease)
        match = _ORIGINAL_LOCK.search(data)
        if match is not None:
            info.pid = int(match.group(1))
            info.host = match.group(2).decode("utf-8", "replace")
    if mtime <= _FAILED_MTIME:
        info.failed = True
    if not info.failed:
        info.heartbeat = max(info.heartbeat, mtime)
    return info


class file_lock(Lock):
    """The lease of one task in a :class:`file_store` (see the module docstring)."""

    def __init__(self, store: file_store, key: str) -> None:
        self.store = store
        self.key = key
        self.fullname = store._lockname(key)
        self._token: str | None = None
        # When (time.monotonic) this object last knew the file held its token, and the lease.
        self._seen = 0.0
        self._lease = store.lease

    def __repr__(self) -> str:
        return f"file_lock({self.store.jugdir!r}, {self.key!r})"

    # -- helpers ----------------------------------------------------------------------------

    def _write_new(self, info: LockInfo) -> bool:
        """``O_EXCL``-create the lock file holding *info*; return whether we created it."""
        try:
            fd = os.open(self.fullname, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            return False
        except FileNotFoundError:
            self.store._made_dirs.discard(self.store._lockdir)
            self.store._makedir(self.store._lockdir)
            return self._write_new(info)
        except OSError as exc:
            raise _store_error(exc, f"create lock for {self.key}") from exc
        try:
            # No utime: the record's heartbeat counts as well as the file's modification
            # time (the later of the two), and one metadata update less per task is felt
            # on a disk where every result is fsynced.
            os.write(fd, _record(info))
        except OSError as exc:
            os.close(fd)
            _unlink_quietly(self.fullname)
            raise _store_error(exc, f"create lock for {self.key}") from exc
        os.close(fd)
        self._token = info.token
        self._seen = time.monotonic()
        self._lease = info.lease
        return True

    def _current(self) -> LockInfo | None:
        return _read_lock(self.fullname, self.store.lease)

    def _owned_record(self) -> LockInfo | None:
        """The record of the lock if this object holds it, else ``None``.

        Waits briefly for a lock file that is missing: a reclaimer that moved our live lock
        aside by mistake puts it back within a few system calls.
        """
        if self._token is None:
            return None
        info = self._current()
        if info is None:
            time.sleep(_REAPPEAR_WAIT)
            info = self._current()
        if info is None or info.token != self._token:
            return None
        self._seen = time.monotonic()
        return info

    def _surely_owned(self) -> bool:
        """Whether the lock is ours without reading it: taken or seen within half a lease.

        Before then no other worker can have judged it stale and reclaimed it.
        """
        return self._token is not None and time.monotonic() - self._seen < self._lease / 2

    def _reclaim(self, info: LockInfo) -> bool:
        """Replace a stale lock by ours; only the holder of the reclaim mutex may try."""
        mutex = os.path.join(self.store._lockdir, f".{self.key}{_RECLAIM_SUFFIX}")
        if not _take_mutex(mutex):
            return False  # another worker is reclaiming this lock right now
        try:
            try:
                seen = os.stat(self.fullname)
            except FileNotFoundError:
                return self._write_new(info)
            current = self._current()
            if current is None:
                return self._write_new(info)
            if not current.is_stale():
                return False
            tomb = os.path.join(self.store._lockdir, f".{self.key}.{info.token}.reclaim")
            try:
                os.rename(self.fullname, tomb)
            except FileNotFoundError:
                return self._write_new(info)  # released meanwhile: the name is free
            try:
                moved = os.stat(tomb)
            except FileNotFoundError:  # pragma: no cover - nobody else touches our tomb
                return self._write_new(info)
            if (moved.st_ino, moved.st_dev) != (seen.st_ino, seen.st_dev):
                # The stale lock was released and replaced by a fresh one after we looked:
                # put that one back (never over a lock created meanwhile) and give up.
                try:
                    os.link(tomb, self.fullname)
                except FileExistsError:
                    pass
                except OSError:  # no hard links here: rename, checking first
                    if not os.path.exists(self.fullname):
                        os.rename(tomb, self.fullname)
                _unlink_quietly(tomb)
                return False
            _unlink_quietly(tomb)
            return self._write_new(info)
        finally:
            _unlink_quietly(mutex)

    # -- the lock API ---------------------------------------------------------------------

    def get(self) -> bool:
        """Take the lock (reclaiming it if stale); return whether this object holds it."""
        if self._token is not None and self._owned_record() is not None:
            return False  # we hold it already: a second get() must not succeed
        self._token = None
        self.store._makedir(self.store._lockdir)
        info = LockInfo.new(self.store.lease)
        if self._write_new(info):
            return True
        current = self._current()
        if current is None:  # released between our create and our read
            return self._write_new(info)
        if not current.is_stale(info.started):
            return False
        return self._reclaim(info)

    def release(self) -> None:
        """Remove the lock if this object holds it (a failed mark is left alone)."""
        if self._surely_owned():  # and not failed: fail() gives the lock up
            self._token = None
            _unlink_quietly(self.fullname)
            return
        info = self._owned_record()
        self._token = None
        if info is not None and not info.failed:
            _unlink_quietly(self.fullname)

    def refresh(self) -> bool:
        """Renew the heartbeat; ``False`` if this object no longer holds the lock."""
        info = self._owned_record()
        if info is None or info.failed:
            return False
        now = time.time()
        try:
            os.utime(self.fullname, (now, now))
        except FileNotFoundError:
            return False
        return True

    def fail(self, error: str = "") -> bool:
        """Turn the held lock into a failed mark recording *error*; ``False`` if not held."""
        info = self._owned_record()
        if info is None:
            return False
        now = time.time()
        info.failed = True
        info.error = error
        info.failed_at = now
        import socket

        info.host = socket.gethostname()
        info.pid = os.getpid()
        tmp = os.path.join(self.store._lockdir, f".{self.key}.{info.token}.fail")

        def write(out: Any) -> None:
            out.write(_record(info))
            out.flush()
            # This mtime is the original jug's failed mark: it then reports ours as failed too.
            os.utime(tmp, (_FAILED_MTIME, _FAILED_MTIME))

        try:
            write_atomically(self.fullname, write, temp=tmp, fsync=False)
        except OSError as exc:
            raise _store_error(exc, f"mark task {self.key} as failed") from exc
        self._token = None
        return True

    def is_locked(self) -> bool:
        return os.path.exists(self.fullname)

    def is_failed(self) -> bool:
        info = self._current()
        return info is not None and info.failed

    def force_release(self) -> None:
        self._token = None
        _unlink_quietly(self.fullname)

    def info(self) -> LockInfo | None:
        return self._current()


def fsync_dir(fname: str) -> None:
    """Flush to disk the directory entry of the file *fname* (after a rename into it)."""
    fd = os.open(os.path.dirname(os.path.abspath(fname)), os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems cannot sync a directory
        if exc.errno != errno.EINVAL:
            raise
    finally:
        os.close(fd)


#: The original's names (of jug.backends.base): this module exported them too.
base_store, base_lock = Store, Lock
#: The original's name of the file store's lock class.
file_based_lock = file_lock
#: ``file_keepalive:DIR`` (the original's file store whose locks a helper process kept
#: alive): every lock here is a lease renewed while its task runs, so it is the file store.
file_keepalive_store = file_store
file_keepalive_based_lock = file_lock


def from_jugdir(jugdir: str) -> file_store:
    """The ``file`` backend factory: *jugdir* is a path, optionally prefixed ``file:`` (or
    ``file_keepalive:``, the original's keep-alive file store, which this one is)."""
    for scheme in ("file:", "file_keepalive:"):
        if jugdir.startswith(scheme) and not os.path.exists(jugdir):
            jugdir = jugdir[len(scheme) :]
            if jugdir.startswith("//"):
                jugdir = jugdir[2:]
            break
    return file_store(jugdir)
