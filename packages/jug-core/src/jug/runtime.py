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
from typing import Any, Literal

from .backend_registry import open_store
from .barrier import BarrierError
from .errors import JugfileError
from .store import Store
from .task import Task, alltasks

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
    """The traceback from the jugfile's own frames on (jug's import machinery dropped)."""
    import traceback

    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    lines = traceback.format_exception(type(exc), exc, tb if tb is not None else exc.__traceback__)
    return f"error while loading jugfile {filename}:\n" + "".join(lines).rstrip()


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
