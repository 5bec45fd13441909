"""Watching a run: where every task stands, how long tasks take, how fast it goes.

:class:`StatusMonitor` holds a task graph (loaded once) and, at each :meth:`~StatusMonitor.refresh`,
asks the store only about what is not finished yet: one bulk existence query over the
unfinished tasks, one listing of the locks, and the records (:mod:`.records`) of the
tasks that finished since the last refresh. A refresh therefore costs in proportion to the
work left, not to the size of the project, and never loads the jugfile or hashes a task
again. It returns a :class:`StatusReport`, whose :meth:`~StatusReport.to_dict` is the
versioned JSON document of ``jug status --json`` and ``jug webstatus``'s ``/api/status``
(the schema is documented in ``docs/status-json.md``)::

    import jug
    from jug.execution import StatusMonitor

    jug.init("primes.py")
    monitor = StatusMonitor.from_tasks()
    report = monitor.refresh()
    print(report.totals.finished, report.rate, report.eta)

Finished tasks stay finished for the monitor: a result removed while it watches (``jug
invalidate``) is noticed by a new monitor, not by a refresh.
"""

from __future__ import annotations

import bisect
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

from .rates import DEFAULT_WINDOW, RateMeter, eta, rate_from_records
from .states import TaskCounts, TaskState, _tally_by_state, total_counts

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from jug.store import LockInfo, Store
    from jug.task import Task

__all__ = [
    "SCHEMA",
    "SCHEMA_MINOR",
    "SCHEMA_VERSION",
    "DurationStats",
    "StatusMonitor",
    "StatusReport",
]

#: The ``schema`` field of the status document.
SCHEMA = "jug-status"
#: The ``version`` field: raised when a field changes meaning or goes away (adding fields
#: does not raise it).
SCHEMA_VERSION = 1
#: The ``minor`` field: raised when fields are added (1: ``tasks[].code`` and the
#: ``attempts`` of failed tasks).
SCHEMA_MINOR = 1

#: How many recently finished tasks a report lists.
RECENT = 20


class DurationStats:
    """How long the finished tasks of one name took (from their provenance records).

    Attributes
    ----------
    count : int
        Tasks with a recorded duration.
    mean, median, max, min, total : float
        Seconds.
    """

    __slots__ = ("count", "max", "mean", "median", "min", "total")

    def __init__(self, durations: Sequence[float]) -> None:
        """*durations* sorted ascending, not empty."""
        n = len(durations)
        self.count = n
        self.total = float(sum(durations))
        self.mean = self.total / n
        mid = n // 2
        self.median = durations[mid] if n % 2 else (durations[mid - 1] + durations[mid]) / 2
        self.min = durations[0]
        self.max = durations[-1]

    def __repr__(self) -> str:
        return (
            f"DurationStats(count={self.count}, mean={self.mean:.6g}, "
            f"median={self.median:.6g}, max={self.max:.6g})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "mean": self.mean,
            "median": self.median,
            "min": self.min,
            "max": self.max,
            "total": self.total,
        }


class StatusReport:
    """Where a project stands at one moment: what :meth:`StatusMonitor.refresh` returns.

    Attributes
    ----------
    generated : float
        When (seconds since the epoch).
    counts : dict
        Task name → :class:`~jug.execution.TaskCounts`, sorted by name.
    totals : TaskCounts
    complete : bool
        False if the jugfile stopped at an unmet barrier (tasks after it are not counted).
    durations : dict
        Task name → :class:`DurationStats`, for the names with recorded durations.
    running, stale, failed : list of dict
        One dict per locked task (see ``docs/status-json.md`` for the fields).
    recent : list of dict
        The last finished tasks (with provenance), newest first.
    rate : float or None
        Tasks finished per second over the last :attr:`window` seconds.
    rate_source : str or None
        ``"records"`` (end times in provenance records) or ``"observed"`` (counts seen by
        successive refreshes).
    eta : float or None
        Seconds until the remaining tasks (waiting, ready, running, stale) are finished at
        that rate.
    window : float
    jugfile, jugdir : str or None
        What the report is about, if known.
    code : dict or None
        Task name → ``{"changed": n, "unchanged": n, "unknown": n}``: how the finished
        results compare with the current code (:mod:`.codehash`); None if the current code
        is not known (no tasks given to the monitor) or no finished result has a
        fingerprint.
    """

    def __init__(self, **fields: Any) -> None:
        self.generated: float = fields["generated"]
        self.counts: dict[str, TaskCounts] = fields["counts"]
        self.totals: TaskCounts = total_counts(self.counts)
        self.complete: bool = fields.get("complete", True)
        self.durations: dict[str, DurationStats] = fields.get("durations", {})
        self.running: list[dict[str, Any]] = fields.get("running", [])
        self.stale: list[dict[str, Any]] = fields.get("stale", [])
        self.failed: list[dict[str, Any]] = fields.get("failed", [])
        self.recent: list[dict[str, Any]] = fields.get("recent", [])
        self.rate: float | None = fields.get("rate")
        self.rate_source: str | None = fields.get("rate_source")
        self.window: float = fields.get("window", DEFAULT_WINDOW)
        self.jugfile: str | None = fields.get("jugfile")
        self.jugdir: str | None = fields.get("jugdir")
        self.code: dict[str, dict[str, int]] | None = fields.get("code")
        remaining = self.remaining
        self.eta: float | None = eta(remaining, self.rate) if remaining else 0.0

    @property
    def remaining(self) -> int:
        """Tasks still to finish: waiting, ready, running and stale (not failed)."""
        t = self.totals
        return t.waiting + t.ready + t.running + t.stale

    @property
    def all_finished(self) -> bool:
        """Whether every task (of a completely loaded jugfile) is finished."""
        return self.complete and self.totals.finished == self.totals.total

    def to_dict(self) -> dict[str, Any]:
        """The status document (schema ``jug-status``, version 1.1): JSON-ready."""
        tasks = []
        for name, c in self.counts.items():
            row: dict[str, Any] = {"name": name, **c.as_dict(), "total": c.total}
            stats = self.durations.get(name)
            row["durations"] = None if stats is None else stats.to_dict()
            if self.code is not None:
                row["code"] = self.code.get(name) or _code_counts(0, 0, c.finished)
            else:
                row["code"] = None
            tasks.append(row)
        totals: dict[str, Any] = {**self.totals.as_dict(), "total": self.totals.total}
        eta_at = None if self.eta is None else self.generated + self.eta
        return {
            "schema": SCHEMA,
            "version": SCHEMA_VERSION,
            "minor": SCHEMA_MINOR,
            "generated": self.generated,
            "jugfile": self.jugfile,
            "jugdir": self.jugdir,
            "complete": self.complete,
            "all_finished": self.all_finished,
            "totals": totals,
            "tasks": tasks,
            "running": self.running,
            "stale": self.stale,
            "failed": self.failed,
            "recent": self.recent,
            "rate": {"per_second": self.rate, "window": self.window, "source": self.rate_source},
            "eta": {"seconds": self.eta, "at": eta_at},
        }

    def to_json(self, indent: int | None = None) -> str:
        """:meth:`to_dict` as JSON text."""
        import json

        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def to_prometheus(self) -> str:
        """The report in Prometheus' text exposition format (what ``/metrics`` serves).

        Metrics: ``jug_tasks{name,state}`` and ``jug_project_tasks{state}`` (gauges),
        ``jug_rate_tasks_per_second`` and ``jug_eta_seconds`` (when known),
        ``jug_task_duration_seconds{name}`` (a summary: median, sum, count),
        ``jug_task_duration_max_seconds{name}``, ``jug_running_tasks_by_host{host}``,
        ``jug_status_complete`` and ``jug_status_generated_timestamp_seconds``.
        """
        out: list[str] = []

        def metric(name: str, kind: str, text: str) -> None:
            out.append(f"# HELP {name} {text}")
            out.append(f"# TYPE {name} {kind}")

        metric("jug_tasks", "gauge", "Tasks of each name in each state.")
        for name, c in self.counts.items():
            label = _label(name)
            for state, n in c.as_dict().items():
                out.append(f'jug_tasks{{name="{label}",state="{state}"}} {n}')
        metric("jug_project_tasks", "gauge", "Tasks in each state, all names together.")
        for state, n in self.totals.as_dict().items():
            out.append(f'jug_project_tasks{{state="{state}"}} {n}')
        if self.rate is not None:
            metric("jug_rate_tasks_per_second", "gauge", "Tasks finished per second, recently.")
            out.append(f"jug_rate_tasks_per_second {self.rate!r}")
        if self.eta is not None:
            metric("jug_eta_seconds", "gauge", "Seconds until the remaining tasks are finished.")
            out.append(f"jug_eta_seconds {self.eta!r}")
        if self.durations:
            metric("jug_task_duration_seconds", "summary", "How long finished tasks ran.")
            for name, d in self.durations.items():
                label = _label(name)
                out.append(
                    f'jug_task_duration_seconds{{name="{label}",quantile="0.5"}} {d.median!r}'
                )
                out.append(f'jug_task_duration_seconds_sum{{name="{label}"}} {d.total!r}')
                out.append(f'jug_task_duration_seconds_count{{name="{label}"}} {d.count}')
            metric("jug_task_duration_max_seconds", "gauge", "The longest run of a finished task.")
            for name, d in self.durations.items():
                out.append(f'jug_task_duration_max_seconds{{name="{_label(name)}"}} {d.max!r}')
        metric("jug_running_tasks_by_host", "gauge", "Running tasks on each host.")
        for host, n in sorted(Counter(r["host"] for r in self.running).items()):
            out.append(f'jug_running_tasks_by_host{{host="{_label(host)}"}} {n}')
        metric("jug_status_complete", "gauge", "1 unless the jugfile stops at an unmet barrier.")
        out.append(f"jug_status_complete {int(self.complete)}")
        metric("jug_status_generated_timestamp_seconds", "gauge", "When the status was taken.")
        out.append(f"jug_status_generated_timestamp_seconds {self.generated!r}")
        return "\n".join(out) + "\n"


def _label(value: str) -> str:
    """*value* escaped for a Prometheus label value (backslash, double quote, newline)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class StatusMonitor:
    """A task graph's status, refreshed cheaply (see the module docstring).

    Parameters
    ----------
    order, names, deps :
        The graph, as :func:`jug.execution.hash_graph` returns it.
    store : Store, optional
        Default: ``Task.store``.
    complete : bool, optional
        False if the jugfile stopped at an unmet barrier.
    window : float, optional
        Seconds of history the rate is computed over.
    jugfile, jugdir : str, optional
        Named in the reports.
    code_of : callable, optional
        Task hash → the current fingerprint of its function's code (see
        :class:`~jug.execution.codehash.CodeFingerprints`), to count the results whose code
        changed (:attr:`StatusReport.code`). :meth:`from_tasks` makes it.
    """

    def __init__(
        self,
        order: Sequence[str],
        names: Mapping[str, str],
        deps: Mapping[str, Sequence[str]],
        store: Store | None = None,
        *,
        complete: bool = True,
        window: float = DEFAULT_WINDOW,
        jugfile: str | None = None,
        jugdir: str | None = None,
        code_of: Callable[[str], str | None] | None = None,
    ) -> None:
        if store is None:
            from jug.task import Task

            store = Task.store
        self.store = store
        self.names = names
        self.deps = deps
        self.complete = complete
        self.window = window
        self.jugfile = jugfile
        self.jugdir = jugdir
        self._pending: set[str] = set(order)
        self._done: set[str] = set()
        self._finished = Counter[str]()
        self._durations: dict[str, list[float]] = {}
        self._stats: dict[str, DurationStats] = {}
        self._ends: list[float] = []  # sorted
        self._starts: list[float] = []  # start of the task ending at _ends[i]
        self._recent: list[tuple[float, str, dict[str, Any]]] = []
        self._meter = RateMeter(window)
        self.code_of = code_of
        # Task name -> Counter of "same"/"changed"/"unknown", of fingerprinted results.
        self._code: dict[str, Counter[str]] = {}

    @classmethod
    def from_tasks(cls, tasks: Iterable[Task] | None = None, **kwargs: Any) -> StatusMonitor:
        """A monitor of *tasks* (default: the jugfile loaded last, ``jug.task.alltasks``)."""
        from jug.task import alltasks

        from .graph import hash_graph

        tasks = list(alltasks if tasks is None else tasks)
        order, names, deps = hash_graph(tasks)
        if "code_of" not in kwargs:
            from .codehash import CodeFingerprints

            kwargs["code_of"] = CodeFingerprints().of_key(tasks)
        return cls(order, names, deps, **kwargs)

    @property
    def done(self) -> frozenset[str]:
        """The hashes of the tasks known to be finished."""
        return frozenset(self._done)

    def refresh(self, now: float | None = None) -> StatusReport:
        """Ask the store what changed, and report.

        Parameters
        ----------
        now : float, optional
            The time against which leases are judged (default: now).
        """
        store, names = self.store, self.names
        newly = store.can_load_many(self._pending) if self._pending else set()
        if newly:
            self._pending -= newly
            self._done |= newly
            self._finished.update(map(names.__getitem__, newly))
            if store.keeps_records:
                self._add_records(store.records(newly))
        infos = store.lock_infos() if self._pending else {}
        now = time.time() if now is None else now
        self._meter.observe(len(self._done), now)
        counts = self._count(infos, now)
        running: list[dict[str, Any]] = []
        stale: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        for h in self._pending.intersection(infos):
            info = infos[h]
            state = info.state(now)
            if state is TaskState.FAILED:
                failed.append(_failure(names[h], h, info))
            else:
                (running if state is TaskState.RUNNING else stale).append(
                    _holder(names[h], h, info, now)
                )
        running.sort(key=lambda r: (r["since"], r["name"]))
        stale.sort(key=lambda r: (r["since"], r["name"]))
        failed.sort(key=lambda r: (r["name"], r["at"]))
        rate = rate_from_records(self._ends, self._starts, now, self.window)
        source = "records" if rate is not None else None
        if rate is None:
            rate = self._meter.rate()
            source = "observed" if rate is not None else None
        for name in [n for n in self._durations if n not in self._stats]:
            self._stats[name] = DurationStats(sorted(self._durations[name]))
        return StatusReport(
            generated=now,
            counts=counts,
            complete=self.complete,
            durations=dict(sorted(self._stats.items())),
            running=running,
            stale=stale,
            failed=failed,
            recent=[dict(r) for _, _, r in reversed(self._recent)],
            rate=rate,
            rate_source=source,
            window=self.window,
            jugfile=self.jugfile,
            jugdir=self.jugdir,
            code=self._code_counts(counts),
        )

    def _count(self, infos: Mapping[str, LockInfo], now: float) -> dict[str, TaskCounts]:
        tally: dict[str, Counter[str]] = {"finished": self._finished}
        return _tally_by_state(tally, self._pending, self._done, self.names, self.deps, infos, now)

    def _code_counts(self, counts: Mapping[str, TaskCounts]) -> dict[str, dict[str, int]] | None:
        if self.code_of is None or not self._code:
            return None  # the current code is not known, or no result has a fingerprint
        out = {}
        for name, c in counts.items():
            found = self._code.get(name)
            same = found["same"] if found else 0
            changed = found["changed"] if found else 0
            out[name] = _code_counts(changed, same, c.finished - same - changed)
        return out

    def _compare_code(self, records: Mapping[str, Mapping[str, Any]]) -> None:
        """Count the fingerprinted results among *records* whose code changed."""
        from .codehash import FIELD, compare

        code_of, names, tally = self.code_of, self.names, self._code
        assert code_of is not None
        for h, record in records.items():
            recorded = record.get(FIELD)
            if recorded is None:
                continue
            name = names[h]
            found = tally.get(name)
            if found is None:
                found = tally[name] = Counter()
            current = code_of(h)
            found["same" if recorded == current else compare(recorded, current)] += 1

    def _add_records(self, records: Mapping[str, Mapping[str, Any]]) -> None:
        from .records import Provenance

        if self.code_of is not None:
            self._compare_code(records)

        names, durations = self.names, self._durations
        batch: list[tuple[float, float]] = []
        touched = set()
        recent = self._recent
        # The fields are read directly (a Provenance object per record would cost most of
        # the first refresh of a large project); only the newest become Provenance.
        for h, record in records.items():
            started, ended = record.get("started"), record.get("ended")
            if type(started) is not float or type(ended) is not float:
                p = Provenance.from_record(record)  # ints, or not provenance at all
                if p is None:
                    continue
                started, ended, duration = p.started, p.ended, p.duration
            else:
                given = record.get("duration")
                duration = given if type(given) is float else ended - started
            name = names[h]
            found = durations.get(name)
            if found is None:
                durations[name] = [duration]
                touched.add(name)
            else:
                found.append(duration)
                if name not in touched:
                    touched.add(name)
            batch.append((ended, started))
            if len(recent) < RECENT or ended > recent[0][0]:
                p = Provenance.from_record(record)
                if p is not None:
                    bisect.insort(recent, (ended, h, {"name": name, "hash": h, **p.to_dict()}))
                    if len(recent) > RECENT:
                        del recent[0]
        for name in touched:
            self._stats.pop(name, None)
        if not batch:
            return
        batch.sort()
        if self._ends and batch[0][0] < self._ends[-1]:  # out of order: merge and sort again
            merged = sorted([*zip(self._ends, self._starts, strict=True), *batch])
            self._ends = [e for e, _ in merged]
            self._starts = [s for _, s in merged]
        else:
            self._ends.extend(e for e, _ in batch)
            self._starts.extend(s for _, s in batch)


def _code_counts(changed: int, same: int, unknown: int) -> dict[str, int]:
    return {"changed": changed, "unchanged": same, "unknown": unknown}


def _job(info: LockInfo) -> str | None:
    job = info.extra.get("job") if info.extra else None
    return None if job is None else str(job)


def _holder(name: str, h: str, info: LockInfo, now: float) -> dict[str, Any]:
    return {
        "name": name,
        "hash": h,
        "host": info.host,
        "pid": info.pid,
        "job": _job(info),
        "scheduler": info.extra.get("scheduler") if info.extra else None,
        "since": info.started,
        "heartbeat_age": max(0.0, now - info.heartbeat),
        "lease": info.lease,
    }


def _failure(name: str, h: str, info: LockInfo) -> dict[str, Any]:
    from .retries import attempt_count

    lines = [line for line in (info.error or "").rstrip().splitlines() if line.strip()]
    return {
        "name": name,
        "hash": h,
        "host": info.host,
        "pid": info.pid,
        "job": _job(info),
        "at": info.failed_at or info.started,
        "error": lines[-1].strip() if lines else "",
        "traceback": info.error or "",
        "attempts": attempt_count(info.error or ""),
    }
