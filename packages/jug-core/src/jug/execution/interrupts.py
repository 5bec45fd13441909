"""SIGTERM in ``jug execute``: an exception that frees the held lock, never one that leaks it.

The handler raises :class:`Terminated` in the main thread, so the executor's ``except``
clauses release the lock of the running task. One moment is unsafe: while a lock is being
taken the store may already have granted it when the exception hits (a redis reply not yet
read, a lock file created but not yet recorded), and then nobody would know to release it.
The executor takes locks inside :func:`deferred`; a SIGTERM arriving then is held back and
raised by :meth:`Deferral.end`, which the executor calls inside the ``try`` that frees the
lock.

A batch scheduler warns a job before killing it (SLURM's ``--signal``, SGE's ``s_rt`` and
``-notify``, LSF's ``-wa``): :class:`stop_signals` turns such a signal (SIGUSR1 and
SIGUSR2 by default) into :meth:`jug.execution.Executor.stop`. The running task is
finished if the time left allows it (:meth:`~jug.execution.Executor.running_task_fits`),
else interrupted at once like SIGTERM (:class:`Terminated`, carrying the signal), so that
its lock is free for another worker rather than held until the kill and then for a lease.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterable
from types import TracebackType

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Deferral", "Terminated", "deferred", "sigterm_raises", "stop_signals"]


class Terminated(BaseException):
    """Raised in the main thread when the process receives SIGTERM (or a warning signal
    of :class:`stop_signals` that the running task cannot outlive).

    Attributes
    ----------
    signum : int
        The signal.
    """

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(signum)
        self.signum = int(signum)


class _State:
    depth = 0  # open deferrals
    # A SIGTERM arrived and its Terminated is not known to have propagated: held back by a
    # deferral, or raised where Python swallows exceptions (an import's internal callback,
    # a __del__), in which case the next safe point raises it again. The signal (0: none).
    pending = 0


def _raise_pending() -> None:
    if _State.depth == 0 and _State.pending:
        signum, _State.pending = _State.pending, 0
        raise Terminated(signum)


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
        _State.depth, _State.pending = 0, 0

    def __exit__(self, kind: type[BaseException] | None, *exc_info: object) -> None:
        if self._active:
            self._active = False
            signal.signal(signal.SIGTERM, self._previous)
            sys.unraisablehook = self._previous_hook
            pending, _State.depth, _State.pending = _State.pending, 0, 0
            if pending and kind is None:
                raise Terminated(pending)  # swallowed where it was raised: it ends the block now


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
    _interrupt(signum)


def _interrupt(signum: int) -> None:
    """Raise :class:`Terminated` now, or at the next safe point (see :class:`_State`)."""
    _State.pending = _State.pending or signum
    if _State.depth == 0:
        raise Terminated(signum)


class stop_signals:
    """Turn the scheduler's warning signals into :meth:`Executor.stop <jug.execution.Executor.stop>`.

    On one of *signals*, *executor* takes no new task; the running one is finished if it
    is expected to end before the end time (see
    :meth:`~jug.execution.Executor.running_task_fits`), else interrupted at once: its lock
    is released and :class:`Terminated` (with the signal) raised. Outside the main thread
    it does nothing.

    Parameters
    ----------
    executor : Executor
    signals : iterable of int, optional
        Default: SIGUSR1 and SIGUSR2.
    """

    def __init__(self, executor: Any, signals: Iterable[int] | None = None) -> None:
        self.executor = executor
        if signals is None:
            signals = (signal.SIGUSR1, signal.SIGUSR2)
        self.signals = [signal.Signals(s) for s in signals]
        self._previous: dict[int, Any] = {}
        self._previous_hook: Any = None

    def __enter__(self) -> stop_signals:
        if threading.current_thread() is threading.main_thread():
            for s in self.signals:
                self._previous[s] = signal.signal(s, self._handle)
            self._previous_hook = sys.unraisablehook
            sys.unraisablehook = _unraisable_hook(self._previous_hook)
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc_info: object) -> None:
        if not self._previous:
            return
        for s, previous in self._previous.items():
            signal.signal(s, previous)
        self._previous.clear()
        sys.unraisablehook = self._previous_hook
        pending, _State.depth, _State.pending = _State.pending, 0, 0
        if pending and kind is None:
            raise Terminated(pending)  # swallowed where it was raised: it ends the block now

    def _handle(self, signum: int, frame: Any) -> None:
        name = signal.Signals(signum).name
        self.executor.stop(f"received {name}", signum)
        if not self.executor.running_task_fits():
            # The running task would not end before the job does: free its lock now
            # rather than hold it until the kill and then for a whole lease.
            _interrupt(signum)
