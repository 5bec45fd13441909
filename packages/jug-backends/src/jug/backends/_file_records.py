"""The records of the file store's results: append-only logs in ``JUGDIR/packs``.

Each process that saves results with records appends to a log of its own,
``JUGDIR/packs/records.TOKEN.jsonl``, one JSON array per line, of three kinds::

    [0,{"host":"node17","pid":4242,"jug":"3.0.0","python":"3.11.7"}]
    ["3ab04c6abfa31e89deca3a8c90fa30d13d8bba68",0,1733500000250000000,1500000000,123456789]
    ["3ab04c6abfa31e89deca3a8c90fa30d13d8bba68",1733500009000000000]

* a *context* (:class:`jug.store.RecordContext`): a number, local to the log, and the
  fields; written once per log, before the first record that uses it;
* a *record*: the key, the number of its context, then its start (nanoseconds since the
  epoch), its duration (nanoseconds) and the peak memory (bytes);
* a *void*: the key and the time of writing (nanoseconds since the epoch), when a result
  was removed or stored without a record.

Of several lines for one key, in any of the logs, the latest counts: a record's time is
its end (start plus duration), a void's the time it was written. (A void written between
a task's end and its record, a few system calls later, would hide that record: the result
then shows no provenance, which is all a lost record ever costs.) Why this shape:

* **Cost.** A result's line is a few integers in one ``write`` to a file that stays open,
  without ``fsync``: a fraction of the result's own ``fsync``ed write. What is the same for
  every task of a run is written once. A record lost in a crash only means a result without
  provenance.
* **Many writers, NFS.** Each process writes its own file, so appends never interleave
  (``O_APPEND`` is not atomic across NFS clients); readers merge the files.
* **The original Jug.** Its ``jug cleanup`` deletes every file under the jugdir that is not
  an active result, except in directories named ``packs`` (its own pack lives in
  ``packs/jugpack``, a name these logs never take) or ``tempfiles``. The logs survive it;
  its ``list()`` looks only at two-character directories.
* **Incremental reads.** A reader remembers how far it read each log (and the log's
  contexts) and reads only what was appended since: ``jug status --watch`` and
  ``jug webstatus`` re-read nothing.

A process that has not written for ten minutes (``_REOPEN_AFTER``) starts a new log rather than
appending to its old one, so a log untouched for ``_IDLE`` seconds has no writer left:
:meth:`RecordLogs.compact` (run by ``jug cleanup``) merges such logs into one, keeping the
last line of each key it is told to keep.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Iterable

from jug.store import Record, RecordContext, record_dict

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DIRECTORY = "packs"
_PREFIX = "records."
_SUFFIX = ".jsonl"
# A writer silent for _REOPEN_AFTER seconds opens a new log; logs idle for _IDLE seconds
# are merged by cleanup.
_REOPEN_AFTER = 600.0
_IDLE = 3600.0

# Bumped in a forked child: it must not append to its parent's log.
_generation = 0


def _forked() -> None:
    global _generation
    _generation += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forked)

#: A key's latest line: (time in nanoseconds, its record, or None for a void).
Entry = tuple[int, Record | None]


def _is_log(name: str) -> bool:
    return name.startswith(_PREFIX) and name.endswith(_SUFFIX)


def _quoted(key: str) -> str:
    """*key* as a JSON string (the file store's keys need no escaping, but a log read back
    may hold anything)."""
    if key.isalnum():
        return f'"{key}"'
    import json

    return json.dumps(key)


def _parse(chunk: bytes, contexts: dict[int, RecordContext]) -> list[tuple[str, Entry]]:
    """The (key, entry) of each record and void line of *chunk* (complete lines), in
    order; its context lines go into *contexts*. Lines that are damaged, of an unknown
    shape, or name an unknown context are skipped."""
    import json

    body = chunk.rstrip(b"\n")
    if not body:
        return []
    try:
        lines = json.loads(b"[" + body.replace(b"\n", b",") + b"]")
    except ValueError:  # a damaged line (a crash mid-write on some file systems): one by one
        lines = []
        for text in body.split(b"\n"):
            try:
                lines.append(json.loads(text))
            except ValueError:
                continue
    out: list[tuple[str, Entry]] = []
    for line in lines:
        if type(line) is not list or not line:
            continue
        first = line[0]
        if type(first) is str:
            if len(line) == 5:
                _, n, started, duration, peak_rss = line
                context = contexts.get(n) if type(n) is int else None
                if context is not None and type(started) is type(duration) is type(peak_rss) is int:
                    record = (context, started, duration, peak_rss)
                    out.append((first, (started + duration, record)))
            elif len(line) == 2 and type(line[1]) is int:
                out.append((first, (line[1], None)))
        elif type(first) is int and len(line) == 2 and type(line[1]) is dict:
            try:
                contexts[first] = RecordContext(line[1])
            except (TypeError, ValueError):
                continue
    return out


def _merge(merged: dict[str, Entry], entries: Iterable[tuple[str, Entry]]) -> None:
    """Keep each key's latest entry (the later line, of two at the same time)."""
    for key, entry in entries:
        old = merged.get(key)
        if old is None or entry[0] >= old[0]:
            merged[key] = entry


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
        self._last_write = 0.0  # time.monotonic() of the last line written
        # The contexts written to this process's current log, and their numbers there.
        self._numbers: dict[RecordContext, int] = {}
        self._seen_logs = False
        # What has been read: log name -> (inode, offset, the log's contexts by number);
        # key -> its latest entry.
        self._read_upto: dict[str, tuple[int, int, dict[int, RecordContext]]] = {}
        self._merged: dict[str, Entry] = {}

    # -- writing ----------------------------------------------------------------------------

    def append_record(self, key: str, record: Record) -> None:
        """Append the *record* of *key* (what a worker does per result): one ``write`` of
        a line of numbers, after the line of its context the first time the log meets it.

        *key* is a valid key of the file store, which needs no escaping in JSON.
        """
        context, started, duration, peak_rss = record
        # self._log() and self._write(fd, line), written out: a call is ~5 % of the cost of
        # a record (callgrind).
        now = time.monotonic()
        fd = self._fd
        if (
            fd is None
            or now - self._last_write >= _REOPEN_AFTER
            or self._fd_generation != _generation
        ):
            fd = self._log()
        self._last_write = now
        n = self._numbers.get(context)
        if n is None:
            n = self._numbers[context] = len(self._numbers)
            line = f'[{n},{context.json}]\n["{key}",{n},{started},{duration},{peak_rss}]\n'
        else:
            line = f'["{key}",{n},{started},{duration},{peak_rss}]\n'
        data = line.encode("utf-8", "surrogateescape")
        try:
            if os.write(fd, data) < len(data):
                raise OSError(errno.EIO, "short write")
        except OSError:
            self.close()
            raise

    def append_voids(self, keys: Iterable[str]) -> None:
        """Append a void line for each of *keys* (their results were removed, or stored
        without a record), in one ``write``."""
        now = time.time_ns()
        text = "".join(f"[{_quoted(key)},{now}]\n" for key in keys)
        if text:
            self._write(self._log(), text)

    def _write(self, fd: int, text: str) -> None:
        # A key with escaped bytes (surrogates, as file names may have) makes a line that
        # is not UTF-8: skipped when read, rather than an error after the result is saved.
        data = text.encode("utf-8", "surrogateescape")
        try:
            if os.write(fd, data) < len(data):  # a full disk or a signal: the line is cut
                raise OSError(errno.EIO, "short write")
        except OSError:
            self.close()  # the next line goes to a new log, not after a partial one
            raise

    def has_logs(self) -> bool:
        """Whether any log may exist (once one was seen, assumed for good)."""
        if not self._seen_logs:
            self._seen_logs = self._fd is not None or os.path.isdir(self.directory)
        return self._seen_logs

    def _log(self) -> int:
        """This process's log, open for appending (a new one after a long silence)."""
        fd = self._fd
        now = time.monotonic()
        last, self._last_write = self._last_write, now
        if fd is not None and self._fd_generation == _generation and now - last < _REOPEN_AFTER:
            return fd
        self.close()
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
        """Close this process's log: the next line starts a new one."""
        fd, self._fd = self._fd, None
        self._numbers = {}
        if fd is not None and self._fd_generation == _generation:  # not a forked parent's
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

    def read(self) -> dict[str, Entry]:
        """Every key's latest entry, reading only what is new.

        The dict returned is the reader's own cache: do not change it.
        """
        logs = self._logs()
        names = {e.name for e in logs}
        if any(name not in names for name in self._read_upto):
            # A log went away (merged by cleanup): what it held may have been dropped.
            self._forget()
        for entry in logs:
            try:
                st = entry.stat()
            except FileNotFoundError:
                continue
            inode, offset, contexts = self._read_upto.get(entry.name, (st.st_ino, 0, {}))
            if inode != st.st_ino or st.st_size < offset:  # replaced: read it from the start
                self._forget()
                return self.read()
            if st.st_size == offset:
                continue
            chunk = _read_from(entry.path, offset)
            end = chunk.rfind(b"\n") + 1  # a line being written is read next time
            self._read_upto[entry.name] = (st.st_ino, offset + end, contexts)
            _merge(self._merged, _parse(chunk[:end], contexts))
        return self._merged

    def _forget(self) -> None:
        self._read_upto.clear()
        self._merged.clear()

    def records(self, keys: Iterable[str] | None) -> dict[str, dict[str, Any]]:
        """The current record of each of *keys* (default all) that has one, as new dicts."""
        merged = self.read() if self.has_logs() else {}
        if keys is None:
            return {k: record_dict(r) for k, (_, r) in merged.items() if r is not None}
        out: dict[str, dict[str, Any]] = {}
        for key in keys:
            entry = merged.get(key)
            if entry is not None and entry[1] is not None:
                out[key] = record_dict(entry[1])
        return out

    # -- cleanup ----------------------------------------------------------------------------

    def compact(self, keep: set[str]) -> None:
        """Drop the records of every key not in *keep*.

        Logs nobody writes to any more (idle for an hour) are merged into one, keeping the
        last entry of each key in *keep*; the records of other keys in logs still being
        written are voided (in this process's log), to be dropped later.
        """
        if not self.has_logs():
            return
        self.append_voids(k for k, (_, r) in self.read().items() if r is not None and k not in keep)
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
        merged: dict[str, Entry] = {}
        for entry in idle:
            _merge(merged, _parse(_read_from(entry.path, 0), {}))
        numbers: dict[RecordContext, int] = {}
        lines = []
        for key, (when, record) in merged.items():
            if key not in keep:
                continue
            if record is None:
                lines.append(f"[{_quoted(key)},{when}]\n")
                continue
            context, started, duration, peak_rss = record
            n = numbers.get(context)
            if n is None:
                n = numbers[context] = len(numbers)
                lines.append(f"[{n},{context.json}]\n")
            lines.append(f"[{_quoted(key)},{n},{started},{duration},{peak_rss}]\n")
        if lines:
            from jug.atomic import write_atomically

            token = os.urandom(8).hex()
            final = os.path.join(self.directory, f"{_PREFIX}{token}{_SUFFIX}")
            temp = os.path.join(self.directory, f".{_PREFIX}{token}.tmp")
            write_atomically(final, "".join(lines).encode(), temp=temp)
        for entry in idle:
            try:
                os.unlink(entry.path)
            except FileNotFoundError:
                pass
        self._forget()


def _read_from(path: str, offset: int) -> bytes:
    try:
        with open(path, "rb") as stream:
            stream.seek(offset)
            return stream.read()
    except FileNotFoundError:
        return b""
