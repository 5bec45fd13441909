"""``memoize_store``: a read-only view of a store that asks it about each key once.

The original jug's wrapper for code that asks the same questions many times (whether a
result exists, whether a task is locked or failed), kept for code written against it.
jug itself asks stores in bulk instead (:meth:`jug.store.Store.can_load_many`,
:meth:`jug.store.Store.lock_infos`).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator

from jug.store import Lock, Store, as_key

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

__all__ = ["base_lock", "base_store", "cache_lock", "memoize_store"]

#: The original's names (of jug.backends.base): this module exported them too.
base_store, base_lock = Store, Lock


def _read_only(what: str) -> NoReturn:
    raise NotImplementedError(f"memoize_store is read-only: it cannot {what}")


class memoize_store(Store):
    """Answers ``can_load`` and the lock queries of *base*, asking *base* once per key.

    Parameters
    ----------
    base : Store
        The store to ask.
    list_base : bool, optional
        Ask *base* for every key and lock at once, now (one listing each), and answer
        from those lists instead of asking key by key.

    Notes
    -----
    Only queries are supported; saving, loading, removing and taking locks raise
    :class:`NotImplementedError`, as the original's did.
    """

    def __init__(self, base: Store, list_base: bool = False) -> None:
        self.base = base
        self.cache: dict[str, bool] = {}
        self.keys: set[str] | None = None
        self.locks: set[str] | None = None
        if list_base:
            self.keys = set(map(as_key, base.list()))
            self.locks = set(map(as_key, base.listlocks()))

    def __repr__(self) -> str:
        return f"memoize_store({self.base!r})"

    def can_load(self, key: str | bytes) -> bool:
        key = as_key(key)
        if self.keys is not None:
            return key in self.keys
        known = self.cache.get(key)
        if known is None:
            known = self.cache[key] = bool(self.base.can_load(key))
        return known

    def can_load_many(self, keys: Iterable[str | bytes]) -> set[str]:
        wanted = [as_key(k) for k in keys]
        if self.keys is not None:
            return {k for k in wanted if k in self.keys}
        unknown = [k for k in wanted if k not in self.cache]
        if unknown:
            present = self.base.can_load_many(unknown)
            self.cache.update((k, k in present) for k in unknown)
        return {k for k in wanted if self.cache[k]}

    def getlock(self, key: str | bytes) -> cache_lock:
        return cache_lock(self.base, as_key(key), self.locks)

    def dump(self, obj: Any, key: str) -> None:
        _read_only("save results")

    def load(self, key: str) -> Any:
        _read_only("load results")

    def remove(self, key: str) -> bool:
        _read_only("remove results")

    def list(self) -> Iterator[bytes]:
        _read_only("list results")

    def listlocks(self) -> builtins.list[bytes]:
        _read_only("list locks")

    def remove_locks(self) -> int:
        _read_only("remove locks")

    def cleanup(self, active: Iterable[Any], keeplocks: bool = False) -> int:
        _read_only("clean up")


_UNKNOWN, _NOT_LOCKED, _LOCKED, _FAILED = -1, 0, 1, 2


class cache_lock(Lock):
    """The lock of one key of a :class:`memoize_store`: whether it is locked or failed,
    asked of the wrapped store once."""

    def __init__(self, base: Store, key: str, locks: set[str] | None) -> None:
        self.base = base.getlock(key)
        self.status = _UNKNOWN
        if locks is not None:
            self.status = _LOCKED if key in locks else _NOT_LOCKED

    def is_locked(self) -> bool:
        if self.status == _UNKNOWN:
            self.status = _LOCKED if self.base.is_locked() else _NOT_LOCKED
        return self.status != _NOT_LOCKED

    def is_failed(self) -> bool:
        if self.is_locked() and self.status == _LOCKED and self.base.is_failed():
            self.status = _FAILED
        return self.status == _FAILED

    def get(self) -> bool:
        _read_only("take locks")

    def release(self) -> None:
        _read_only("release locks")

    def fail(self, error: str = "") -> bool:
        _read_only("mark tasks as failed")

    def force_release(self) -> None:
        _read_only("remove locks")
