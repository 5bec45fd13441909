"""How fast tasks finish, and when the rest will be done: rates and ETAs.

Two sources, one meaning (tasks finished per second, over a recent window):

* :func:`rate_from_records`: the end times that results' provenance records hold
  (:mod:`jug.execution.records`): exact, and right from the first look at a project;
* :class:`RateMeter`: observed counts of finished tasks over time, for results without
  records (written by the original Jug, or a store that keeps none) and for ``jug
  execute``'s progress line.

:func:`eta` turns a rate into the seconds left; :func:`format_seconds` writes either for
people (``"3m20s"``).
"""

from __future__ import annotations

import bisect
import time
from collections import deque
from collections.abc import Sequence

__all__ = ["DEFAULT_WINDOW", "RateMeter", "eta", "format_seconds", "rate_from_records"]

#: Seconds of recent history a rate is computed over.
DEFAULT_WINDOW: float = 600.0


def rate_from_records(
    ends: Sequence[float],
    starts_after: Sequence[float] | None = None,
    now: float | None = None,
    window: float = DEFAULT_WINDOW,
) -> float | None:
    """Tasks per second, from the end times *ends* (sorted ascending) of finished tasks.

    The rate counts the tasks that ended within the last *window* seconds, over the time
    the work took: the whole window, or, for work that began within it, from the earliest
    start among those tasks (``starts_after[i]`` is the start of the task that ended at
    ``ends[i]``; without it, from the first end).

    Returns
    -------
    float or None
        ``None`` if no task ended within the window.
    """
    now = time.time() if now is None else now
    since = now - window
    first = bisect.bisect_left(ends, since)
    n = len(ends) - first
    if n <= 0:
        return None
    began = min(starts_after[first:]) if starts_after is not None else ends[first]
    span = now - max(since, began)
    if span <= 0:
        return None
    return n / span


def eta(remaining: int, rate: float | None) -> float | None:
    """Seconds until *remaining* tasks are done at *rate* per second (``None`` if unknown)."""
    if remaining <= 0:
        return 0.0
    if not rate or rate <= 0:
        return None
    return remaining / rate


def format_seconds(seconds: float | None) -> str:
    """*seconds* for people: ``"45s"``, ``"3m20s"``, ``"2h05m"``, ``"3d04h"``; ``"?"`` if unknown."""
    if seconds is None:
        return "?"
    s = int(round(seconds))
    if s < 60:
        return f"{max(s, 0)}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def format_rate(rate: float | None) -> str:
    """*rate* (tasks per second) for people: ``"12.5/s"``, ``"3.2/min"``; ``"?"`` if unknown."""
    if rate is None:
        return "?"
    if rate >= 1:
        return f"{rate:.3g}/s"
    if rate * 60 >= 1:
        return f"{rate * 60:.3g}/min"
    return f"{rate * 3600:.3g}/h"


class RateMeter:
    """A rate from successive counts of finished tasks (observations over time).

    Parameters
    ----------
    window : float, optional
        Seconds of history kept.

    Examples
    --------
    >>> meter = RateMeter()
    >>> meter.observe(10, at=100.0)
    >>> meter.observe(40, at=110.0)
    >>> meter.rate()
    3.0
    """

    def __init__(self, window: float = DEFAULT_WINDOW) -> None:
        self.window = window
        self._samples: deque[tuple[float, int]] = deque()

    def observe(self, done: int, at: float | None = None) -> None:
        """Record that *done* tasks were finished at time *at* (default: now, monotonic)."""
        at = time.monotonic() if at is None else at
        samples = self._samples
        if samples and done < samples[-1][1]:  # results were removed: start again
            samples.clear()
        samples.append((at, done))
        while len(samples) > 2 and samples[1][0] < at - self.window:
            samples.popleft()

    def rate(self) -> float | None:
        """Tasks per second between the oldest and newest observation kept, or ``None``
        (fewer than two observations, or no time between them)."""
        samples = self._samples
        if len(samples) < 2:
            return None
        (t0, n0), (t1, n1) = samples[0], samples[-1]
        if t1 <= t0:
            return None
        return (n1 - n0) / (t1 - t0)
