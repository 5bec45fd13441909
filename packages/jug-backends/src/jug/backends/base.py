"""The names the original jug's backend template used, for backends written against it.

A backend is a :class:`jug.store.Store` subclass (results and locks of one project) plus a
:class:`jug.store.Lock` subclass (one task's lease); ``base_store`` and ``base_lock`` are
those classes under the original's names. The contract every method must keep is
documented on them; ``docs/writing-a-backend.md`` walks through a complete backend, and
:mod:`jug.testing.store_contract` checks one.

To make ``--jugdir=NAME:…`` select a backend, register a factory taking the whole jugdir
string in the ``jug.backends`` entry-point group of its package::

    [project.entry-points."jug.backends"]
    mystore = "mypackage.mystore:from_jugdir"

Values are arbitrary picklable objects; :mod:`jug.backends.encode` turns them into bytes
the way every built-in store does.
"""

from __future__ import annotations

from jug.errors import StoreError
from jug.store import DEFAULT_LEASE, Lock, LockInfo, Store, as_key

__all__ = [
    "DEFAULT_LEASE",
    "LockInfo",
    "StoreError",
    "as_key",
    "base_lock",
    "base_store",
]

#: The base class of a backend's store (:class:`jug.store.Store`).
base_store = Store
#: The base class of a backend's lock (:class:`jug.store.Lock`).
base_lock = Lock
