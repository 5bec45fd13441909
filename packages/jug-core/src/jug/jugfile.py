"""Loading a jugfile: the one way every part of jug does it.

``jug execute``, ``status``, ``check`` and the other subcommands, :func:`jug.init`,
:func:`jug.execution.execute` and ``jug shell`` all load jugfiles with
:func:`load_jugfile`.
"""

from __future__ import annotations

import gc
import os
import sys
import types

from .barrier import BarrierError
from .errors import JugfileError, SignatureError
from .task import Task, alltasks

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["default_jugdir", "load_jugfile", "load_tasks", "resolve_jugfile"]

# While a jugfile loads, the collector's first threshold: a jugfile makes many objects
# that live as long as the process (its tasks) and little cyclic garbage, and the default
# pace (a collection every 700 new objects) costs large jugfiles ~10% of their loading
# time. The tasks' own code runs with the default pace again.
_LOADING_GC_THRESHOLD = 50_000


def resolve_jugfile(jugfile: str | os.PathLike[str]) -> str:
    """*jugfile*, or *jugfile* with ``.py`` added if only that exists (``jug status primes``)."""
    path = os.fspath(jugfile)
    if not os.path.exists(path) and os.path.exists(path + ".py"):
        return path + ".py"
    return path


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
    on ``sys.path``, and :func:`jug.is_jug_running` is true from now on. A
    :func:`jug.barrier` that is not yet satisfied stops the import early. The tasks it
    defines are in ``jug.task.alltasks`` afterwards (emptied first).

    Parameters
    ----------
    jugfile : path-like
    argv : list of str, optional
        The jugfile's arguments: ``sys.argv`` is ``[jugfile] + argv`` while it runs. By
        default ``sys.argv`` is left as it is.

    Returns
    -------
    namespace : dict
        The module's globals (as far as they were executed).
    complete : bool
        False if loading stopped at an unmet barrier.

    Raises
    ------
    JugfileError
        If the file is missing or raises; the message includes the jugfile's traceback
        (without jug's frames).
    """
    from . import runtime

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
    runtime._jug_running = True
    saved_argv = sys.argv
    if argv is not None:
        sys.argv = [path, *argv]
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], _LOADING_GC_THRESHOLD), *thresholds[1:])
    try:
        code = compile(source, module.__file__, "exec")
        exec(code, namespace)
    except BarrierError:
        return namespace, False
    except (SystemExit, KeyboardInterrupt, SignatureError):
        # A result refused for its signature (bvalue, value in the jugfile) is not the
        # jugfile's fault: its own line says which one, and what to do.
        raise
    except BaseException as exc:
        from ._traceback import user_traceback

        trace = user_traceback(exc, start_file=module.__file__)
        raise JugfileError(f"error while loading jugfile {module.__file__}:\n{trace}") from exc
    finally:
        gc.set_threshold(*thresholds)
        sys.argv = saved_argv
    return namespace, True


def load_tasks(
    jugfile: str | os.PathLike[str], argv: list[str] | None = None
) -> tuple[list[Task], bool]:
    """:func:`load_jugfile`, returning the tasks it defined and whether it loaded completely.

    This is how the execution loop reads a jugfile again once the tasks before a
    :func:`jug.barrier` are done.
    """
    _, complete = load_jugfile(jugfile, argv)
    return list(alltasks), complete


def _stem(path: str) -> str:
    """The file name of *path* without its suffix, as :attr:`pathlib.PurePath.stem` says."""
    name = os.path.basename(path.rstrip(os.sep))
    i = name.rfind(".")
    return name[:i] if 0 < i < len(name) - 1 else name
