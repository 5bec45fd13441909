"""Keeping the lease of the running task alive from a background thread."""

from __future__ import annotations

import threading
from collections.abc import Callable

from jug import log
from jug.task import Task


class LeaseKeeper:
    """Refreshes the lock of the task being run every *interval* seconds.

    Without this, a task running longer than the lease would look stale and another worker
    would reclaim it. If a refresh finds the lock lost, *on_lost* is called once for that
    task.

    Parameters
    ----------
    interval : float
        Seconds between refreshes (``jug execute`` uses a third of the lease).
    on_lost : callable
        Called with the task whose lock was lost.
    """

    def __init__(self, interval: float, on_lost: Callable[[Task], None]) -> None:
        self.interval = interval
        self.on_lost = on_lost
        self._task: Task | None = None
        self._lost = False
        self._mutex = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def hold(self, task: Task) -> None:
        """Start refreshing *task*'s lock (which the caller has just taken)."""
        with self._mutex:
            self._task = task
            self._lost = False
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="jug-lease", daemon=True)
            self._thread.start()

    @property
    def lost(self) -> bool:
        """Whether a refresh found the lock of the held task lost."""
        return self._lost

    def drop(self) -> None:
        """Stop refreshing; call before releasing the lock, so no refresh races the release."""
        with self._mutex:
            self._task = None

    def stop(self) -> None:
        """End the background thread."""
        self.drop()
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            with self._mutex:
                task = self._task
                if task is None or self._lost:
                    continue
                try:
                    ok = task.refresh_lock()
                except Exception as exc:  # a transient store error must not kill the thread
                    log.warning("could not refresh the lock of %s: %s", task.name, exc)
                    continue
                if not ok:
                    self._lost = True
                    self.on_lost(task)
