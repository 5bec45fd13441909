"""Find store backends through the ``jug.backends`` entry-point group.

A *jugdir* string names where results live. It selects a backend as follows:

* ``redis://…``, ``rediss://…``, ``redis:`` and ``unix://…`` → the ``redis`` backend;
* ``dict_store`` or ``dict_store:FILE`` → the ``dict_store`` backend;
* ``NAME:rest`` where ``NAME`` is a registered backend → that backend;
* an existing path, or anything without a ``NAME:`` prefix → the ``file`` backend.

A ``NAME:`` prefix that no installed backend provides is an error listing the installed
ones; it never silently becomes a directory. Each entry point names a callable that takes
the whole jugdir string and returns a :class:`jug.store.Store`. Only the selected entry
point is imported, so choosing the file store never imports redis.

The backends of jug-backends (``file``, ``dict_store``, ``dict``, ``redis``) are opened
without reading the installed distributions' metadata: that distribution declares its own
entry points in :data:`jug.backends.ENTRY_POINTS` too, and scanning every distribution
with :mod:`importlib.metadata` would cost about 15 ms at each start. Any other name is
looked up in the entry points, read afresh in each process, so installing or removing a
plugin is seen at once. These built-in names always mean jug-backends' backends; with
``JUG_LOAD_PLUGINS`` set, every name goes through the (filtered) entry points.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from functools import cache

from .errors import BackendImportError, InvalidJugdirError, UnknownBackendError
from .store import Store

TYPE_CHECKING = False  # as typing.TYPE_CHECKING: importing typing costs ~4 ms per process
if TYPE_CHECKING:
    from importlib.metadata import EntryPoint
    from typing import Any

GROUP = "jug.backends"

# Which distribution to suggest when a well-known backend is missing or broken.
_INSTALL_HINTS = {
    "file": "jug-backends",
    "dict_store": "jug-backends",
    "dict": "jug-backends",
    "redis": "jug-backends[redis]",
}

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9_.+-]+):")


def _own_backends() -> dict[str, str]:
    """jug-backends' backends (name → ``module:function``), if it is installed."""
    if "JUG_LOAD_PLUGINS" in os.environ:
        return {}
    try:
        from jug.backends import ENTRY_POINTS
    except ImportError:
        return {}
    return ENTRY_POINTS


def _load_target(target: str) -> Callable[[str], Store]:
    """Import ``module:attr`` (the form of an entry point's value) and return the object."""
    import importlib

    module, _, attr = target.partition(":")
    obj: Any = importlib.import_module(module.strip())
    for part in attr.strip().split("."):
        obj = getattr(obj, part)
    factory: Callable[[str], Store] = obj
    return factory


@cache
def _entry_points() -> dict[str, EntryPoint]:
    """Registered backends by name, first registration winning (scanned once)."""
    # Imported here: importlib.metadata costs ~15 ms, which `jug --version` need not pay.
    from importlib.metadata import entry_points

    allowed = os.environ.get("JUG_LOAD_PLUGINS")
    allowed_names = None if allowed is None else {n.strip() for n in allowed.split(",")}
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=GROUP):
        if allowed_names is not None and ep.name not in allowed_names:
            continue
        found.setdefault(ep.name, ep)
    return found


def available_backends() -> list[str]:
    """Names of the installed backends, without importing any of them."""
    return sorted(set(_own_backends()) | set(_entry_points()))


def backend_name_for(jugdir: str) -> str:
    """Return the name of the backend that *jugdir* selects (see the module docstring)."""
    if not jugdir.strip():
        # As a path, "" is the current directory: results would be strewn among its files.
        raise InvalidJugdirError(
            f"the jugdir is empty ({jugdir!r}): give a directory, or a backend URL such as "
            "redis://HOST:PORT/DB (check --jugdir and `jugdir` in the configuration files)"
        )
    if jugdir.startswith(("redis:", "rediss:", "unix:")):
        return "redis"
    if jugdir == "dict_store" or jugdir.startswith("dict_store:"):
        return "dict_store"
    match = _SCHEME.match(jugdir)
    if match is None or os.path.exists(jugdir):
        return "file"
    name = match.group(1)
    if name in _own_backends() or name in _entry_points():
        return name
    raise UnknownBackendError(
        f"unknown jugdir scheme {name!r} in {jugdir!r}; installed backends: "
        f"{', '.join(available_backends()) or '(none)'}. "
        "Use a plain path for the file store, or install the package providing this backend."
        + _filter_note(name)
    )


def _filter_note(name: str) -> str:
    """Why *name* may be missing although installed: ``JUG_LOAD_PLUGINS`` leaves it out."""
    allowed = os.environ.get("JUG_LOAD_PLUGINS")
    if allowed is None:
        return ""
    return (
        f" (JUG_LOAD_PLUGINS={allowed!r} limits the backends jug loads: add {name} to it, "
        "or unset it)"
    )


def load_backend(name: str) -> Callable[[str], Store]:
    """Import and return the factory registered under *name*."""
    target = _own_backends().get(name)
    if target is not None:
        try:
            return _load_target(target)
        except ImportError:
            pass  # e.g. redis missing: the entry point's error names what to install
    ep = _entry_points().get(name)
    if ep is None:
        allowed = os.environ.get("JUG_LOAD_PLUGINS")
        if allowed is not None:
            raise UnknownBackendError(
                f"the jug backend {name!r} is not loaded: JUG_LOAD_PLUGINS={allowed!r} "
                f"limits the backends jug loads to those it names; add {name} to it, or unset it"
            )
        hint = _INSTALL_HINTS.get(name, f"a package providing the {name!r} jug backend")
        raise UnknownBackendError(
            f"no jug backend named {name!r} is installed (installed: "
            f"{', '.join(available_backends()) or 'none'}); install {hint}"
        )
    try:
        factory: Callable[[str], Store] = ep.load()
    except ImportError as exc:
        dist = getattr(ep, "dist", None)
        who = dist.name if dist is not None else ep.value
        hint = _INSTALL_HINTS.get(name, who)
        raise BackendImportError(
            f"the jug backend {name!r} (from {who}) cannot be imported: {exc}; install {hint}"
        ) from exc
    return factory


def open_store(jugdir: str) -> Store:
    """Return the store that the jugdir string *jugdir* selects."""
    return load_backend(backend_name_for(jugdir))(jugdir)
