"""The template for writing a jug backend: what each store and lock method must guarantee.

A backend is a :class:`base_store` subclass (results and locks of one project) plus a
:class:`base_lock` subclass (one task's lease). To make ``--jugdir=NAME:…`` select it,
register a factory taking the whole jugdir string in the ``jug.backends`` entry-point
group of your package::

    [project.entry-points."jug.backends"]
    mystore = "mypackage.mystore:from_jugdir"

Keys are task hashes: 40 hexadecimal characters, given as ``str`` or ``bytes``
(:func:`jug.store.as_key` normalises them). Values are arbitrary picklable objects;
:mod:`jug.backends.encode` turns them into bytes the same way every built-in store does.

What jug relies on
------------------
* ``dump`` is atomic: a concurrent ``load`` sees the previous value or the new one, never a
  mixture, and a crash while dumping leaves no partial result behind.
* ``getlock(key).get()`` is atomic across every process using the store: of several
  simultaneous callers exactly one gets ``True``.
* Locks are leases. ``get`` records a random owner token, host, pid, start time,
  heartbeat and lease length (the store's :attr:`~base_store.lease` at that moment).
  The holder calls ``refresh`` while its task runs. A lock whose heartbeat is older than
  its lease is *stale*: the next ``get`` reclaims it, and of several simultaneous
  reclaimers exactly one wins. ``release``, ``fail`` and ``refresh`` act only if the
  calling lock object still holds the lock (its token matches); ``force_release``
  removes whatever is there.
* ``fail(error)`` leaves a *failed* mark (with the error text, host and time) that never
  goes stale, so ``jug status`` on any machine can report why a task failed.
* The bulk methods (:meth:`~base_store.can_load_many`, :meth:`~base_store.lock_infos`)
  answer for many keys in one listing or one round trip; the defaults here are correct but
  ask key by key.
* Optionally, ``dump_and_release(obj, key, lock)`` saves a result and then releases the
  lock the caller holds, in one operation where the store can (the redis store sends both
  in one round trip); ``jug execute`` uses it when a store has it.

A complete example backend is in ``docs/writing-a-backend.md``.
"""

from __future__ import annotations

from collections.abc import Iterable

from jug.errors import JugError
from jug.store import DEFAULT_LEASE, Lock, LockInfo, Store, as_key

TYPE_CHECKING = False  # as typing.TYPE_CHECKING: importing typing costs ~4 ms per process
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "DEFAULT_LEASE",
    "LockInfo",
    "StoreError",
    "as_key",
    "base_lock",
    "base_store",
]


class StoreError(JugError, OSError):
    """A store operation failed for a reason the user must fix (disk full, permissions, …).

    It is an :class:`OSError` (with ``errno`` set when the cause had one) and a
    :class:`jug.errors.JugError` (its message is one line meant for the user).
    """


class base_lock(Lock):
    """Base class of a backend's lock: see :class:`jug.store.Lock` for the contract."""


class base_store(Store):
    """Base class of a backend's store: see :class:`jug.store.Store` for the contract.

    It adds the optional extras of the original jug's stores, with correct defaults.
    """

    def remove_many(self, keys: Iterable[str | bytes]) -> set[str]:
        """Remove the results of *keys*; return the keys that had one."""
        return {k for k in map(as_key, keys) if self.remove(k)}

    def metadata(self, t: Any) -> dict[str, Any] | None:
        """Information about the stored result of task *t* (``None`` if unknown)."""
        return None

    @staticmethod
    def remove_store(jugdir: str) -> None:  # noqa: B027 - optional, nothing to do by default
        """Delete everything the store named *jugdir* holds."""
