"""Running a failing task again: ``jug execute --retries N --retry-delay SECONDS``.

With ``retries`` (:class:`~jug.execution.ExecutionOptions`) above 0, a task that raises an
:class:`Exception` is run again, up to ``retries`` times, by the same worker: it keeps the
task's lock all along (its lease is renewed during the waits, as while the task runs), so
no other worker takes the task in between. The wait before the first retry is
``retry_delay`` seconds, and it doubles at each further retry, up to :data:`MAX_DELAY` (or
``retry_delay`` itself, if that is longer): see :func:`retry_delay`.

What is not retried:

* exceptions that are not :class:`Exception`: ``KeyboardInterrupt``, ``SystemExit``, and
  SIGTERM or a scheduler's warning signal interrupting the task
  (:class:`~jug.execution.interrupts.Terminated`);
* failures of the store (:class:`~jug.errors.StoreError`) and damaged results of the
  task's dependencies (:class:`~jug.errors.CorruptResultError`): the task is not at fault,
  and the run stops as it does without retries;
* a task whose retry would not finish before the end time (``end_time``, the batch job's
  end: see :mod:`.timelimit`), counting the wait; its expected duration is that of its
  name (:meth:`~.timelimit.TimeBudget.expected`), else the duration of the attempt that
  failed;
* a task whose lock was lost (the lease keeper found it reclaimed);
* any task once the run is asked to stop (:meth:`~jug.execution.Executor.stop`, e.g. the
  scheduler's warning signal): a stop that comes during the wait ends the wait at once.

The task then fails as it would without retries (its lock is released, or with
``keep_failed`` turned into a failure mark), and the run goes on as it would.

The failure record
------------------
What :meth:`jug.store.Lock.fail` records (and :class:`~jug.execution.TaskFailure` holds)
is, for a task that failed once and was not retried because none was allowed (or with
``retries`` 0), its bare traceback, as without retries. Otherwise it is every attempt's
traceback, each after a header line::

    jug: attempt 1 of 3 failed at 2026-12-07T05:00:01Z
    Traceback (most recent call last):
      ...
    ConnectionError: the server did not answer

    jug: attempt 2 of 3 failed at 2026-12-07T05:00:03Z; not retried: ...

(UTC times; ``not retried:`` says why when fewer attempts than allowed were made). The last
line is still the last exception's, so readers that show the last line (``jug status
--failed --short``, the ``error`` of ``jug status --json``, older versions) show the right
one. :func:`split_attempts` reads a record
back, old ones too (a single traceback, or the original Jug's failure marks, which hold
none).
"""

from __future__ import annotations

import time

from jug.errors import CorruptResultError, StoreError

from .options import MAX_RETRY_DELAY

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from jug.task import Task

__all__ = ["MAX_DELAY", "Attempt", "Retrier", "attempt_count", "retry_delay", "split_attempts"]

#: The longest wait between two attempts, in seconds (unless ``retry_delay`` is longer).
MAX_DELAY = MAX_RETRY_DELAY

# Each attempt's traceback follows a line "jug: attempt K of N failed at TIME[; note]".
_HEADER = "jug: attempt "
# How often a wait checks whether the run was asked to stop, in seconds.
_POLL = 0.05


def retry_delay(retry: int, first: float) -> float:
    """Seconds to wait before retry number *retry* (1 for the first) with ``retry_delay``
    *first*: *first* doubled at each retry after the first, up to :data:`MAX_DELAY` (or
    *first*, if longer).

    Examples
    --------
    >>> [retry_delay(n, 1.0) for n in (1, 2, 3, 4)]
    [1.0, 2.0, 4.0, 8.0]
    >>> retry_delay(20, 1.0), retry_delay(3, 600.0)
    (300.0, 600.0)
    """
    return min(first * 2.0 ** min(retry - 1, 64), max(first, MAX_DELAY))


class Attempt:
    """One failed attempt at a task, as read from its failure record.

    Attributes
    ----------
    number : int
        1 for the first run.
    of : int
        How many attempts were allowed (``retries + 1``; 1 in a record without retries).
    at : str or None
        When it failed (UTC, ``YYYY-MM-DDTHH:MM:SSZ``; None in a record without retries).
    note : str
        Why no retry followed (empty if one did, or if none was allowed).
    traceback : str
    """

    __slots__ = ("number", "of", "at", "note", "traceback")

    def __init__(self, number: int, of: int, at: str | None, note: str, traceback: str) -> None:
        self.number = number
        self.of = of
        self.at = at
        self.note = note
        self.traceback = traceback

    def __repr__(self) -> str:
        return (
            f"Attempt(number={self.number!r}, of={self.of!r}, at={self.at!r}, "
            f"note={self.note!r}, traceback={self.traceback!r})"
        )

    def header(self) -> str:
        """The header line of this attempt in a failure record."""
        text = f"{_HEADER}{self.number} of {self.of} failed at {self.at}"
        return f"{text}; {self.note}" if self.note else text


def split_attempts(record: str) -> list[Attempt]:
    """The attempts in a failure record (:meth:`jug.store.LockInfo.error`), first first.

    A record written without retries (or by the original Jug) is one attempt, with
    ``at`` None; an empty record (a failure mark without a traceback) is one attempt with
    an empty traceback.
    """
    lines = record.rstrip().splitlines()
    starts: list[tuple[int, tuple[int, int, str, str]]] = []
    for i, line in enumerate(lines):
        if line.startswith(_HEADER):
            parsed = _parse_attempt_header(line)
            # Headers number the attempts 1, 2, 3...: a line of a traceback that happens
            # to look like one (an exception's message) is not taken for one.
            if parsed is not None and parsed[0] == len(starts) + 1 and (i == 0 or starts):
                starts.append((i, parsed))
    if not starts:
        return [Attempt(1, 1, None, "", record.rstrip())]
    out = []
    for k, (i, (number, of, at, note)) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
        out.append(Attempt(number, of, at, note, "\n".join(lines[i + 1 : end]).strip("\n")))
    return out


def _parse_attempt_header(line: str) -> tuple[int, int, str, str] | None:
    """(number, of, at, note) of a header line (``jug: attempt 2 of 3 failed at TIME``)."""
    head, _, note = line[len(_HEADER) :].partition("; ")
    words = head.split()
    if (
        len(words) != 6
        or words[1] != "of"
        or words[3:5] != ["failed", "at"]
        or not words[0].isdigit()
        or not words[2].isdigit()
    ):
        return None
    return int(words[0]), int(words[2]), words[5], note


def attempt_count(record: str) -> int:
    """How many times the task of a failure record ran (1 for a record without retries)."""
    return len(split_attempts(record))


def _utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Retrier:
    """Runs a locked task with retries, for :class:`jug.execution.Executor`.

    The executor calls :meth:`run` in place of running the task once; if the last attempt
    raises, the exception propagates to the executor's handling of failures, which calls
    :meth:`final` for the failure record.

    Parameters
    ----------
    executor : Executor
    retries : int
    delay : float
        ``retry_delay``: the wait before the first retry.
    """

    def __init__(self, executor: Any, retries: int, delay: float) -> None:
        self.executor = executor
        self.retries = retries
        self.delay = delay
        # The earlier attempts of the task being run, as (at, note, traceback).
        self._earlier: Sequence[tuple[str, str, str]] = ()
        # Why the last attempt was not retried, if it could have been.
        self._note = ""
        # With an end time: how long the last failed attempt ran, in seconds.
        self._took = 0.0

    def run(self, t: Task, h: str) -> None:
        """Run *t* (whose lock is held) and save its result, retrying it if it raises."""
        self._earlier, self._note = (), ""
        ex = self.executor
        try:
            if ex.time_budget is None:  # _run_once, written out: one call less per task
                ex._run_and_save(t, ex.options.debug)
            else:
                self._run_once(t)
            return
        except (StoreError, CorruptResultError):
            raise  # not the task's fault: the executor stops, as without retries
        except Exception as exc:
            failed = exc
        # Retried outside the except clause, or each attempt's exception would be chained
        # to the one before ("During handling of the above exception...").
        self._retry(t, h, failed)

    def _retry(self, t: Task, h: str, exc: Exception) -> None:
        """*t* raised *exc* on its first attempt: retry it (or re-raise the last exception)."""
        from jug._traceback import user_traceback

        ex = self.executor
        total = self.retries + 1
        earlier: list[tuple[str, str, str]] = []
        self._earlier = earlier
        attempt = 1
        while True:
            if attempt == total:
                raise exc
            wait = retry_delay(attempt, self.delay)
            why_not = self._why_not(t, wait)
            if why_not:
                self._note = f"not retried: {why_not}"
                raise exc
            error = user_traceback(exc, keep_jug_frames=ex.options.debug)
            failed_at = _utc_now()
            ex._progress.clear()
            print(
                f"jug: task {t.name} ({h}) failed (attempt {attempt} of {total}); "
                f"retrying in {wait:g}s:\n{error}",
                file=ex.stream,
                flush=True,
            )
            stopped = self._wait(wait)
            if stopped:
                self._note = f"not retried: {stopped}"
                raise exc
            earlier.append((failed_at, "", error))
            attempt += 1
            ex._keeper.hold(t)  # again: a failed save may have stopped the refreshes
            try:
                self._run_once(t)
            except (StoreError, CorruptResultError):
                raise
            except Exception as again:
                exc = again
                continue
            ex.result.recovered[t.name] += 1
            ex._progress.clear()
            print(
                f"jug: task {t.name} ({h}) succeeded on attempt {attempt} of {total}, "
                f"after {attempt - 1} failure(s)",
                file=ex.stream,
                flush=True,
            )
            self._earlier = ()
            return

    def final(self, error: str) -> tuple[str, int, str]:
        """The failure record of the task that just failed with traceback *error* (after
        the attempts :meth:`run` made), how many attempts it had, and how the executor's
        message says it failed."""
        earlier, self._earlier = self._earlier, ()
        note, self._note = self._note, ""
        if not earlier and not note:
            return error, 1, "failed"
        total = self.retries + 1
        parts = [
            f"{Attempt(n, total, at, why, '').header()}\n{tb}"
            for n, (at, why, tb) in enumerate(earlier, 1)
        ]
        last = Attempt(len(earlier) + 1, total, _utc_now(), note, "")
        parts.append(f"{last.header()}\n{error}")
        attempts = len(earlier) + 1
        how = f"failed after {attempts} attempt(s)" if attempts > 1 else "failed"
        if note:
            how += f" ({note})"
        return "\n\n".join(parts), attempts, how

    def _run_once(self, t: Task) -> None:
        # What the executor does for one run of a task, with the time budget's bookkeeping.
        ex = self.executor
        budget = ex.time_budget
        if budget is None:
            ex._run_and_save(t, ex.options.debug)
            return
        budget.started(t.name)
        try:
            ex._run_and_save(t, ex.options.debug)
        except BaseException:
            # No duration is learnt from a task that did not end; how long it ran is what
            # a retry is expected to take if nothing else is known.
            running = budget.running
            self._took = budget.clock() - running[1] if running is not None else 0.0
            budget.running = None
            raise
        budget.finished(t.name)

    def _why_not(self, t: Task, wait: float) -> str | None:
        """Why *t* must not be retried after waiting *wait* seconds (None: it may be)."""
        ex = self.executor
        if ex._stop_request is not None:
            return f"the run was stopped ({ex._stop_request[0]})"
        if ex._keeper.lost:
            return "its lock was lost (its lease expired or another worker reclaimed it)"
        budget = ex.time_budget
        if budget is not None:
            expected = budget.expected(t.name)
            if expected is None:
                expected = self._took  # how long the failed attempt ran
            if wait + expected + budget.margin > budget.left():
                from .executor import _clock

                return (
                    f"a retry (after {wait:g}s, expected to take {expected:.3g}s) would not "
                    f"finish before the end time, {_clock(budget.end)}"
                )
        return None

    def _wait(self, seconds: float) -> str | None:
        """Sleep *seconds*, holding the lock; stop early (returning why) if the run is
        asked to stop meanwhile."""
        ex = self.executor
        end = time.monotonic() + seconds
        while True:
            if ex._stop_request is not None:
                return f"the run was stopped during the wait ({ex._stop_request[0]})"
            if ex._keeper.lost:
                return "its lock was lost during the wait"
            left = end - time.monotonic()
            if left <= 0:
                return None
            time.sleep(min(left, _POLL))
