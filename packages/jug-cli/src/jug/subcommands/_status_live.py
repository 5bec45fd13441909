"""``jug status --json`` and ``--watch``, and the live status ``jug webstatus`` serves.

A thin layer over :class:`jug.execution.StatusMonitor`: the graph is loaded once; each
refresh asks the store only about unfinished tasks. Past a ``barrier()``, once everything
before it is finished, the jugfile is loaded again and the monitor starts over on the
larger graph.
"""

from __future__ import annotations

import sys
import time

from jug.execution.monitor import StatusMonitor, StatusReport
from jug.execution.rates import format_rate, format_seconds

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO

    from jug.store import Store

__all__ = ["LiveStatus", "format_live", "watch"]

#: Seconds between refreshes of ``--watch`` without a value.
DEFAULT_WATCH = 2.0


class LiveStatus:
    """The status of one project, kept current (one :class:`StatusMonitor` at a time).

    Parameters
    ----------
    graph :
        An object with ``order``, ``names``, ``deps`` and ``complete`` (the graph status
        loaded or read from its cache).
    store : Store
    jugfile, jugdir : str
    argv : list of str
        The jugfile's arguments, to load it again past a barrier.
    tasks : list of Task, optional
        The loaded tasks, to compare recorded code fingerprints with the current code
        (without them, e.g. from the ``--cache`` file, the report's ``code`` is None).
    """

    def __init__(
        self,
        graph: Any,
        store: Store,
        jugfile: str,
        jugdir: str,
        argv: list[str],
        tasks: list[Any] | None = None,
    ) -> None:
        self.store = store
        self.jugfile = jugfile
        self.jugdir = jugdir
        self.argv = argv
        self.monitor = self._monitor(graph.order, graph.names, graph.deps, graph.complete, tasks)

    def _monitor(
        self, order: Any, names: Any, deps: Any, complete: bool, tasks: list[Any] | None = None
    ) -> StatusMonitor:
        code_of = None
        if tasks is not None:
            from jug.execution.codehash import CodeFingerprints

            code_of = CodeFingerprints().of_key(tasks)
        return StatusMonitor(
            order,
            names,
            deps,
            self.store,
            complete=complete,
            jugfile=self.jugfile,
            jugdir=self.jugdir,
            code_of=code_of,
        )

    def refresh(self) -> StatusReport:
        """The current report (loading the jugfile again when a barrier is passed)."""
        report = self.monitor.refresh()
        if not report.complete and report.totals.finished == report.totals.total:
            from jug.execution.graph import hash_graph
            from jug.jugfile import load_tasks

            tasks, complete = load_tasks(self.jugfile, self.argv)
            order, names, deps = hash_graph(tasks)
            if len(order) > report.totals.total or complete:
                self.monitor = self._monitor(order, names, deps, complete, tasks)
                report = self.monitor.refresh()
        return report


def format_live(report: StatusReport, short: bool = False) -> str:
    """The status table (or, if *short*, line) of *report*, with rate and ETA below."""
    from .status import _BARRIER_NOTE as BARRIER_NOTE
    from .status import format_status

    lines = [format_status(report.counts, short=short)]
    t = report.totals
    if report.all_finished:
        lines.append("Everything is finished.")
    else:
        if report.rate is not None:
            when = ""
            if report.eta:
                at = time.localtime(report.generated + report.eta)
                when = f" (at {time.strftime('%H:%M:%S', at)})"
            progress = (
                f"Rate: {format_rate(report.rate)} over the last "
                f"{format_seconds(report.window)}; ETA {format_seconds(report.eta)}{when}."
            )
        else:
            progress = "Rate: not known yet; ETA unknown."
        lines.append(progress)
        if t.running or t.stale or t.failed:
            parts = [f"{t.running} running"]
            hosts = sorted({r["host"] for r in report.running if r["host"]})
            jobs = sorted({r["job"] for r in report.running if r.get("job")})
            where = []
            if hosts:
                where.append("on " + ", ".join(hosts[:5]) + (", ..." if len(hosts) > 5 else ""))
            if jobs:
                # Which batch jobs run them (from the job id in each lock).
                kinds = sorted({r["scheduler"] for r in report.running if r.get("scheduler")})
                label = f"{'/'.join(kinds)} job" if kinds else "job"
                label += "s" if len(jobs) > 1 else ""
                where.append(f"{label} " + ", ".join(jobs[:5]) + (", ..." if len(jobs) > 5 else ""))
            if where:
                parts[0] += f" ({'; '.join(where)})"
            if t.failed:
                parts.append(f"{t.failed} failed (jug status --failed)")
            if t.stale:
                parts.append(f"{t.stale} stale")
            lines.append("; ".join(parts) + ".")
    if not report.complete:
        lines.append(BARRIER_NOTE)
    return "\n".join(lines)


def watch(
    live: LiveStatus,
    interval: float,
    *,
    as_json: bool = False,
    short: bool = False,
    stream: TextIO | None = None,
) -> int:
    """Show *live*'s status every *interval* seconds until everything is finished.

    On a terminal the table is redrawn in place; otherwise (and with *as_json*, one JSON
    document per line) each refresh is printed after the last.

    Returns
    -------
    int
        0 once everything is finished; 130 if interrupted (Ctrl-C).
    """
    out = stream if stream is not None else sys.stdout
    in_place = not as_json and bool(getattr(out, "isatty", lambda: False)())
    shown = 0
    try:
        while True:
            report = live.refresh()
            if as_json:
                out.write(report.to_json() + "\n")
            else:
                text = format_live(report, short=short)
                stamp = time.strftime("%H:%M:%S", time.localtime(report.generated))
                text += f"\n(refreshed at {stamp}, every {interval:g}s; Ctrl-C stops)"
                if in_place:
                    # Up to the first line drawn last time, then each line cleared as it is
                    # rewritten and whatever is left below erased: no flicker.
                    up = f"\x1b[{shown}F" if shown else ""
                    body = "\x1b[K\n".join(text.split("\n"))
                    out.write(f"{up}{body}\x1b[K\n\x1b[J")
                    shown = text.count("\n") + 1
                else:
                    out.write(text + "\n\n")
            out.flush()
            if report.all_finished:
                return 0
            time.sleep(interval)
    except KeyboardInterrupt:
        if in_place:
            out.write("\n")
            out.flush()
        return 130
