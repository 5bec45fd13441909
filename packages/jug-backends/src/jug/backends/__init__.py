"""Result stores for jug (the jug-backends distribution).

* :mod:`jug.backends.file_store` — one file per result in a directory (the default; NFS-safe);
* :mod:`jug.backends.dict_store` — in memory, optionally saved to one file;
* :mod:`jug.backends.redis_store` — on a redis (or Valkey) server, for clusters without a
  shared file system (needs the ``redis`` package: ``jug-backends[redis]``);
* :mod:`jug.backends.memoize_store` — a read-only wrapper that asks its store once per key;
* :mod:`jug.backends.base` — the template for writing a backend;
* :mod:`jug.backends.encode` — how results are turned into bytes.

Nothing is imported eagerly: ``import jug.backends`` costs nothing, and a store module is
imported only when it is selected (through the ``jug.backends`` entry-point group, which
names ``file`` (alias ``file_keepalive``), ``dict_store`` (alias ``dict``) and ``redis``
(with ``rediss`` and ``unix``)).

The names the original jug's ``jug.backends`` had are here too, imported on first use:
``select``, the modules ``file_store``, ``redis_store``, ``base`` and ``encode``, and the
*classes* ``dict_store`` and ``memoize_store`` (as there: ``jug.backends.dict_store()`` makes
a store, although ``jug.backends.dict_store`` is also the module's name).
"""

from __future__ import annotations

import importlib
import sys
import types

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["dict_store", "memoize_store", "select"]

# Name -> (module, attribute of it or None for the module itself).
_NAMES = {
    "select": ("jug.backends.select", "select"),
    "dict_store": ("jug.backends.dict_store", "dict_store"),
    "memoize_store": ("jug.backends.memoize_store", "memoize_store"),
    "file_store": ("jug.backends.file_store", None),
    "redis_store": ("jug.backends.redis_store", None),
    "base": ("jug.backends.base", None),
    "encode": ("jug.backends.encode", None),
}
# The submodules whose package attribute is a class of theirs, not the module.
_CLASSES = {name for name, (_, attribute) in _NAMES.items() if attribute == name}


def __getattr__(name: str) -> Any:
    where = _NAMES.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module_name, attribute = where
    module = importlib.import_module(module_name)
    return module if attribute is None else getattr(module, attribute)


def __dir__() -> list[str]:
    return sorted({*globals(), *_NAMES})


class _Package(types.ModuleType):
    """This package's class: importing ``jug.backends.dict_store`` (the module) makes the
    import system set the package attribute ``dict_store`` to the module; the attribute
    stays the class, as in the original jug (``from jug.backends import dict_store``)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _CLASSES and isinstance(value, types.ModuleType):
            value = getattr(value, name, value)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
