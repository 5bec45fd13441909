"""SIGTERM in ``jug execute``: an exception that frees the held lock, never one that leaks it.

The handler raises :class:`Terminated` in the main thread, so the executor's ``except``
clauses release the lock of the running task. One moment is unsafe: while a lock is being
taken the store may already have granted it when the exception hits (a redis reply not yet
read, a lock file created but not yet recorded), and then nobody would know to release it.
The executor takes locks inside :func:`deferred`; a SIGTERM arriving then is held back and
raised by :meth:`Deferral.end`, which the executor calls inside the ``try`` that frees the
lock.
"""

from __future__ import annotations

import signal
import threading
from types import TracebackType

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Deferral", "Terminated", "deferred", "sigterm_raises"]


class Terminated(BaseException):
    """Raised in the main thread when the process receives SIGTERM."""


class _State:
    depth = 0  # open deferrals
    pending = False  # a SIGTERM arrived during one


def _raise_pending() -> None:
    if _State.depth == 0 and _State.pending:
        _State.pending = False
        raise Terminated()


class Deferral:
    """A stretch of code during which SIGTERM is held back (see :func:`deferred`)."""

    def __init__(self) -> None:
        self.active = False

    def __enter__(self) -> Deferral:
        _State.depth += 1
        self.active = True
        return self

    def end(self) -> None:
        """End the deferral now; raise :class:`Terminated` if SIGTERM came meanwhile."""
        if self.active:
            self.active = False
            _State.depth -= 1
        _raise_pending()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.active:
            self.active = False
            _State.depth -= 1
        if kind is None:
            _raise_pending()


def deferred() -> Deferral:
    """Hold SIGTERM back until the block ends or :meth:`Deferral.end` is called."""
    return Deferral()


class sigterm_raises:
    """Turn SIGTERM into :class:`Terminated`, so that the held lock is released on the way out.

    A context manager (a class rather than :func:`contextlib.contextmanager`, whose import
    costs every ``jug execute`` ~2 ms). Outside the main thread it does nothing: signal
    handlers can only be set there.
    """

    def __init__(self) -> None:
        self._previous: Any = None
        self._active = False

    def __enter__(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        self._previous = signal.signal(signal.SIGTERM, _raise_terminated)
        self._active = True
        _State.depth, _State.pending = 0, False

    def __exit__(self, *exc_info: object) -> None:
        if self._active:
            self._active = False
            signal.signal(signal.SIGTERM, self._previous)
            _State.depth, _State.pending = 0, False


def _raise_terminated(signum: int, frame: Any) -> None:
    # Further SIGTERMs must not interrupt the clean-up this one starts.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if _State.depth:
        _State.pending = True
        return
    raise Terminated()
