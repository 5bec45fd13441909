"""What a run of the execution loop did: :class:`ExecutionResult`."""

from __future__ import annotations

from collections import Counter
from enum import StrEnum

__all__ = ["ExecutionResult", "StopReason", "TaskFailure"]


class StopReason(StrEnum):
    """Why a run of the execution loop ended."""

    #: Every task it was given has its result.
    FINISHED = "finished"
    #: An exit check (or a hook) asked to stop before the next task; the rest is left for
    #: later runs. Not a failure.
    EXIT_CHECK = "exit-check"
    #: A task raised, and the run was not told to keep going.
    TASK_FAILED = "task-failed"
    #: Tasks held by other workers did not finish within the patience of the run
    #: (``wait_cycle_time * nr_wait_cycles``).
    GAVE_UP_WAITING = "gave-up-waiting"
    #: Nothing more could run here: what is left depends on failed tasks, is marked as
    #: failed, or lies past a barrier the run cannot pass.
    BLOCKED = "blocked"
    #: Every targeted task that could run did; the jugfile stops at a barrier that only
    #: tasks the target does not select would pass (see :attr:`ExecutionResult.stop_message`).
    #: Not a failure.
    TARGET_BLOCKED = "target-blocked"
    #: The time left before ``end_time`` (the batch job's end) was too short for any task
    #: left to this worker: they were not started (see :mod:`jug.execution.timelimit`).
    #: Not a failure: the rest is for other workers or later jobs.
    TIME_LIMIT = "time-limit"
    #: :meth:`Executor.stop` was called (``jug execute``: the scheduler's warning signal):
    #: no new task was started. :attr:`ExecutionResult.signal` holds the signal, if any.
    STOPPED = "stopped"


class TaskFailure:
    """A task that raised: its name, hash and formatted traceback.

    With retries (:mod:`jug.execution.retries`), *attempts* says how many times it ran,
    and *error* holds every attempt's traceback (what the store's failure record holds;
    :func:`~jug.execution.retries.split_attempts` splits it).
    """

    __slots__ = ("name", "hash", "error", "attempts")

    def __init__(self, name: str, hash: str, error: str, attempts: int = 1) -> None:
        self.name = name
        self.hash = hash
        self.error = error
        self.attempts = attempts

    def __repr__(self) -> str:
        more = f", attempts={self.attempts!r}" if self.attempts != 1 else ""
        return f"TaskFailure(name={self.name!r}, hash={self.hash!r}, error={self.error!r}{more})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not TaskFailure:
            return NotImplemented
        return (self.name, self.hash, self.error, self.attempts) == (
            other.name,
            other.hash,
            other.error,
            other.attempts,
        )

    __hash__ = None  # type: ignore[assignment]


class ExecutionResult:
    """What one run did, per task name, and why it ended.

    Attributes
    ----------
    executed : Counter
        Task name → number of tasks this run computed.
    loaded : Counter
        Task name → number of tasks whose results were already stored (or were stored by
        another worker meanwhile).
    failures : list of TaskFailure
        The tasks that raised in this run.
    undone : int
        Tasks left without a result.
    end : StopReason
        Why the run ended.
    stop_message : str or None
        With :attr:`StopReason.EXIT_CHECK`: the message of the check that stopped the run;
        with :attr:`StopReason.TARGET_BLOCKED`: which tasks the barrier needs.
    problems : list of str
        One line per reason why work was left undone.
    signal : int or None
        With :attr:`StopReason.STOPPED`: the signal that asked the run to stop, if one did.
    recovered : Counter
        Task name → number of tasks that raised, were retried and then succeeded (they are
        counted in :attr:`executed` too; see :attr:`retried`).
    """

    def __init__(self) -> None:
        self.executed: Counter[str] = Counter()
        self.loaded: Counter[str] = Counter()
        self.failures: list[TaskFailure] = []
        self.undone = 0
        self.end = StopReason.FINISHED
        self.stop_message: str | None = None
        self.problems: list[str] = []
        self.signal: int | None = None
        self.recovered: Counter[str] = Counter()

    def __repr__(self) -> str:
        return (
            f"ExecutionResult(end={self.end.value!r}, executed={dict(self.executed)!r}, "
            f"loaded={dict(self.loaded)!r}, failed={dict(self.failed)!r}, undone={self.undone})"
        )

    @property
    def failed(self) -> Counter[str]:
        """Task name → number of tasks that raised in this run."""
        return Counter(f.name for f in self.failures)

    @property
    def retried(self) -> Counter[str]:
        """Task name → number of tasks that needed retries: those that then succeeded
        (:attr:`recovered`) and those that failed after more than one attempt."""
        out = Counter(self.recovered)
        out.update(f.name for f in self.failures if f.attempts > 1)
        return out

    @property
    def ok(self) -> bool:
        """Whether every task has its result and none failed here."""
        return not self.failures and self.undone == 0 and not self.problems

    @property
    def exit_code(self) -> int:
        """0 if :attr:`ok`, or if an exit check or the time limit ended the run (with its
        message) and no task failed; 128 + the signal if a signal stopped it (as a shell
        reports a process ended by that signal: the scheduler sees why); else 1."""
        if self.end is StopReason.STOPPED and self.signal is not None:
            return 128 + self.signal
        if self.stop_message is not None and not self.failures:
            return 0
        return 0 if self.ok else 1

    def summary(self, short: bool = False) -> str:
        """The table of executed and loaded tasks per name (or, if *short*, one line)."""
        from jug.table import format_table

        failed = self.failed
        retried = self.retried if (self.recovered or self.failures) else Counter()
        if short:
            text = (
                f"Executed {sum(self.executed.values())} tasks, loaded {sum(self.loaded.values())}"
            )
            if failed:
                text += f", {sum(failed.values())} failed"
            if retried:
                text += f"; {self._retry_note(retried)}"
            return text + "."
        names = sorted(set(self.executed) | set(self.loaded) | set(failed))
        headers = ["Executed", "Loaded"] + (["Failed"] if failed else [])
        headers += ["Retried"] if retried else []
        rows = [
            (
                n,
                [self.executed[n], self.loaded[n]]
                + ([failed[n]] if failed else [])
                + ([retried[n]] if retried else []),
            )
            for n in names
        ]
        table = format_table(headers, rows)
        if retried:
            table += f"\n{self._retry_note(retried)}."
        return table

    def _retry_note(self, retried: Counter[str]) -> str:
        """What the retries did, for the summary: never hidden among the successes."""
        recovered = sum(self.recovered.values())
        gave_up = sum(retried.values()) - recovered
        parts = []
        if recovered:
            parts.append(f"{recovered} succeeded only after retries")
        if gave_up:
            parts.append(f"{gave_up} failed after retries")
        return f"{sum(retried.values())} task(s) needed retries ({', '.join(parts)})"
