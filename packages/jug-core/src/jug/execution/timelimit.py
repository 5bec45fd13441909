"""Knowing when this worker will be stopped, and not starting a task it cannot finish.

A batch job is killed at the end of its time limit, whatever it is doing: a task cut
mid-way is work lost, and its lock stays until its lease runs out. The execution loop
avoids both when it knows when the job ends (:func:`find_end_time`, or the ``end_time``
option): before each task it asks a :class:`TimeBudget` whether the task is expected to
finish in the time left, and sets aside those that are not. What to expect of a task comes
from the recorded durations of the finished tasks of the same name (the provenance
records, :mod:`.records`, and what this worker ran itself): their 95th percentile
(:data:`QUANTILE`). A name with no recorded duration is expected to take ``task_time``
seconds, if given; otherwise nothing is known, and the task is started.

Where the end time comes from
-----------------------------
==========  ===============================================================================
SLURM       ``SLURM_JOB_END_TIME`` (SLURM 23.02 and later), else the job's ``EndTime``
            from ``squeue -h -j $SLURM_JOB_ID -o %e``
SGE         the ``h_rt`` limit (``qstat -j $JOB_ID``) from the job's start (the creation of
            its spool directory, ``$SGE_JOB_SPOOL_DIR``)
PBS         ``Resource_List.walltime`` from ``stime`` (``qstat -f $PBS_JOBID``), or
            TORQUE's ``PBS_WALLTIME`` from the start of this process
any         ``JUG_END_TIME`` (seconds since the epoch): what a job script says, used when
            the scheduler cannot be asked. The scripts of ``jug submit`` set it for SGE,
            PBS and LSF from ``--time``.
==========  ===============================================================================
"""

from __future__ import annotations

import bisect
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from jug.store import Store

__all__ = [
    "DEFAULT_MARGIN",
    "QUANTILE",
    "JobEnd",
    "TimeBudget",
    "find_end_time",
    "parse_duration",
    "parse_end_time",
]

#: The share of recorded durations a task is expected to stay within (the 95th percentile).
QUANTILE = 0.95
#: Seconds kept free before the end: a task must be expected to end this long before it.
DEFAULT_MARGIN = 5.0
#: How long a scheduler command may take to answer, in seconds.
QUERY_TIMEOUT = 10.0


class JobEnd:
    """When a batch job will be stopped, and how that was found.

    Attributes
    ----------
    end : float
        Seconds since the epoch.
    scheduler : str or None
        ``"slurm"``, ``"sge"``, ``"pbs"``, ``"lsf"`` (None: not from a scheduler).
    source : str
        Where the time came from (``"squeue"``, ``"SLURM_JOB_END_TIME"``, ``"qstat"``,
        ``"PBS_WALLTIME"``, ``"JUG_END_TIME"``).
    """

    __slots__ = ("end", "scheduler", "source")

    def __init__(self, end: float, scheduler: str | None, source: str) -> None:
        self.end = end
        self.scheduler = scheduler
        self.source = source

    def __repr__(self) -> str:
        return f"JobEnd(end={self.end!r}, scheduler={self.scheduler!r}, source={self.source!r})"


def parse_duration(text: str) -> float:
    """Seconds in a duration as schedulers write them.

    ``SECONDS`` (``90``, ``1.5``), ``MM:SS``, ``HH:MM:SS``, ``D-HH:MM:SS`` (``D-HH`` and
    ``D-HH:MM`` too, as SLURM reads them).

    Raises
    ------
    ValueError
        If *text* is not such a duration, or is negative.
    """
    text = text.strip()
    days = 0.0
    body = text
    if "-" in text[1:]:
        head, _, body = text.partition("-")
        if not head.isdigit():
            raise ValueError(f"not a duration: {text!r}")
        days = float(head)
        parts = body.split(":")
        if not 1 <= len(parts) <= 3:
            raise ValueError(f"not a duration: {text!r}")
        parts += ["0"] * (3 - len(parts))  # D-HH, D-HH:MM
    else:
        parts = body.split(":")
        if len(parts) > 3:
            raise ValueError(f"not a duration: {text!r}")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise ValueError(f"not a duration: {text!r}") from None
    if any(n < 0 or not math.isfinite(n) for n in numbers) or days < 0:
        raise ValueError(f"not a duration: {text!r}")
    seconds = 0.0
    for n in numbers:
        seconds = seconds * 60 + n
    return days * 86400 + seconds


def _local_iso(text: str) -> float | None:
    """Seconds since the epoch of SLURM's ``2026-12-07T10:00:00`` (local time), or None."""
    try:
        return time.mktime(time.strptime(text.strip(), "%Y-%m-%dT%H:%M:%S"))
    except (ValueError, OverflowError):
        return None  # "Unknown", "N/A", "NONE": no limit


def _ask(command: list[str]) -> str | None:
    """The output of a scheduler command, or None if it cannot be run or fails."""
    import subprocess

    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=QUERY_TIMEOUT, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _slurm(env: Mapping[str, str], ask: Callable[[list[str]], str | None]) -> JobEnd | None:
    given = env.get("SLURM_JOB_END_TIME")
    if given:
        try:
            return JobEnd(float(given), "slurm", "SLURM_JOB_END_TIME")
        except ValueError:
            pass
    # An array element by its array id and index: the element whose SLURM_JOB_ID is the
    # array's own id would otherwise list every element.
    array, index = env.get("SLURM_ARRAY_JOB_ID"), env.get("SLURM_ARRAY_TASK_ID")
    job = f"{array}_{index}" if array and index else env["SLURM_JOB_ID"]
    out = ask(["squeue", "-h", "-j", job, "-o", "%e"])
    end = _local_iso(out.splitlines()[0]) if out and out.strip() else None
    return None if end is None else JobEnd(end, "slurm", "squeue")


def _sge(env: Mapping[str, str], ask: Callable[[list[str]], str | None]) -> JobEnd | None:
    out = ask(["qstat", "-j", env["JOB_ID"]])
    limit = None
    for line in (out or "").splitlines():
        if line.startswith("hard resource_list:"):
            for item in line.partition(":")[2].strip().split(","):
                key, _, value = item.partition("=")
                if key.strip() == "h_rt":
                    try:
                        limit = parse_duration(value)
                    except ValueError:
                        pass
    if limit is None:
        return None
    start = time.time()
    spool = env.get("SGE_JOB_SPOOL_DIR")
    if spool:
        try:
            start = min(start, os.stat(spool).st_mtime)
        except OSError:
            pass
    return JobEnd(start + limit, "sge", "qstat")


def _pbs(env: Mapping[str, str], ask: Callable[[list[str]], str | None]) -> JobEnd | None:
    out = ask(["qstat", "-f", env["PBS_JOBID"]])
    walltime = started = None
    for line in (out or "").splitlines():
        key, _, value = line.strip().partition(" = ")
        if key == "Resource_List.walltime":
            try:
                walltime = parse_duration(value)
            except ValueError:
                pass
        elif key in ("stime", "start_time"):
            try:
                started = time.mktime(time.strptime(value.strip(), "%a %b %d %H:%M:%S %Y"))
            except ValueError:
                pass
    if walltime is not None:
        return JobEnd((started if started is not None else time.time()) + walltime, "pbs", "qstat")
    given = env.get("PBS_WALLTIME")  # TORQUE: the walltime in seconds
    if given:
        try:
            return JobEnd(time.time() + float(given), "pbs", "PBS_WALLTIME")
        except ValueError:
            pass
    return None


def find_end_time(
    environ: Mapping[str, str] | None = None,
    *,
    ask: Callable[[list[str]], str | None] | None = None,
) -> JobEnd | None:
    """When the batch job this process runs in will be stopped, or None if not known.

    Parameters
    ----------
    environ : mapping, optional
        The environment (default: ``os.environ``).
    ask : callable, optional
        Runs a scheduler command (a list of arguments) and returns its output, or None if
        it failed (default: run it, for at most :data:`QUERY_TIMEOUT` seconds).

    Returns
    -------
    JobEnd or None
        None outside a batch job, for a job without a time limit, or if the scheduler
        could not say (and ``JUG_END_TIME`` is not set).
    """
    env = os.environ if environ is None else environ
    run = _ask if ask is None else ask
    found: JobEnd | None = None
    if "SLURM_JOB_ID" in env:
        found = _slurm(env, run)
    elif "PBS_JOBID" in env:
        found = _pbs(env, run)
    elif "JOB_ID" in env and ("SGE_ROOT" in env or "SGE_TASK_ID" in env):
        found = _sge(env, run)
    if found is None and env.get("JUG_END_TIME"):
        try:
            found = JobEnd(float(env["JUG_END_TIME"]), None, "JUG_END_TIME")
        except ValueError:
            pass
    return found


class TimeBudget:
    """Whether a task can still finish before *end*.

    Parameters
    ----------
    end : float
        When the worker will be stopped (seconds since the epoch).
    task_time : float, optional
        Seconds to expect of a task whose name has no recorded duration (default: nothing
        is expected, and such a task is always started).
    margin : float, optional
        A task must be expected to end this many seconds before *end*.
    clock : callable, optional
        The time now (default :func:`time.time`).

    Examples
    --------
    >>> budget = TimeBudget(end=1000.0, margin=5.0, clock=lambda: 900.0)
    >>> budget.learn("sim.run", 60.0)
    >>> budget.fits("sim.run"), budget.fits("sim.plot")
    (True, True)
    >>> budget.learn("sim.run", 120.0)
    >>> budget.expected("sim.run"), budget.fits("sim.run")
    (120.0, False)
    """

    def __init__(
        self,
        end: float,
        *,
        task_time: float | None = None,
        margin: float = DEFAULT_MARGIN,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.end = float(end)
        self.task_time = task_time
        self.margin = margin
        self.clock = clock
        self._durations: dict[str, list[float]] = {}
        self._expected: dict[str, float | None] = {}
        self._loaded: set[str] = set()
        #: The task running now (its name and when it started), for :meth:`running_fits`.
        self.running: tuple[str, float] | None = None

    def __repr__(self) -> str:
        return f"TimeBudget(end={self.end!r}, task_time={self.task_time!r}, margin={self.margin!r})"

    def left(self) -> float:
        """Seconds until the end (negative once it is past)."""
        return self.end - self.clock()

    def learn(self, name: str, duration: float) -> None:
        """Add a duration of a task named *name*."""
        found = self._durations.get(name)
        if found is None:
            self._durations[name] = [duration]
        else:
            bisect.insort(found, duration)
        self._expected.pop(name, None)

    def learn_records(
        self, names: Mapping[str, str], records: Mapping[str, Mapping[str, Any]]
    ) -> int:
        """Add the durations in provenance *records* (hash → record) of tasks named in
        *names* (hash → name); return how many were added."""
        added = 0
        by_name: dict[str, list[float]] = {}
        for h, record in records.items():
            name = names.get(h)
            if name is None:
                continue
            duration = record.get("duration")
            if not isinstance(duration, (int, float)) or isinstance(duration, bool):
                started, ended = record.get("started"), record.get("ended")
                if not isinstance(started, (int, float)) or not isinstance(ended, (int, float)):
                    continue
                duration = ended - started
            if duration >= 0:
                by_name.setdefault(name, []).append(float(duration))
                added += 1
        for name, found in by_name.items():
            found.extend(self._durations.get(name, ()))
            found.sort()
            self._durations[name] = found
            self._expected.pop(name, None)
        return added

    def load(self, store: Store, names: Mapping[str, str], done: Iterable[str]) -> int:
        """Learn the recorded durations of the finished tasks *done* (hashes, named in
        *names*) from *store*, in one bulk query; return how many were found."""
        if not store.keeps_records:
            return 0
        # A jugfile loaded again past a barrier: the tasks read before are not counted twice.
        fresh = [h for h in done if h not in self._loaded]
        self._loaded.update(fresh)
        return self.learn_records(names, store.records(fresh)) if fresh else 0

    def durations(self, name: str) -> list[float]:
        """The known durations of tasks named *name*, sorted."""
        return list(self._durations.get(name, ()))

    def expected(self, name: str) -> float | None:
        """Seconds a task named *name* is expected to take: the :data:`QUANTILE` of its
        recorded durations, else ``task_time`` (None: not known)."""
        if name in self._expected:
            return self._expected[name]
        found = self._durations.get(name)
        if found:
            value: float | None = found[max(0, math.ceil(QUANTILE * len(found)) - 1)]
        else:
            value = self.task_time
        self._expected[name] = value
        return value

    def fits(self, name: str) -> bool:
        """Whether a task named *name*, started now, is expected to end *margin* seconds
        before the end (True when nothing is expected of it)."""
        expected = self.expected(name)
        if expected is None:
            return self.left() > self.margin
        return expected + self.margin <= self.left()

    def started(self, name: str) -> None:
        """A task named *name* starts now."""
        self.running = (name, self.clock())

    def finished(self, name: str) -> None:
        """The running task finished now: its duration is learnt."""
        if self.running is not None:
            self.learn(name, max(0.0, self.clock() - self.running[1]))
            self.running = None

    def running_fits(self, until: float | None = None) -> bool:
        """Whether the running task is expected to end before *until* (default: the end).

        True if no task runs or nothing is expected of it.
        """
        if self.running is None:
            return True
        name, since = self.running
        expected = self.expected(name)
        if expected is None:
            return True
        return since + expected <= (self.end if until is None else until)

    def describe(self, name: str) -> str:
        """Why a task named *name* does not fit, for messages."""
        left = max(0.0, self.left())
        expected = self.expected(name)
        if expected is None:
            return f"{left:.0f}s left before the end (margin {self.margin:g}s)"
        found = self._durations.get(name)
        how = (
            f"the 95th percentile of {len(found)} recorded duration(s)" if found else "--task-time"
        )
        return (
            f"{name} is expected to take {expected:.3g}s ({how}), "
            f"{left:.0f}s are left (margin {self.margin:g}s)"
        )


def parse_end_time(text: str, now: float | None = None) -> float:
    """An end time as ``jug execute --end-time`` takes it, in seconds since the epoch.

    ``+DURATION`` (from *now*: ``+90``, ``+1:30:00``; see :func:`parse_duration`), a local
    time ``YYYY-MM-DDTHH:MM[:SS]`` or ``HH:MM[:SS]`` (today, or tomorrow if that is past),
    a number of seconds since the epoch, or ``never`` (``math.inf``: no limit).

    Raises
    ------
    ValueError
        If *text* is none of these.
    """
    text = text.strip()
    now = time.time() if now is None else now
    if text.lower() in ("never", "none", "inf"):
        return math.inf
    if text.startswith("+"):
        return now + parse_duration(text[1:])
    for fmt in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return time.mktime(time.strptime(text, fmt))
        except ValueError:
            pass
    if ":" in text:
        for fmt in ("%H:%M:%S", "%H:%M"):
            try:
                clock = time.strptime(text, fmt)
            except ValueError:
                continue
            today = time.localtime(now)
            when = time.mktime((*today[:3], clock.tm_hour, clock.tm_min, clock.tm_sec, 0, 0, -1))
            return when if when > now else when + 86400
    try:
        value = float(text)
    except ValueError:
        raise ValueError(
            f"not an end time: {text!r} (give +DURATION, a local time such as 14:30 or "
            "2026-03-02T14:30, seconds since the epoch, or never)"
        ) from None
    if not value > 0:
        raise ValueError(f"not an end time: {text!r}")
    return value
