"""The records of the file store's results: append-only logs in ``JUGDIR/packs``.

Each process that saves results with records appends one line per result to a log of its
own, ``JUGDIR/packs/records.TOKEN.jsonl``::

    ["3ab04c6abfa31e89deca3a8c90fa30d13d8bba68",1733500000250000,{"started":...}]

that is, the key, the time of writing (microseconds since the epoch), and the record (``null`` when a result was stored
without one or removed: a *tombstone*). Of several lines for one key, in any of the logs,
the one written last counts. Why this shape:

* **Cost.** A line is one ``write`` to a file that stays open, without ``fsync``: a few
  microseconds, next to the result's own ``fsync``. A file (and an ``fsync``) per record
  would double the cost of a task. A record lost in a crash only means a result without
  provenance.
* **Many writers, NFS.** Each process writes its own file, so appends never interleave
  (``O_APPEND`` is not atomic across NFS clients); readers merge the files.
* **The original Jug.** Its ``jug cleanup`` deletes every file under the jugdir that is not
  an active result, except in directories named ``packs`` (its own pack lives in
  ``packs/jugpack``, a name these logs never take) or ``tempfiles``. The logs survive it;
  its ``list()`` looks only at two-character directories.
* **Incremental reads.** A reader remembers how far it read each log and reads only what
  was appended since: ``jug status --watch`` and ``jug webstatus`` re-read nothing.

A process that has not written for ``_REOPEN_AFTER`` seconds starts a new log rather than
appending to its old one, so a log untouched for ``_IDLE`` seconds has no writer left:
:meth:`RecordLogs.compact` (run by ``jug cleanup``) merges such logs into one, keeping the
last line of each key it is told to keep.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Iterable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DIRECTORY = "packs"
_PREFIX = "records."
_SUFFIX = ".jsonl"
# A writer silent for this long opens a new log; logs idle for _IDLE are merged by cleanup.
_REOPEN_AFTER = 600.0
_IDLE = 3600.0

# Bumped in a forked child: it must not append to its parent's log.
_generation = 0


def _forked() -> None:
    global _generation
    _generation += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forked)


def _is_log(name: str) -> bool:
    return name.startswith(_PREFIX) and name.endswith(_SUFFIX)


def _line(key: str, text: str | None, now: int) -> bytes:
    if not key.isalnum():  # task hashes are; anything else is quoted properly
        import json

        key = json.dumps(key)[1:-1]
    return f'["{key}",{now},{"null" if text is None else text}]\n'.encode()


def _parse(chunk: bytes) -> list[Any]:
    """The entries of complete lines in *chunk*; damaged lines are skipped."""
    import json

    body = chunk.rstrip(b"\n")
    if not body:
        return []
    try:
        entries = json.loads(b"[" + body.replace(b"\n", b",") + b"]")
    except ValueError:  # a damaged line (a crash mid-write on some file systems): one by one
        entries = []
        for line in body.split(b"\n"):
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue
    return [
        e
        for e in entries
        if isinstance(e, list)
        and len(e) == 3
        and isinstance(e[0], str)
        and isinstance(e[1], (int, float))
        and (e[2] is None or isinstance(e[2], dict))
    ]


class RecordLogs:
    """The record logs of one jugdir: this process's appends, and everyone's reads.

    Parameters
    ----------
    jugdir : str
    make_dir : callable
        Creates a directory (the store's own, which caches and reports errors).
    """

    def __init__(self, jugdir: str, make_dir: Any) -> None:
        self.directory = os.path.join(jugdir, DIRECTORY)
        self._make_dir = make_dir
        self._fd: int | None = None
        self._fd_generation = -1
        self._last_write = 0.0
        self._seen_logs = False
        # What has been read: log name -> (inode, offset); key -> (time, record or None).
        self._read_upto: dict[str, tuple[int, int]] = {}
        self._merged: dict[str, tuple[float, dict[str, Any] | None]] = {}

    # -- writing ----------------------------------------------------------------------------

    def append(self, entries: Iterable[tuple[str, str | None]]) -> None:
        """Append (key, record JSON text or ``None``) entries, in one ``write``.

        The time of writing is in microseconds since the epoch (an integer: formatting a
        float costs more than the rest of the line).
        """
        now = time.time_ns() // 1000
        data = b"".join(_line(key, text, now) for key, text in entries)
        if not data:
            return
        fd = self._writer()
        try:
            written = os.write(fd, data)
            while written < len(data):  # only on a full disk or a signal; finish the line
                written += os.write(fd, data[written:])
        except OSError:
            self.close()
            raise

    def append_one(self, key: str, text: str) -> None:
        """Append one record (what a worker does per task): :meth:`append`, unrolled."""
        if not key.isalnum():
            self.append([(key, text)])
            return
        fd = self._fd
        now = time.monotonic()
        if (
            fd is None
            or self._fd_generation != _generation
            or now - self._last_write >= _REOPEN_AFTER
        ):
            fd = self._writer()
        self._last_write = now
        data = f'["{key}",{time.time_ns() // 1000},{text}]\n'.encode()
        try:
            if os.write(fd, data) < len(data):  # a full disk or a signal: finish the line
                self.close()
                raise OSError(errno.EIO, "short write")
        except OSError:
            self.close()
            raise

    def has_logs(self) -> bool:
        """Whether any log may exist (once one was seen, assumed for good)."""
        if not self._seen_logs:
            self._seen_logs = self._fd is not None or os.path.isdir(self.directory)
        return self._seen_logs

    def _writer(self) -> int:
        """This process's log, open for appending (a new one after a long silence)."""
        fd = self._fd
        now = time.monotonic()
        last, self._last_write = self._last_write, now
        if fd is not None and self._fd_generation == _generation and now - last < _REOPEN_AFTER:
            return fd
        if fd is not None and self._fd_generation == _generation:
            os.close(fd)  # a forked child leaves its parent's descriptor alone
        self._fd = None
        self._make_dir(self.directory)
        name = f"{_PREFIX}{os.urandom(8).hex()}{_SUFFIX}"
        fd = os.open(
            os.path.join(self.directory, name),
            os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
            0o666,
        )
        self._fd, self._fd_generation, self._seen_logs = fd, _generation, True
        return fd

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None and self._fd_generation == _generation:
            try:
                os.close(fd)
            except OSError:
                pass

    # -- reading ----------------------------------------------------------------------------

    def _logs(self) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(self.directory) as it:
                return sorted((e for e in it if _is_log(e.name)), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            return []

    def read(self) -> dict[str, tuple[float, dict[str, Any] | None]]:
        """Every key's last entry (time, record or ``None``), reading only what is new.

        The dict returned is the reader's own cache: do not change it.
        """
        logs = self._logs()
        names = {e.name for e in logs}
        if any(name not in names for name in self._read_upto):
            # A log went away (merged by cleanup): what it held may have been dropped.
            self._read_upto.clear()
            self._merged.clear()
        for entry in logs:
            try:
                st = entry.stat()
            except FileNotFoundError:
                continue
            inode, offset = self._read_upto.get(entry.name, (st.st_ino, 0))
            if inode != st.st_ino or st.st_size < offset:  # replaced: read it from the start
                self._read_upto.clear()
                self._merged.clear()
                return self.read()
            if st.st_size == offset:
                continue
            chunk = _read_from(entry.path, offset)
            end = chunk.rfind(b"\n") + 1  # a line being written is read next time
            self._read_upto[entry.name] = (st.st_ino, offset + end)
            self._merge(_parse(chunk[:end]))
        return self._merged

    def _merge(self, entries: list[Any]) -> None:
        merged = self._merged
        for key, when, record in entries:
            old = merged.get(key)
            if old is None or when >= old[0]:
                merged[key] = (when, record)

    def records(self, keys: Iterable[str] | None) -> dict[str, dict[str, Any]]:
        """The current record of each of *keys* (default all) that has one, as new dicts."""
        merged = self.read() if self.has_logs() else {}
        if keys is None:
            return {k: dict(r) for k, (_, r) in merged.items() if r is not None}
        out: dict[str, dict[str, Any]] = {}
        for key in keys:
            entry = merged.get(key)
            if entry is not None and entry[1] is not None:
                out[key] = dict(entry[1])
        return out

    # -- cleanup ----------------------------------------------------------------------------

    def compact(self, keep: set[str]) -> None:
        """Drop the records of every key not in *keep*.

        Logs nobody writes to any more (idle for an hour) are merged into one, keeping the
        last entry of each key in *keep*; the records of other keys in logs still being
        written are voided by tombstones (this process's log), to be dropped later.
        """
        if not self.has_logs():
            return
        void = [(k, None) for k, (_, r) in self.read().items() if r is not None and k not in keep]
        if void:
            self.append(void)
        cutoff = time.time() - _IDLE
        idle = []
        for entry in self._logs():
            try:
                if entry.stat().st_mtime < cutoff:
                    idle.append(entry)
            except FileNotFoundError:
                continue
        if not idle:
            return
        merged: dict[str, tuple[float, dict[str, Any] | None]] = {}
        for entry in idle:
            for key, when, record in _parse(_read_from(entry.path, 0)):
                old = merged.get(key)
                if old is None or when >= old[0]:
                    merged[key] = (when, record)
        import json

        from jug.atomic import write_atomically

        lines = [
            f"[{json.dumps(k)},{when!r},{json.dumps(r, separators=(',', ':'))}]\n"
            for k, (when, r) in merged.items()
            if k in keep
        ]
        if lines:
            token = os.urandom(8).hex()
            final = os.path.join(self.directory, f"{_PREFIX}{token}{_SUFFIX}")
            temp = os.path.join(self.directory, f".{_PREFIX}{token}.tmp")
            write_atomically(final, "".join(lines).encode(), temp=temp)
        for entry in idle:
            try:
                os.unlink(entry.path)
            except FileNotFoundError:
                pass
        self._read_upto.clear()
        self._merged.clear()


def _read_from(path: str, offset: int) -> bytes:
    try:
        with open(path, "rb") as stream:
            stream.seek(offset)
            return stream.read()
    except FileNotFoundError:
        return b""
