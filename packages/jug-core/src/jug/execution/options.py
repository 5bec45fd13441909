"""How the execution loop runs: :class:`ExecutionOptions`, the options of ``jug execute``."""

from __future__ import annotations

from collections.abc import Sequence

from jug.errors import InvalidOptionError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["MAX_RETRY_DELAY", "ExecutionOptions"]

#: The longest wait between two attempts at a task, in seconds, unless ``retry_delay`` is
#: longer (see :mod:`jug.execution.retries`; here so that ``jug execute --help`` can say it
#: without importing that module).
MAX_RETRY_DELAY = 300.0


class ExecutionOptions:
    """The options of one run of :class:`jug.execution.Executor` (and of ``jug execute``).

    Every option is a keyword argument; the class attributes below are the defaults (and
    the defaults of ``jug execute``'s command-line options).

    Attributes
    ----------
    wait_cycle_time : float
        Longest pause, in seconds, between checks on tasks that other workers hold.
    nr_wait_cycles : int
        Give up after ``wait_cycle_time * nr_wait_cycles`` seconds without progress.
    keep_going : bool
        Go on with other tasks after a task fails.
    keep_failed : bool
        Mark a failed task as failed in the store (with its traceback) instead of
        releasing its lock, so that no worker runs it again until the mark is removed.
    aggressive_unload : bool
        Drop each result from memory as soon as the task is done.
    target : sequence of str
        Run only the tasks whose name matches one of these patterns (see
        :mod:`jug.execution.matching`), and what they depend on. At a :func:`jug.barrier`
        that only other tasks would pass, the run stops
        (:attr:`~jug.execution.StopReason.TARGET_BLOCKED`, not a failure).
    debug : bool
        Check that tasks do not modify their arguments, and keep jug's own frames in
        tracebacks.
    pdb : bool
        Start the debugger on a failing task (implies *debug*).
    lease : float or None
        Lease, in seconds, of this worker's locks (None: the store's ``lease``).
    progress : bool or None
        Show a progress line on the stream (None: when the stream is a terminal).
    end_time : float or None
        When this worker must be done (seconds since the epoch): a task expected to end
        later is not started (see :mod:`jug.execution.timelimit`). None: the end of the
        batch job this process runs in, if it has a time limit
        (:func:`~jug.execution.timelimit.find_end_time`); ``math.inf``: no limit.
    task_time : float or None
        Seconds to expect of a task whose name has no recorded duration, when an end time
        is known (None: such tasks are started whatever the time left).
    time_margin : float
        A task must be expected to end this many seconds before ``end_time``.
    code_hash : bool
        Record a fingerprint of each task function's code in its results' provenance
        records (see :mod:`jug.execution.codehash`), so that ``jug status`` can tell which
        results were computed by code that changed since.
    retries : int
        Run a task that raises an :class:`Exception` again, up to this many times, in the
        same worker and holding its lock (see :mod:`jug.execution.retries`).
    retry_delay : float
        Seconds to wait before the first retry; the wait doubles at each further retry, up
        to :data:`MAX_RETRY_DELAY` (or *retry_delay*, if longer).
    """

    wait_cycle_time: float = 12.0
    nr_wait_cycles: int = 150
    keep_going: bool = False
    keep_failed: bool = False
    aggressive_unload: bool = False
    target: Sequence[str] = ()
    debug: bool = False
    pdb: bool = False
    lease: float | None = None
    progress: bool | None = None
    end_time: float | None = None
    task_time: float | None = None
    time_margin: float = 5.0
    code_hash: bool = False
    retries: int = 0
    retry_delay: float = 1.0

    #: The option names, in the order above (``jug execute``'s, with ``-`` for ``_``).
    FIELDS = (
        "wait_cycle_time",
        "nr_wait_cycles",
        "keep_going",
        "keep_failed",
        "aggressive_unload",
        "target",
        "debug",
        "pdb",
        "lease",
        "progress",
        "end_time",
        "task_time",
        "time_margin",
        "code_hash",
        "retries",
        "retry_delay",
    )

    # A plain class, not a dataclass: importing dataclasses costs every worker ~5 ms.
    def __init__(
        self,
        *,
        wait_cycle_time: float = wait_cycle_time,
        nr_wait_cycles: int = nr_wait_cycles,
        keep_going: bool = keep_going,
        keep_failed: bool = keep_failed,
        aggressive_unload: bool = aggressive_unload,
        target: Sequence[str] | str = target,
        debug: bool = debug,
        pdb: bool = pdb,
        lease: float | None = lease,
        progress: bool | None = progress,
        end_time: float | None = end_time,
        task_time: float | None = task_time,
        time_margin: float = time_margin,
        code_hash: bool = code_hash,
        retries: int = retries,
        retry_delay: float = retry_delay,
    ) -> None:
        if wait_cycle_time < 0:
            raise InvalidOptionError(
                "the wait cycle time (--wait-cycle-time) must not be negative, "
                f"not {wait_cycle_time}"
            )
        if nr_wait_cycles < 0:
            raise InvalidOptionError(
                "the number of wait cycles (--nr-wait-cycles) must not be negative, "
                f"not {nr_wait_cycles}"
            )
        if lease is not None and not lease > 0:
            raise InvalidOptionError(f"the lease must be a positive number of seconds, not {lease}")
        if end_time is not None and (end_time != end_time or end_time <= 0):
            raise InvalidOptionError(
                f"the end time must be a time (seconds since the epoch), not {end_time}"
            )
        if task_time is not None and not 0 <= task_time < float("inf"):
            raise InvalidOptionError(
                f"the task time (--task-time) must be a number of seconds, not {task_time}"
            )
        if not 0 <= time_margin < float("inf"):
            raise InvalidOptionError(
                f"the time margin must be a number of seconds, not {time_margin}"
            )
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise InvalidOptionError(
                f"the number of retries (--retries) must be a whole number, 0 or more, not {retries!r}"
            )
        if not 0 <= retry_delay < float("inf"):
            raise InvalidOptionError(
                f"the retry delay (--retry-delay) must be a number of seconds, not {retry_delay}"
            )
        self.wait_cycle_time = wait_cycle_time
        self.nr_wait_cycles = nr_wait_cycles
        self.keep_going = keep_going
        self.keep_failed = keep_failed
        self.aggressive_unload = aggressive_unload
        self.target = [target] if isinstance(target, str) else list(target)
        self.debug = debug or pdb
        self.pdb = pdb
        self.lease = lease
        self.progress = progress
        self.end_time = end_time
        self.task_time = task_time
        self.time_margin = time_margin
        self.code_hash = bool(code_hash)
        self.retries = retries
        self.retry_delay = retry_delay

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Every option with its default value."""
        return {k: getattr(cls, k) for k in cls.FIELDS}

    @classmethod
    def from_options(cls, options: Any) -> ExecutionOptions:
        """The options found as attributes of *options* (e.g. parsed command-line options);
        missing ones keep their defaults."""
        return cls(**{k: getattr(options, k) for k in cls.FIELDS if hasattr(options, k)})

    def replace(self, **changes: Any) -> ExecutionOptions:
        """A copy with *changes* applied."""
        return type(self)(**{**self.as_dict(), **changes})

    def as_dict(self) -> dict[str, Any]:
        """Every option with its value."""
        return {k: getattr(self, k) for k in self.FIELDS}

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items())
        return f"ExecutionOptions({values})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.as_dict() == other.as_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable
