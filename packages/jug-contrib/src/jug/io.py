"""Writing results out of the store, and the summary tables of the command line.

* :func:`write_task_out` saves a task's result to a file of its own (and, optionally, a
  metadata file saying how it was computed); :func:`write_metadata` writes only the
  metadata. Both are tasks, so the files appear when ``jug execute`` gets there.
* :class:`NoLoad` passes a task to another task *without* loading its result.
* :func:`print_task_summary_table` prints the per-task-name count tables of
  ``jug execute``, ``jug status`` and ``jug invalidate``.

Task names and hashes are those of Jug 2.x (``jug.io._do_write_task_out``).
"""

from __future__ import annotations

import datetime
import os
import pickle
import tempfile
from collections.abc import Iterator, Mapping, Sequence

from jug.hash import hash_update, new_hash_object
from jug.table import format_table
from jug.task import Task, TaskGenerator, Tasklet

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "NoLoad",
    "TaskGenerator",
    "Tasklet",
    "get_terminal_size",
    "print_task_summary_table",
    "write_metadata",
    "write_task_out",
]

METADATA_FORMATS = ("yaml", "json")


class NoLoad:
    """Pass the task *base* to another task without loading its result.

    The dependent task still waits for *base* to finish, but receives this wrapper instead
    of the result: ``wrapper.base`` is the task (``wrapper.base.result`` loads it, if and
    when the function wants to). Use it for results too large to load for nothing, or to
    look at a task's identity (name, hash, arguments).

    Parameters
    ----------
    base : Task or Tasklet

    Attributes
    ----------
    base : Task or Tasklet
    t : Task or Tasklet
        The same as *base*.
    f : str
        ``'NoLoad'``.
    """

    __slots__ = ("base", "f")

    def __init__(self, base: Task | Tasklet) -> None:
        self.base = base
        self.f = "NoLoad"

    def __repr__(self) -> str:
        return f"NoLoad({self.base!r})"

    @property
    def t(self) -> Task | Tasklet:
        return self.base

    def __jug_hash__(self) -> bytes:
        # Hashed as Jug 2.x did: a Tasklet of *base* whose function is the string 'NoLoad'.
        M = new_hash_object()
        M.update(b"Tasklet")
        hash_update(M, [("base", self.base), ("f", self.f)])
        return M.hexdigest().encode("utf-8")

    def __jug_value__(self) -> NoLoad:
        return self

    def value(self) -> NoLoad:
        """The wrapper itself (that is the point)."""
        return self

    def __jug_dependencies__(self) -> list[Task | Tasklet]:
        return [self.base]

    def dependencies(self) -> Iterator[Task | Tasklet]:
        """*base*."""
        yield self.base

    def can_load(self) -> bool:
        """Whether *base* has its result."""
        return self.base.can_load()

    def unload(self) -> None:
        self.base.unload()

    def unload_recursive(self) -> None:
        self.base.unload_recursive()


# -- writing results out --------------------------------------------------------------------


def _check_format(metadata_format: str) -> None:
    if metadata_format not in METADATA_FORMATS:
        raise ValueError(
            f"metadata_format must be one of {', '.join(METADATA_FORMATS)}, not {metadata_format!r}"
        )


def write_task_out(
    result: Task | Tasklet,
    oname: str,
    metadata_fname: str | None = None,
    metadata_format: str = "yaml",
) -> Task:
    """A task that writes the result of *result* to the file *oname*.

    NumPy arrays are written with ``numpy.save``, anything else is pickled. The file is
    written under a temporary name, flushed to disk, then renamed: a reader never sees a
    partial file.

    Parameters
    ----------
    result : Task or Tasklet
    oname : str
        The output file.
    metadata_fname : str, optional
        Also write metadata to this file (see :func:`write_metadata`).
    metadata_format : {'yaml', 'json'}, optional
        Format of the metadata (default: 'yaml').

    Returns
    -------
    task : jug.Task
        Named ``jug.io._do_write_task_out``; its value is None.
    """
    _check_format(metadata_format)
    return Task(_do_write_task_out, result, NoLoad(result), oname, metadata_fname, metadata_format)


def write_metadata(
    result: Task | Tasklet, metadata_fname: str, metadata_format: str = "yaml"
) -> Task:
    """A task that writes how *result* was computed to *metadata_fname*.

    The metadata names the task and its hash, its arguments (tasks among them
    described the same way, recursively, down to plain values) and when the file was
    written.

    Parameters
    ----------
    result : Task or Tasklet
    metadata_fname : str
    metadata_format : {'yaml', 'json'}, optional
        'yaml' (default; needs PyYAML) or 'json'.

    Returns
    -------
    task : jug.Task
    """
    _check_format(metadata_format)
    return Task(_do_write_task_out, result, NoLoad(result), None, metadata_fname, metadata_format)


def _do_write_task_out(
    result: Any,
    wrapper: NoLoad,
    oname: str | None,
    metadata_fname: str | None,
    metadata_format: str,
) -> None:
    # The function of the write tasks: its module and name are part of their hash.
    if oname is not None:
        _atomic_write(oname, lambda f: _dump_result(result, f))
    if metadata_fname is not None:
        metadata = _describe(wrapper.base)
        metadata["written"] = _now()
        text = _format_metadata(metadata, metadata_format)
        _atomic_write(metadata_fname, lambda f: f.write(text.encode("utf-8")))


def _dump_result(result: Any, f: Any) -> None:
    t = type(result)
    if t.__name__ == "ndarray" and t.__module__ == "numpy":
        import numpy as np

        np.save(f, result, allow_pickle=False)
    else:
        pickle.dump(result, f, protocol=pickle.DEFAULT_PROTOCOL)


def _atomic_write(path: str, write: Any) -> None:
    from jug.utils import sync_move

    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".jug-tmp-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        sync_move(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _now() -> str:
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def _format_metadata(metadata: dict[str, Any], metadata_format: str) -> str:
    if metadata_format == "json":
        import json

        return json.dumps(metadata, indent=2) + "\n"
    try:
        import yaml
    except ImportError:  # pragma: no cover - pyyaml is a dependency of jug-contrib
        raise ImportError(
            "writing YAML metadata needs PyYAML: pip install pyyaml (or use metadata_format='json')"
        ) from None
    text: str = yaml.safe_dump(metadata, sort_keys=False, default_flow_style=False)
    return text


def _describe(obj: Any) -> Any:
    """A YAML/JSON-friendly description of *obj*: tasks by name, hash and inputs.

    Tasks become ``{'name', 'hash', 'args', 'kwargs', 'meta'}`` with their arguments
    described recursively; Tasklets and other jug objects give their kind and hash (and
    what they are taken from); lists, tuples and dicts with string keys are kept; plain
    numbers, strings, booleans and None are kept; anything else becomes its ``repr``.
    """
    if isinstance(obj, Task):
        out: dict[str, Any] = {
            "name": obj.name,
            "hash": obj.hash().decode("ascii"),
            "args": [_describe(a) for a in obj.args],
        }
        if obj.kwargs:
            out["kwargs"] = {str(k): _describe(v) for k, v in obj.kwargs.items()}
        out["meta"] = {"computed": bool(obj.can_load())}
        return out
    if isinstance(obj, Tasklet):
        return {"tasklet": obj.hash().decode("ascii"), "of": _describe(obj.base)}
    if isinstance(obj, NoLoad):
        return {"noload": _describe(obj.base)}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [_describe(x) for x in obj]
    if isinstance(obj, dict) and all(isinstance(k, str) for k in obj):
        return {k: _describe(v) for k, v in obj.items()}
    jug_hash = getattr(obj, "__jug_hash__", None)
    if jug_hash is not None and not isinstance(obj, type):
        h = jug_hash()
        return {
            "object": type(obj).__name__,
            "hash": h.decode("ascii") if isinstance(h, bytes) else str(h),
        }
    text = repr(obj)
    return text if len(text) <= 200 else text[:197] + "..."


# -- the summary tables -----------------------------------------------------------------------


def print_task_summary_table(options: Any, groups: Sequence[tuple[str, Mapping[str, int]]]) -> None:
    """Print a table of counts per task name, one column per group.

    Parameters
    ----------
    options : object
        Its ``short`` attribute (if true) asks for one line instead of a table; its
        ``print_out`` attribute, if present, is used instead of :func:`print`. May be
        None.
    groups : sequence of (title, {task name: count})
        The columns, e.g. ``[('Executed', executed), ('Loaded', loaded)]``.
    """
    out = getattr(options, "print_out", None) or print
    if getattr(options, "short", False):
        out(", ".join(f"{title}: {sum(counts.values())}" for title, counts in groups) + " tasks")
        return
    names = sorted({name for _, counts in groups for name in counts})
    rows = [(name, [counts.get(name, 0) for _, counts in groups]) for name in names]
    out(format_table([title for title, _ in groups], rows))


def get_terminal_size() -> tuple[int, int]:
    """The terminal's ``(columns, lines)``: ``$COLUMNS``/``$LINES`` first, ``(80, 25)`` when
    there is no terminal (the original jug's helper, for scripts that used it)."""
    import shutil

    size = shutil.get_terminal_size((80, 25))
    return size.columns, size.lines
