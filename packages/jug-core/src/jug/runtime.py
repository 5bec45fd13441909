"""Choosing the store, and opening a project from Python.

These functions are also the way to use a jug project's results from a plain Python
session or notebook::

    store, space = jug.init("analysis.py", "analysis.jugdata")
    jug.value(space["result"])
"""

from __future__ import annotations

import os
import sys

from .backend_registry import open_store
from .errors import JugfileError
from .store import Store
from .task import Task

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal

__all__ = ["init", "is_jug_running", "set_jugdir"]

# Set once a jugfile is loaded (jug.jugfile.load_jugfile).
_jug_running = False


def is_jug_running() -> bool:
    """Whether this code runs under jug (a jugfile loaded by ``jug``, :func:`init`...)
    rather than as a plain Python script."""
    return _jug_running


def set_jugdir(jugdir: str | Store | None, *, secret_file: str | None = None) -> Store:
    """Select where results live: the programmatic ``--jugdir``.

    Parameters
    ----------
    jugdir : str or Store
        A jugdir string (a path, ``redis://…``, ``dict_store``, ``NAME:…``) or a store.
        ``None`` is ``"jugdata"`` (a directory), as in the original jug.
    secret_file : str, optional
        A file holding the secret key that signs results (``--secret-file``); without
        it, the key is the one ``JUG_SECRET_FILE`` or ``JUG_SECRET_KEY`` give, if any
        (see :func:`jug.signing.configured_signer`).

    Returns
    -------
    store : Store
        Also installed as ``Task.store``, the store of every task.

    Raises
    ------
    jug.errors.SecretKeyError
        If a key is configured but cannot be read, or the store cannot sign results.
    """
    if jugdir is None:
        jugdir = "jugdata"
    # jug.signing.KEY_FILE_ENV and KEY_ENV: the module is imported only with a key (a
    # module of the jug namespace costs every command about a million instructions).
    keyed = secret_file or "JUG_SECRET_FILE" in os.environ or "JUG_SECRET_KEY" in os.environ
    signer = None
    if keyed:
        from .signing import configured_signer

        signer = configured_signer(secret_file)  # before opening: a bad key changes nothing
    store = open_store(jugdir) if isinstance(jugdir, str) else jugdir
    if signer is not None:
        from .signing import use_signer

        use_signer(store, signer)
    Task.store = store
    return store


def init(
    jugfile: str | os.PathLike[str] | None = None,
    jugdir: str | Store | None = None,
    on_error: Literal["exit", "raise", "propagate"] = "exit",
    store: Store | None = None,
    secret_file: str | None = None,
) -> tuple[Store, dict[str, Any]]:
    """Open a project's store and load its jugfile, for use from Python.

    The caller's ``sys.argv`` is left as it is while the jugfile loads, so a results
    script run as ``python show.py --n 3`` passes ``--n 3`` to a jugfile that parses it.

    Parameters
    ----------
    jugfile : str, optional
        The jugfile (default ``jugfile.py``; ``.py`` is added if missing and needed).
    jugdir : str or Store, optional
        Where results live (default: the jugfile's name with ``.jugdata``).
    on_error : {'exit', 'raise', 'propagate'}, optional
        If the jugfile fails: print its traceback and exit (default), or raise
        (``'propagate'`` is the original jug's name for it).
    store : Store, optional
        Use this store (returned again) instead of opening *jugdir*.
    secret_file : str, optional
        The key file of signed results (see :func:`set_jugdir`).

    Returns
    -------
    store : Store
    jugspace : dict
        The jugfile's namespace.
    """
    from .jugfile import default_jugdir, load_jugfile, resolve_jugfile

    path = resolve_jugfile("jugfile.py" if jugfile is None else jugfile)
    if store is None:
        store = set_jugdir(
            jugdir if jugdir is not None else default_jugdir(path), secret_file=secret_file
        )
    else:
        set_jugdir(store, secret_file=secret_file)
    if on_error not in ("exit", "raise", "propagate"):
        raise ValueError(f"jug.init: on_error must be 'exit' or 'raise', not {on_error!r}")
    try:
        namespace, complete = load_jugfile(path)
    except JugfileError as exc:
        if on_error == "exit":
            print(exc, file=sys.stderr)
            sys.exit(1)
        raise
    namespace["__jug__hasbarrier__"] = not complete  # as the original set it
    return store, namespace
