"""Records of results, and the one the execution loop makes: provenance (where, when and how
each result was computed).

When the execution loop saves a result, it gives the store a *record* of the run
(:meth:`jug.store.Store.dump_and_release`): start and end time, duration, host, process id,
the worker's peak resident memory, the versions of jug and Python, and the batch job
(SLURM, SGE, PBS or LSF) if there is one. Stores that keep records (the file, dict and redis
stores) keep it beside the result; :func:`provenance` and :meth:`jug.Task.provenance` read
it back as a :class:`Provenance`::

    import jug
    from jug.execution import provenance

    _, namespace = jug.init("primes.py")
    print(provenance(namespace["total"]).describe())

A result written by the original Jug, or by a store that keeps no records, has none:
:func:`provenance` returns ``None`` for it.

A store is given the record as ``(context, started, duration, peak_rss)``
(:data:`jug.store.Record`): the fields that are the same for every task of a run are one
:class:`jug.store.RecordContext`, made once by the :class:`ProvenanceRecorder`. Readers get
a plain dict (:meth:`jug.store.Store.records`) with these keys (more may be added by later
versions; readers ignore keys they do not know):

=============  ==========================================================================
``started``    when the task started (seconds since the epoch)
``ended``      when it ended
``duration``   how long it ran, in seconds (``ended - started``, to the nanosecond)
``host``       the host name
``pid``        the worker's process id
``peak_rss``   the worker's peak resident set size so far, in bytes
``jug``        jug's version
``python``     Python's version
``job``        the batch job's id (only under a scheduler)
``scheduler``  ``slurm``, ``sge``, ``pbs`` or ``lsf`` (only under a scheduler)
=============  ==========================================================================
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from jug.store import Record, Store
    from jug.task import Task, Tasklet

__all__ = [
    "Provenance",
    "ProvenanceRecorder",
    "batch_job",
    "provenance",
    "provenances",
]

#: The keys of a provenance record.
FIELDS = (
    "started",
    "ended",
    "duration",
    "host",
    "pid",
    "peak_rss",
    "jug",
    "python",
    "job",
    "scheduler",
)


def batch_job(environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """The batch scheduler and job this process runs in, from its environment, or ``None``.

    Returns
    -------
    (scheduler, job) : tuple of str, or None
        ``("slurm", "4242")``, an array task as ``("slurm", "4242_7")``; ``("sge",
        "4242.7")``; ``("pbs", "4242[7].server")`` (PBS's own id); ``("lsf", "4242[7]")``.
    """
    env = os.environ if environ is None else environ
    if "SLURM_JOB_ID" in env:
        array, index = env.get("SLURM_ARRAY_JOB_ID"), env.get("SLURM_ARRAY_TASK_ID")
        if array and index:
            return "slurm", f"{array}_{index}"
        return "slurm", env["SLURM_JOB_ID"]
    if "PBS_JOBID" in env:
        return "pbs", env["PBS_JOBID"]
    if "LSB_JOBID" in env:
        index = env.get("LSB_JOBINDEX", "0")
        job = env["LSB_JOBID"]
        return "lsf", f"{job}[{index}]" if index not in ("", "0") else job
    if "JOB_ID" in env and ("SGE_ROOT" in env or "SGE_TASK_ID" in env):
        index = env.get("SGE_TASK_ID", "undefined")
        job = env["JOB_ID"]
        return "sge", f"{job}.{index}" if index not in ("", "undefined") else job
    return None


class Provenance:
    """The provenance of one result, as read back from its store.

    Attributes
    ----------
    started, ended : float
        When the task started and ended (seconds since the epoch).
    duration : float
        How long it ran, in seconds.
    host : str
    pid : int
    peak_rss : int
        The worker's peak resident memory when the task ended, in bytes (0 if unknown).
    jug_version, python_version : str
    job : str or None
        The batch job's id, under a scheduler.
    scheduler : str or None
        ``"slurm"``, ``"sge"``, ``"pbs"`` or ``"lsf"``.
    record : dict
        The whole record as stored (with any keys this version does not know).
    """

    __slots__ = (
        "duration",
        "ended",
        "host",
        "job",
        "jug_version",
        "peak_rss",
        "pid",
        "python_version",
        "record",
        "scheduler",
        "started",
    )

    def __init__(self, record: Mapping[str, Any]) -> None:
        self.record = dict(record)
        self.started = _number(record.get("started"))
        self.ended = _number(record.get("ended"))
        self.duration = _number(record.get("duration"), self.ended - self.started)
        self.host = str(record.get("host") or "")
        self.pid = int(_number(record.get("pid")))
        self.peak_rss = int(_number(record.get("peak_rss")))
        self.jug_version = str(record.get("jug") or "")
        self.python_version = str(record.get("python") or "")
        job, scheduler = record.get("job"), record.get("scheduler")
        self.job = None if job is None else str(job)
        self.scheduler = None if scheduler is None else str(scheduler)

    @classmethod
    def from_record(cls, record: Mapping[str, Any] | None) -> Provenance | None:
        """The provenance in *record*, or ``None`` if it holds none (no start and end)."""
        if not record or "started" not in record or "ended" not in record:
            return None
        try:
            return cls(record)
        except (TypeError, ValueError):
            return None

    def __repr__(self) -> str:
        job = f", job={self.scheduler}:{self.job}" if self.job else ""
        return (
            f"Provenance(host={self.host!r}, pid={self.pid}, duration={self.duration:.6g}s, "
            f"peak_rss={self.peak_rss}{job})"
        )

    def __eq__(self, other: object) -> bool:
        if type(other) is not Provenance:
            return NotImplemented
        return self.record == other.record

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        """The record's known fields, under the record's key names (JSON-ready)."""
        return {
            "started": self.started,
            "ended": self.ended,
            "duration": self.duration,
            "host": self.host,
            "pid": self.pid,
            "peak_rss": self.peak_rss,
            "jug": self.jug_version,
            "python": self.python_version,
            "job": self.job,
            "scheduler": self.scheduler,
        }

    def describe(self) -> str:
        """One line for people: ``ran 1.25 s on node17 (pid 4242, job slurm 77), ...``."""
        import time

        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.ended))
        where = f"{self.host or 'an unknown host'} (pid {self.pid}"
        if self.job:
            where += f", {self.scheduler} job {self.job}"
        where += ")"
        rss = f", peak memory {self.peak_rss / 2**20:.1f} MiB" if self.peak_rss else ""
        versions = f"jug {self.jug_version}, Python {self.python_version}"
        return f"ran {self.duration:.3g} s on {where}, ended {when}{rss}; {versions}"


def _number(value: Any, default: float = 0.0) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"not a number: {value!r}")
    return float(value)


def provenance(task: Task | Tasklet | str, store: Store | None = None) -> Provenance | None:
    """The provenance of *task*'s stored result, or ``None``.

    Parameters
    ----------
    task : Task, Tasklet or str
        A task (a :class:`~jug.Tasklet` means its base task) or a task hash.
    store : Store, optional
        Default: ``Task.store``.

    Returns
    -------
    Provenance or None
        ``None`` if the result is not stored, or was stored without a record (by the
        original Jug, by a store that keeps no records, or before jug recorded it).
    """
    key = _key_of(task)
    return provenances([key], store).get(key)


def provenances(
    keys: Iterable[Task | Tasklet | str], store: Store | None = None
) -> dict[str, Provenance]:
    """The provenance of the stored result of each of *keys* that has one, by hash.

    Two bulk queries to the store (results, records), whatever the number of keys.
    """
    if store is None:
        from jug.task import Task

        store = Task.store
    wanted = [_key_of(k) for k in keys]
    if not store.keeps_records:
        return {}
    done = store.can_load_many(wanted)
    out: dict[str, Provenance] = {}
    for key, record in store.records(done).items():
        found = Provenance.from_record(record)
        if found is not None:
            out[key] = found
    return out


def _key_of(task: Any) -> str:
    if isinstance(task, str):
        return task
    if isinstance(task, bytes):
        return task.decode("ascii")
    base = task
    while hasattr(base, "base"):  # a Tasklet: the record belongs to its base task
        base = base.base
    key: str = base.key()
    return key


class ProvenanceRecorder:
    """Makes the provenance records of the tasks this process runs.

    What is the same for every task (host, pid, versions, batch job) is looked up once, into
    :attr:`context`; :meth:`record` adds the times and the peak memory. The execution loop
    makes one per run (:class:`jug.execution.Executor`); a loop of one's own can too::

        recorder = ProvenanceRecorder()
        started = time.time_ns()
        result = task.run(save=False)
        record = recorder.record(started, time.time_ns() - started)
        store.dump_and_release(result, key, lock, record)

    The peak memory (``getrusage``) is measured when a task ends, except after a task of
    less than a millisecond, which reuses the value measured at most ``RSS_EVERY`` such
    tasks before: a trivial task then costs no system call.

    Attributes
    ----------
    context : jug.store.RecordContext
        The fields every record of this recorder shares.
    rss : int
        The peak resident memory measured last (bytes).
    short_left : int
        How many more tasks of less than a millisecond reuse :attr:`rss`.
    """

    #: Tasks of less than a millisecond after which the peak memory is measured again.
    RSS_EVERY = 64

    def __init__(self) -> None:
        from jug import __version__
        from jug.store import RecordContext, _Holder

        me = _Holder.current()
        fields: dict[str, Any] = {
            "host": me.host,
            "pid": os.getpid(),
            "jug": __version__,
            "python": "{}.{}.{}".format(*sys.version_info[:3]),
        }
        job = batch_job()
        if job is not None:
            fields["job"], fields["scheduler"] = job[1], job[0]
        self.context = RecordContext(fields)
        self._read_rss = _peak_rss_reader()
        self.rss = self.short_left = 0

    def measure_rss(self) -> None:
        """Measure the peak memory again (into :attr:`rss`)."""
        self.rss = self._read_rss()
        self.short_left = self.RSS_EVERY

    def record(self, started: int, duration: int) -> Record:
        """The record of a task that started at *started* (``time.time_ns()``) and ran
        for *duration* nanoseconds, ending now: ``(context, started, duration, peak_rss)``.
        """
        if duration >= SHORT_TASK or self.short_left <= 0:
            self.measure_rss()
        else:
            self.short_left -= 1
        return (self.context, started, duration, self.rss)


#: A task shorter than this (in nanoseconds: a millisecond) may reuse the peak memory
#: measured after an earlier one (see :class:`ProvenanceRecorder`).
SHORT_TASK = 1_000_000


def _peak_rss_reader() -> Callable[[], int]:
    """A function returning this process's peak resident set size in bytes (0 if unknown)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return lambda: 0
    getrusage, me = resource.getrusage, resource.RUSAGE_SELF
    # ru_maxrss is in kibibytes on Linux and the BSDs, in bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return lambda: int(getrusage(me).ru_maxrss) * scale
