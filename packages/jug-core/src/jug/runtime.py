"""Choosing the store and loading jugfiles: what ``jug`` does before it runs anything.

These functions are also the way to use a jug project's results from a plain Python
session or notebook::

    store, space = jug.init("analysis.py", "analysis.jugdata")
    jug.value(space["result"])
"""

from __future__ import annotations

import os
import sys
import types

from .backend_registry import open_store
from .barrier import BarrierError
from .errors import JugfileError
from .store import Store
from .task import Task, alltasks

TYPE_CHECKING = False  # as typing.TYPE_CHECKING: importing typing costs ~4 ms per process
if TYPE_CHECKING:
    from typing import Any, Literal

__all__ = [
    "default_jugdir",
    "init",
    "is_jug_running",
    "load_jugfile",
    "set_jugdir",
]

_jug_running = False


def is_jug_running() -> bool:
    """Whether this code runs under jug (``jug execute``, ``jug.init``...) rather than plain Python."""
    return _jug_running


def _set_jug_running(flag: bool) -> None:
    global _jug_running
    _jug_running = flag


def set_jugdir(jugdir: str | Store) -> Store:
    """Select where results live: the programmatic ``--jugdir``.

    Parameters
    ----------
    jugdir : str or Store
        A jugdir string (a path, ``redis://…``, ``dict_store``, ``NAME:…``) or a store.

    Returns
    -------
    store : Store
    """
    store = open_store(jugdir) if isinstance(jugdir, str) else jugdir
    Task.store = store
    return store


def default_jugdir(jugfile: str | os.PathLike[str]) -> str:
    """The default jugdir of *jugfile*: ``analysis.py`` → ``analysis.jugdata``."""
    path = os.fspath(jugfile)
    base = path[:-3] if path.endswith(".py") else path
    return base + ".jugdata"


def load_jugfile(
    jugfile: str | os.PathLike[str], argv: list[str] | None = None
) -> tuple[dict[str, Any], bool]:
    """Import *jugfile* as a module named after it, collecting its tasks.

    The module is registered in ``sys.modules`` under the file's stem (so a function
    ``f`` in ``analysis.py`` makes tasks named ``analysis.f``), its directory is put first
    on ``sys.path``, and ``sys.argv`` is ``[jugfile] + argv`` while it runs. A
    :func:`jug.barrier` that is not yet satisfied stops the import early.

    Returns
    -------
    namespace : dict
        The module's globals (as far as they were executed).
    complete : bool
        False if loading stopped at an unmet barrier.

    Raises
    ------
    JugfileError
        If the file is missing or raises; the message includes the jugfile's traceback.
    """
    # os.path rather than pathlib: importing pathlib costs every `jug` start ~3 ms.
    path = os.fspath(jugfile)
    if not os.path.isfile(path):
        raise JugfileError(
            f"jugfile {path!r} not found" + (" (it is a directory)" if os.path.isdir(path) else "")
        )
    try:
        with open(path, "rb") as fh:
            source = fh.read()
    except OSError as exc:
        raise JugfileError(f"cannot read jugfile {path!r}: {exc.strerror}") from exc
    name = _stem(path)
    module = types.ModuleType(name)
    module.__file__ = os.path.realpath(path)
    namespace = module.__dict__
    del alltasks[:]
    sys.modules[name] = module
    directory = os.path.dirname(module.__file__)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    saved_argv = sys.argv
    sys.argv = [path, *(argv or [])]
    try:
        code = compile(source, module.__file__, "exec")
        exec(code, namespace)
    except BarrierError:
        return namespace, False
    except SystemExit:
        raise
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise JugfileError(_format_jugfile_error(exc, module.__file__)) from exc
    finally:
        sys.argv = saved_argv
    return namespace, True


def _stem(path: str) -> str:
    """The file name of *path* without its suffix, as :attr:`pathlib.PurePath.stem` says."""
    name = os.path.basename(path.rstrip(os.sep))
    i = name.rfind(".")
    return name[:i] if 0 < i < len(name) - 1 else name


def _format_jugfile_error(exc: BaseException, filename: str) -> str:
    """The jugfile's error as the user needs it: their own frames, none of jug's.

    The traceback starts at the jugfile's first frame (jug's loading machinery is not the
    user's concern), and frames in jug's own source (a check in ``Task()`` that refused an
    argument, say) are left out: the exception's message says what was wrong, and
    ``--debug`` shows everything. An error raised before any line of the jugfile ran (a
    ``SyntaxError`` from compiling it) has no frame of the user's: its message alone points
    at the file, line and column.
    """
    import traceback

    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    if tb is None:
        lines = traceback.format_exception_only(type(exc), exc)
    else:
        report = traceback.TracebackException(type(exc), exc, tb)
        _drop_jug_frames(report)
        lines = list(report.format())
    return f"error while loading jugfile {filename}:\n" + "".join(lines).rstrip()


def _drop_jug_frames(report: Any) -> None:
    """Remove the frames of jug's own modules from *report* and the exceptions it chains."""
    import traceback

    jug_dirs = tuple(os.path.join(p, "") for p in sys.modules["jug"].__path__)
    seen: set[int] = set()
    todo = [report]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        current.stack = traceback.StackSummary.from_list(
            [f for f in current.stack if not f.filename.startswith(jug_dirs)]
        )
        todo += [current.__cause__, current.__context__]


def init(
    jugfile: str | None = None,
    jugdir: str | Store | None = None,
    on_error: Literal["exit", "raise"] = "exit",
    store: Store | None = None,
) -> tuple[Store, dict[str, Any]]:
    """Open a project's store and load its jugfile, for use from Python.

    Parameters
    ----------
    jugfile : str, optional
        The jugfile (default ``jugfile.py``; ``.py`` is added if missing and needed).
    jugdir : str or Store, optional
        Where results live (default: the jugfile's name with ``.jugdata``).
    on_error : {'exit', 'raise'}, optional
        If the jugfile fails: print its traceback and exit (default), or raise.
    store : Store, optional
        Use this store (returned again) instead of opening *jugdir*.

    Returns
    -------
    store : Store
    jugspace : dict
        The jugfile's namespace.
    """
    if jugfile is None:
        jugfile = "jugfile.py"
    if not os.path.exists(jugfile) and os.path.exists(jugfile + ".py"):
        jugfile = jugfile + ".py"
    if store is None:
        store = set_jugdir(jugdir if jugdir is not None else default_jugdir(jugfile))
    else:
        Task.store = store
    _set_jug_running(True)
    try:
        namespace, _ = load_jugfile(jugfile)
    except JugfileError as exc:
        if on_error == "exit":
            print(exc, file=sys.stderr)
            sys.exit(1)
        raise
    return store, namespace
