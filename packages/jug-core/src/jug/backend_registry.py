"""Opening the store a jugdir string names, through the ``jug.backends`` entry points.

A *jugdir* names where results live. Every backend is an entry point of the group
``jug.backends`` (see :mod:`jug.plugins`): its name is the scheme it claims, its object a
callable taking the whole jugdir string and returning a :class:`jug.store.Store`. A jugdir
selects a backend as follows:

* ``NAME:rest``, or ``NAME`` alone, where ``NAME`` is a registered backend and no file of
  that name exists → that backend (whose factory may still refuse the string, with a
  message saying what it expected);
* anything else without a ``NAME:`` prefix, or an existing path → the backend ``file``;
* a ``NAME:`` prefix that no installed backend provides is an error listing the installed
  ones: it never silently becomes a directory.

Only the selected backend is imported, so choosing the file store never imports redis.
Setting ``JUG_LOAD_PLUGINS=NAME,NAME…`` limits the backends jug sees to those named.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

from .errors import BackendImportError, InvalidJugdirError, UnknownBackendError
from .plugins import EntryPoint, entry_points
from .store import Store

__all__ = ["GROUP", "available_backends", "backend_name_for", "load_backend", "open_store"]

#: The entry-point group of backends.
GROUP = "jug.backends"
#: The backend of plain paths.
PATH_BACKEND = "file"

# A scheme is at least two characters, so that a Windows drive (C:) is not one.
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9_.+-]+)(:|$)")


def _backends() -> dict[str, EntryPoint]:
    """The visible backends by name (``JUG_LOAD_PLUGINS`` applied)."""
    found = entry_points(GROUP)
    allowed = os.environ.get("JUG_LOAD_PLUGINS")
    if allowed is None:
        return found
    names = {n.strip() for n in allowed.split(",")}
    return {name: ep for name, ep in found.items() if name in names}


def available_backends() -> list[str]:
    """Names of the installed backends, without importing any of them."""
    return sorted(_backends())


def backend_name_for(jugdir: str) -> str:
    """Return the name of the backend that *jugdir* selects (see the module docstring).

    Raises
    ------
    InvalidJugdirError
        If *jugdir* is empty.
    UnknownBackendError
        If it starts with ``NAME:`` and no backend ``NAME`` is installed.
    """
    if not jugdir.strip():
        # As a path, "" is the current directory: results would be strewn among its files.
        raise InvalidJugdirError(
            f"the jugdir is empty ({jugdir!r}): give a directory, or a backend URL such as "
            "redis://HOST:PORT/DB (check --jugdir and `jugdir` in the configuration files)"
        )
    match = _SCHEME.match(jugdir)
    if match is None or os.path.exists(jugdir):
        return PATH_BACKEND
    name, colon = match.groups()
    if name in _backends():
        return name
    if not colon:
        return PATH_BACKEND
    raise UnknownBackendError(
        f"unknown jugdir scheme {name!r} in {jugdir!r}; installed backends: "
        f"{', '.join(available_backends()) or '(none)'}. "
        "Use a plain path for the file store, or install the package providing this backend"
        + _install_note()
        + _filter_note(name)
    )


def _install_note() -> str:
    if entry_points(GROUP):
        return "."
    return " (jug's own backends come with `pip install jug-backends`)."


def _filter_note(name: str) -> str:
    """Why *name* may be missing although installed: ``JUG_LOAD_PLUGINS`` leaves it out."""
    allowed = os.environ.get("JUG_LOAD_PLUGINS")
    if allowed is None or name not in entry_points(GROUP):
        return ""
    return (
        f" (JUG_LOAD_PLUGINS={allowed!r} limits the backends jug loads: add {name} to it, "
        "or unset it)"
    )


def load_backend(name: str) -> Callable[[str], Store]:
    """Import and return the factory registered under *name*.

    Raises
    ------
    UnknownBackendError
        If no backend *name* is installed (or ``JUG_LOAD_PLUGINS`` leaves it out).
    BackendImportError
        If it is installed but cannot be imported (the message names what to install).
    """
    ep = _backends().get(name)
    if ep is None:
        allowed = os.environ.get("JUG_LOAD_PLUGINS")
        if allowed is not None and name in entry_points(GROUP):
            raise UnknownBackendError(
                f"the jug backend {name!r} is not loaded: JUG_LOAD_PLUGINS={allowed!r} "
                f"limits the backends jug loads to those it names; add {name} to it, or unset it"
            )
        raise UnknownBackendError(
            f"no jug backend named {name!r} is installed (installed: "
            f"{', '.join(available_backends()) or 'none'})" + _install_note()
        )
    try:
        factory: Callable[[str], Store] = ep.load()
    except ImportError as exc:
        raise BackendImportError(
            f"the jug backend {name!r} (from {ep.distribution}) cannot be imported: {exc}; "
            f"install {ep.distribution}"
        ) from exc
    return factory


def open_store(jugdir: str) -> Store:
    """Return the store that the jugdir string *jugdir* selects."""
    return load_backend(backend_name_for(jugdir))(jugdir)
