"""Small helpers for writing jugfiles.

* :func:`identity` turns a value into a task (hash a large argument once, or add a
  dependency with the ``value_after`` idiom);
* :class:`CustomHash` and :func:`timed_path` choose what enters a hash;
* :func:`jug_execute` runs an external command as a task;
* :func:`cached_glob` lists files once, memoised in the store;
* :func:`sync_move` moves a finished file into place atomically;
* :func:`return_tuple` unpacks a task returning a tuple into one Tasklet per element.

Task names and hashes are those of Jug 2.x (``identity``, ``jug.utils.jug_execute``,
``jug.utils.glob_sort``), so their stored results are found by either implementation.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence

from jug.hash import hash_one
from jug.task import (
    CachedFunction,
    Task,
    TaskGenerator,
    return_tuple,  # jug-core's; here too, where this jug had it first
    value,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "CustomHash",
    "add_task_selection_options",
    "cached_glob",
    "glob_sort",
    "hash_with_mtime_size",
    "identity",
    "jug_execute",
    "prepare_matcher_from_options",
    "prepare_name_matcher",
    "prepare_task_matcher",
    "return_tuple",
    "sync_move",
    "timed_path",
]


def _identity(x: Any) -> Any:
    return x


def identity(x: Any) -> Task:
    """A task whose value is *x*: ``value(identity(x)) == x``.

    Useful when a large value is an argument of many tasks: it is hashed once, here, and
    each task then hashes only this task's hash. Also a way to make a value wait for a
    task (the ``value_after`` idiom)::

        def value_after(val, token):
            return identity([val, token])[0]

    Parameters
    ----------
    x : object
        A value, or a structure containing Tasks.

    Returns
    -------
    task : jug.Task
        Named ``identity`` (as in Jug 2.x, which gives it the same hash). If *x* is a
        Task, *x* itself.
    """
    if isinstance(x, Task):
        return x  # already a task (as in Jug 2.x)
    t = Task(_identity, x)
    t.name = "identity"
    return t


class CustomHash:
    """Wrap *obj* so that its hash is ``hash_function(obj)``.

    An advanced tool: the hash function must be strong (equal hashes are taken to mean
    equal objects) and must return ``bytes`` (or ``str``). :func:`jug.hash.hash_one` helps
    to write one. Tasks receive *obj* as the argument's value; Tasks inside *obj* are
    dependencies as usual.

    Parameters
    ----------
    obj : object
    hash_function : callable ``obj -> bytes``
    """

    __slots__ = ("obj", "hash_function")

    def __init__(self, obj: Any, hash_function: Callable[[Any], bytes | str]) -> None:
        self.obj = obj
        self.hash_function = hash_function

    def __repr__(self) -> str:
        return f"CustomHash({self.obj!r}, {getattr(self.hash_function, '__name__', '?')})"

    def __jug_hash__(self) -> bytes:
        h = self.hash_function(self.obj)
        return h.encode("utf-8") if isinstance(h, str) else h

    def __jug_value__(self) -> Any:
        return value(self.obj)

    def __jug_dependencies__(self) -> list[Any]:
        return [self.obj]


def hash_with_mtime_size(path: str | bytes) -> bytes:
    """``hash_one((path, mtime, size))`` of a file (mtime in whole seconds, as Jug 2.x)."""
    st = os.stat(path)
    return hash_one((path, st[stat.ST_MTIME], st.st_size))


def timed_path(path: str | bytes) -> CustomHash:
    """The path *path*, hashed together with the file's modification time and size.

    Pass it to a task instead of the bare path: when the file is modified (touched, or its
    size changes), the hash changes, so the task and everything depending on it run
    again. The task receives the path itself.

    Parameters
    ----------
    path : str or bytes
        An existing file.

    Returns
    -------
    opath : CustomHash
        Behaves as *path* for tasks.

    Raises
    ------
    FileNotFoundError
        If *path* does not exist (raised here, where the jugfile names it).
    """
    os.stat(path)
    return CustomHash(path, hash_with_mtime_size)


@TaskGenerator
def jug_execute(
    args: Sequence[str] | str,
    check_exit: bool = True,
    run_after: Any = None,
    return_value: Any = None,
) -> Any:
    """A task that runs the command *args* (as ``subprocess.call(args)``).

    Parameters
    ----------
    args : list of str
        The command and its arguments.
    check_exit : bool, optional
        Raise (so the task fails) if the command exits non-zero (default: True).
    run_after : object, optional
        Ignored by the command: put a task (or tasks) here to run the command only
        after they have run.
    return_value : object, optional
        The task's value (default None): pass, say, the name of the file the command
        writes, and tasks given this task get that name once the file exists.

    Raises
    ------
    subprocess.CalledProcessError
        The command exited non-zero and *check_exit* is true.
    """
    import subprocess

    code = subprocess.call(args)
    if check_exit and code != 0:
        raise subprocess.CalledProcessError(code, args)
    return return_value


def glob_sort(pat: str) -> list[str]:
    """``sorted(glob.glob(pat))`` (the function :func:`cached_glob` memoises)."""
    from glob import glob

    return sorted(glob(pat))


def cached_glob(pat: str) -> list[str]:
    """The files matching the glob pattern *pat*, sorted, memoised in the store.

    The listing is made once (the first time the jugfile is loaded) and then read from
    the store, so that every worker, now and later, sees the same list. Invalidate the
    ``jug.utils.glob_sort`` task to list again.

    Parameters
    ----------
    pat : str
        As for :func:`glob.glob`.

    Returns
    -------
    files : list of str
    """
    files: list[str] = CachedFunction(glob_sort, pat)
    return files


def sync_move(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Move *src* to *dst* so that a reader sees either nothing or the complete file.

    The data are flushed to disk first (``fsync``), then the file is renamed (atomic on
    one filesystem) and the directory entry flushed too.

    Parameters
    ----------
    src : path
        The finished file.
    dst : path
        Its final name (replaced if it exists).
    """
    fd = os.open(src, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(src, dst)
    directory = os.path.dirname(os.path.abspath(dst))
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - directories cannot be opened on some systems
        return
    try:
        os.fsync(dfd)
    except OSError:  # pragma: no cover - some filesystems refuse fsync on directories
        pass
    finally:
        os.close(dfd)


# -- selecting tasks by name, as the original jug's --name and --pattern did ---------------


def prepare_task_matcher(pattern: str) -> Callable[[str], Any]:
    """A loose test of task names: *pattern* found anywhere in the name, or, written
    ``/regex/``, a regular expression searched in it.

    Raises
    ------
    ValueError
        If *pattern* is empty (``''`` or ``'//'``): it would match every task.
    """
    import re

    if pattern in ("", "//"):
        raise ValueError(
            f"empty pattern ({pattern!r}) matches every task; to select them all, use '/.*/'"
        )
    if len(pattern) >= 2 and pattern.startswith("/") and pattern.endswith("/"):
        return re.compile(pattern[1:-1]).search
    return re.compile(re.escape(pattern)).search


def prepare_name_matcher(name: str) -> Callable[[str], bool]:
    """A strict test of task names (``module.function``): *name* must be the whole name or
    its end after a dot (``f`` and ``mod.f`` match ``pkg.mod.f``, not ``pkg.mod.f2``), with
    shell wildcards (``*`` also crosses dots)."""
    import fnmatch
    import re

    regex = re.compile(fnmatch.translate(name))

    def matches(task_name: str) -> bool:
        start = 0
        while True:
            if regex.match(task_name, start):
                return True
            start = task_name.find(".", start) + 1
            if start == 0:
                return False

    return matches


def prepare_matcher_from_options(
    name: str | None = None, pattern: str | None = None
) -> Callable[[str], bool] | None:
    """One test of task names combining :func:`prepare_name_matcher` (*name*) and
    :func:`prepare_task_matcher` (*pattern*): a name must pass all that are given.

    Returns
    -------
    matcher : callable or None
        None if neither is given.
    """
    tests = []
    if name is not None:
        tests.append(prepare_name_matcher(name))
    if pattern is not None:
        tests.append(prepare_task_matcher(pattern))
    if not tests:
        return None
    return lambda task_name: all(test(task_name) for test in tests)


def add_task_selection_options(
    parser: Any, name_dest: str, pattern_dest: str, required: bool, what: str
) -> None:
    """Add the original jug's ``--name`` and ``--pattern`` options to the argparse
    *parser* (one or the other; *what* starts their help: ``"Invalidate tasks"``)."""
    import argparse

    def pattern_type(value: str) -> str:
        try:
            prepare_task_matcher(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return value

    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument(
        "--name",
        dest=name_dest,
        metavar="NAME",
        help=f"{what} named NAME (module.function, or its end: function; wildcards allowed)",
    )
    group.add_argument(
        "--pattern",
        dest=pattern_dest,
        metavar="PATTERN",
        type=pattern_type,
        help=f"{what} whose name contains PATTERN (or matches /regex/)",
    )
