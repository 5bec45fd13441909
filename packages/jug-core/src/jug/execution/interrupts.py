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
import sys
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
    # A SIGTERM arrived and its Terminated is not known to have propagated: held back by a
    # deferral, or raised where Python swallows exceptions (an import's internal callback,
    # a __del__), in which case the next safe point raises it again.
    pending = False


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
        self._previous_hook: Any = None
        self._active = False

    def __enter__(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        self._previous = signal.signal(signal.SIGTERM, _raise_terminated)
        self._previous_hook = sys.unraisablehook
        sys.unraisablehook = _unraisable_hook(self._previous_hook)
        self._active = True
        _State.depth, _State.pending = 0, False

    def __exit__(self, kind: type[BaseException] | None, *exc_info: object) -> None:
        if self._active:
            self._active = False
            signal.signal(signal.SIGTERM, self._previous)
            sys.unraisablehook = self._previous_hook
            pending, _State.depth, _State.pending = _State.pending, 0, False
            if pending and kind is None:
                raise Terminated()  # swallowed where it was raised: it ends the block now


def _unraisable_hook(previous: Any) -> Any:
    """An unraisablehook that is silent about :class:`Terminated` (it is raised again at
    the next safe point) and passes anything else to *previous*."""

    def hook(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, Terminated):
            previous(unraisable)

    return hook


def _raise_terminated(signum: int, frame: Any) -> None:
    # Further SIGTERMs must not interrupt the clean-up this one starts.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _State.pending = True
    if _State.depth == 0:
        raise Terminated()
