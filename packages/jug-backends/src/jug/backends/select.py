"""``jug.backends.select.select(jugdir)``: open the store a jugdir string names.

Kept for code written against the original jug; it is :func:`jug.backend_registry.open_store`
(backends are found through the ``jug.backends`` entry-point group).
"""

from __future__ import annotations

from jug.backend_registry import open_store
from jug.store import Store

__all__ = ["select"]


def select(jugdir: str | Store) -> Store:
    """Return the store named by *jugdir* (a store object is returned unchanged)."""
    return jugdir if isinstance(jugdir, Store) else open_store(jugdir)
