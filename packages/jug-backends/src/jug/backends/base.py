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
"""

from __future__ import annotations

import builtins
from abc import abstractmethod
from collections.abc import Iterable, Iterator
from typing import Any

from jug.errors import JugError
from jug.store import DEFAULT_LEASE, Lock, LockInfo, Store, as_key

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
    """One task's lease in a store.

    The object is cheap to create and does not touch the store until a method is called;
    it remembers whether *it* took the lock, which is what makes ``release``, ``fail`` and
    ``refresh`` owner-checked.
    """

    @abstractmethod
    def get(self) -> bool:
        """Try to take the lock, atomically.

        If a stale lock (heartbeat older than its lease, and not failed) is present, it is
        reclaimed: of several processes doing so at once, exactly one succeeds.

        Returns
        -------
        locked : bool
            Whether this object now holds the lock.
        """

    @abstractmethod
    def release(self) -> None:
        """Release the lock if this object holds it; otherwise do nothing."""

    @abstractmethod
    def is_locked(self) -> bool:
        """Whether a lock (running, stale or failed) exists for the key.

        The answer may be outdated by the time it is returned; only :meth:`get` is
        race-free. It exists as a cheap check before the atomic one.
        """

    @abstractmethod
    def fail(self, error: str = "") -> bool:
        """Turn the held lock into a failed mark recording *error*, the host and the time.

        Returns
        -------
        failed : bool
            ``False`` (and nothing changes) if this object does not hold the lock.
        """

    @abstractmethod
    def is_failed(self) -> bool:
        """Whether the key carries a failed mark (the answer may be outdated at once)."""

    @abstractmethod
    def force_release(self) -> None:
        """Remove the lock or failed mark, whoever holds it (``jug cleanup``, ``invalidate``)."""

    def refresh(self) -> bool:
        """Renew the heartbeat of the held lock.

        Returns
        -------
        held : bool
            ``False`` if this object no longer holds the lock (it was reclaimed after its
            lease expired, or forcibly released): the caller should stop its task.
        """
        return True

    def info(self) -> LockInfo | None:
        """The lock's record (``None`` if there is no lock); ``heartbeat`` is up to date."""
        return None


class base_store(Store):
    """A place holding the results and locks of one jug project.

    Subclasses implement the abstract methods below; the other methods have correct
    defaults that a fast backend overrides.

    Attributes
    ----------
    lease : float
        Lease length in seconds given to locks taken from now on (``jug execute --lease``).
    """

    lease: float = DEFAULT_LEASE

    @abstractmethod
    def dump(self, obj: Any, key: str | bytes) -> None:
        """Store *obj* under *key*, replacing any previous value, atomically.

        A reader never sees a partial value, and an error (e.g. an unpicklable object or a
        full disk) leaves the previous state untouched.
        """

    @abstractmethod
    def load(self, key: str | bytes) -> Any:
        """Return the object stored under *key*.

        Raises
        ------
        KeyError
            If nothing is stored under *key*.
        jug.errors.CorruptResultError
            If the stored bytes cannot be decoded (the message names the key).
        """

    @abstractmethod
    def can_load(self, key: str | bytes) -> bool:
        """Whether a result is stored under *key*."""

    @abstractmethod
    def remove(self, key: str | bytes) -> bool:
        """Remove the result stored under *key*; return whether there was one."""

    @abstractmethod
    def list(self) -> Iterator[str]:
        """Iterate over the keys (as ``str``) of all stored results."""

    @abstractmethod
    def getlock(self, key: str | bytes) -> base_lock:
        """Return the lock object of *key* (not taken until its ``get()``)."""

    @abstractmethod
    def listlocks(self) -> builtins.list[str]:
        """Return the keys of all locks, running, stale and failed."""

    @abstractmethod
    def remove_locks(self) -> int:
        """Remove every lock and failed mark; return how many were removed."""

    def remove_many(self, keys: Iterable[str | bytes]) -> set[str]:
        """Remove the results of *keys*; return the keys that had one."""
        return {k for k in map(as_key, keys) if self.remove(k)}

    def metadata(self, t: Any) -> dict[str, Any] | None:
        """Information about the stored result of task *t* (``None`` if unknown)."""
        return None

    @staticmethod
    def remove_store(jugdir: str) -> None:  # noqa: B027 - optional, nothing to do by default
        """Delete everything the store named *jugdir* holds."""
