"""``jug.backends.select.select(jugdir)``: open the store a jugdir string names.

Kept for code written against the original jug; it is :func:`jug.backend_registry.open_store`
(backends are found through the ``jug.backends`` entry-point group).
"""

from __future__ import annotations

from jug.backend_registry import open_store
from jug.store import Store

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["select"]


def select(jugdir: Any) -> Store:
    """Return the store named by the string *jugdir* (anything else is returned as it is,
    as the original did: a store object, typically)."""
    return open_store(jugdir) if isinstance(jugdir, str) else jugdir


def __getattr__(name: str) -> Any:
    # The original's module also gave the backends it chose from (as jug.backends does).
    if name in ("dict_store", "file_store", "redis_store"):
        import jug.backends

        return getattr(jug.backends, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
