"""``jug status``: how many tasks are waiting, ready, finished, running, failed or stale."""

from __future__ import annotations

import argparse
import os
import sys
import time

from jug import log
from jug.execution.graph import hash_graph
from jug.execution.states import TaskCounts, TaskState, count_states, total_counts
from jug.store import LockInfo, Store
from jug.table import format_table
from jug.task import alltasks

from . import SubCommand, stopped_at_barrier
from ._status_cache import CachedGraph

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Imported only where used: the --cache file's functions are start-up cost that a plain
# `jug status` does without.

__all__ = ["StatusCommand", "format_failures", "format_status", "status"]

_BARRIER_NOTE = (
    "Note: the jugfile stops at a barrier() whose tasks are not all finished; "
    "tasks defined after it are not counted yet."
)


#: Lines of a failed task's traceback shown by ``jug status --failed``.
TRACEBACK_LINES = 6


def format_status(counts: dict[str, TaskCounts], short: bool = False) -> str:
    """The status table of *counts* (or, if *short*, one line)."""
    total = total_counts(counts)
    if not short:
        titles = [state.heading for state in TaskState]
        return format_table(titles, [(name, c.as_tuple()) for name, c in counts.items()])
    if total.total and total.finished == total.total:
        return f"All tasks complete ({total.total} tasks)."
    text = f"{total.waiting + total.ready} tasks to be run, {total.finished} finished, "
    text += f"({total.running} running)" if total.running else "(none running)"
    if total.failed:
        text += f", {total.failed} failed"
    if total.stale:
        text += f", {total.stale} stale"
    return text + "."


def format_failures(
    failed: list[tuple[str, str, LockInfo]], short: bool = False, lines: int = TRACEBACK_LINES
) -> str:
    """The report of ``jug status --failed``: each failed task with host, time and error.

    Parameters
    ----------
    failed : list of (name, hash, LockInfo)
        The failed tasks and their failure records.
    short : bool, optional
        One line per task (with the last line of its traceback).
    lines : int, optional
        How many final lines of each traceback to show.
    """
    if not failed:
        return (
            "No task is marked as failed. (Failures are recorded in the store when "
            "`jug execute` runs with --keep-failed.)"
        )
    from jug.execution.retries import split_attempts

    out = [f"{len(failed)} failed task(s):"]
    for name, h, info in failed:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info.failed_at or info.started))
        where = f"{info.host or 'unknown host'}" + (f", pid {info.pid}" if info.pid else "")
        attempts = split_attempts(info.error or "")
        after = f" after {len(attempts)} attempts" if len(attempts) > 1 else ""
        if short:
            error = _lines(attempts[-1].traceback)
            last = error[-1].strip() if error else "(no error recorded)"
            out.append(f"{name} ({h[:12]}) on {where} at {when}{after}: {last}")
            continue
        out.append("")
        out.append(f"{name} ({h})")
        out.append(f"  failed on {where} at {when}{after}")
        for attempt in attempts:
            indent = "  "
            if len(attempts) > 1 or attempt.at is not None:
                # Every attempt is shown: a retry never hides an earlier failure.
                out.append(f"  {attempt.header().removeprefix('jug: ')}:")
                indent = "    "
            error = _lines(attempt.traceback)
            if error:
                shown = error[-lines:]
                if len(error) > len(shown):
                    out.append(f"{indent}...")
                out.extend(f"{indent}{line}" for line in shown)
            else:
                out.append(f"{indent}(no error recorded)")
    return "\n".join(out)


def _lines(text: str) -> list[str]:
    """The lines of a traceback that are not blank."""
    return [line for line in text.rstrip().splitlines() if line.strip()]


def _failed_tasks(store: Store, names: dict[str, str]) -> list[tuple[str, str, LockInfo]]:
    failed = [(h, info) for h, info in store.lock_infos().items() if info.failed]
    rows = [(names.get(h, "(a task not in this jugfile)"), h, info) for h, info in failed]
    return sorted(rows, key=lambda r: (r[0], r[2].failed_at))


def _seconds(text: str) -> float:
    """A positive number of seconds (``--watch``)."""
    import argparse

    try:
        value = float(text)
    except ValueError:
        hint = " (name the jugfile before --watch, or write --watch=SECONDS)"
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}{hint}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return value


def _live(options: Any, store: Store, graph: CachedGraph, tasks: Any = None) -> int:
    """``--json`` and ``--watch``: see :mod:`._status_live`."""
    from ._status_live import LiveStatus, format_live, watch

    live = LiveStatus(graph, store, options.jugfile, options.jugdir, list(options.argv), tasks)
    if options.watch is not None:
        return watch(live, options.watch, as_json=options.status_json, short=options.short)
    report = live.refresh()
    if options.status_json:
        print(report.to_json(indent=2))
    else:  # pragma: no cover - only --json and --watch come here
        print(format_live(report, short=options.short))
    return 0


class StatusCommand(SubCommand):
    """Print the status of the tasks (waiting, ready, finished, running, failed, stale)"""

    name = "status"
    _cached: CachedGraph | None = None

    def parse(self, parser: Any) -> None:
        parser.add_argument(
            "--cache",
            action="store_const",
            const=True,
            dest="cache",
            help="keep the task graph in a cache file, so that later calls need not load "
            "the jugfile (rebuilt when the jugfile changes, not when modules it imports do)",
        )
        parser.add_argument(
            "--cache-file",
            dest="cache_file",
            metavar="FILE",
            help="the cache file of --cache (default: .jugstatus.json)",
        )
        parser.add_argument(
            "--clear",
            action="store_const",
            const=True,
            dest="clear",
            help="delete the cache file of --cache and exit",
        )
        parser.add_argument(
            "--failed",
            action="store_const",
            const=True,
            dest="failed",
            help="list the failed tasks with host, time and the end of their traceback",
        )

        parser.add_argument(
            "--json",
            action="store_const",
            const=True,
            dest="status_json",
            help="print the status as one JSON document (schema jug-status, version 1.1: "
            "counts, running and failed tasks, durations, rate, ETA)",
        )
        parser.add_argument(
            "--watch",
            nargs="?",
            const=2.0,
            type=_seconds,
            dest="watch",
            metavar="SECONDS",
            help="refresh the status every SECONDS (default 2) until every task is "
            "finished or Ctrl-C; with --json, one document per line",
        )
        parser.add_argument(
            "--code-hash",
            action=argparse.BooleanOptionalAction,
            dest="code_hash",
            help="also compare the code fingerprints recorded by `jug execute --code-hash` "
            "with the current code: per task name, the results whose code changed since "
            "(reads every result's record; `code-hash = on` under [main] in a configuration "
            "file turns it on for execute and status together)",
        )
        parser.add_argument(
            "--verify",
            action="store_const",
            const=True,
            dest="verify",
            help="also read every stored result back and list those that cannot be read "
            "(damaged files or values); with a secret key, first check every result's "
            "signature and list the unsigned and forged ones (never loaded); exit 1 if "
            "there are any",
        )

    def parse_defaults(self) -> dict[str, Any]:
        return {
            "cache": False,
            "cache_file": ".jugstatus.json",
            "clear": False,
            "failed": False,
            "verify": False,
            "code_hash": False,
            "status_json": False,
            "watch": None,
        }

    def loads_jugfile(self, options: Any) -> bool:
        if options.clear:
            return False
        if options.cache and os.path.isfile(options.jugfile):
            from ._status_cache import cache_key, read_cache

            key = cache_key(options.jugfile, options.jugdir, options.argv)
            self._cached = read_cache(options.cache_file, key)
            return self._cached is None
        return True

    def run(self, options: Any, store: Any, jugspace: Any, *args: Any, **kwargs: Any) -> int:
        if options.clear:
            if os.path.exists(options.cache_file):
                os.remove(options.cache_file)
                print(f"Removed the status cache {options.cache_file}.")
            else:
                print(f"No status cache to remove ({options.cache_file} does not exist).")
            return 0
        graph = self._graph(options, store, jugspace)
        if options.status_json or options.watch is not None:
            return _live(options, store, graph, list(alltasks) if jugspace is not None else None)
        if options.failed:
            print(format_failures(_failed_tasks(store, graph.names), short=options.short))
            return 0
        refused: set[str] = set()
        if getattr(options, "verify", False) and store.signer is not None:
            # Signatures first, from the stored bytes: nothing unsigned is read after.
            from ._status_verify import check_signatures, format_signatures

            signatures = check_signatures(store, graph.order, graph.names)
            print(format_signatures(signatures, short=options.short))
            if signatures.others:
                return 1  # e.g. an unsigned pack: nothing can be counted before it is signed
            refused = signatures.refused()
        counts = count_states(graph.order, graph.names, graph.deps, store)
        print(format_status(counts, short=options.short))
        if getattr(options, "code_hash", False) and jugspace is None:
            print(
                "jug: note: --code-hash needs the current code, which --cache does not load",
                file=sys.stderr,
            )
        elif getattr(options, "code_hash", False) and store.keeps_records:
            from ._status_code import format_code_changes

            by_name = {name: c.finished for name, c in counts.items()}
            text = format_code_changes(alltasks, store, by_name, short=options.short)
            if text:
                print(text)
        if not graph.complete:
            print(_BARRIER_NOTE)
        # As Jug 2.7: 0 when every task is finished, 1 otherwise (scripts test for it).
        finished = sum(c.finished for c in counts.values())
        all_done = graph.complete and finished == len(graph.order)
        if getattr(options, "verify", False):
            from ._status_verify import format_unreadable, unreadable_results

            bad = unreadable_results(store, graph.order, graph.names, refused)
            print(format_unreadable(bad, finished - len(refused), short=options.short))
            return 1 if bad or refused or not all_done else 0
        return 0 if all_done else 1

    def _graph(self, options: Any, store: Store, jugspace: Any) -> CachedGraph:
        cached = self._cached
        if jugspace is None and cached is not None:
            if cached.complete or len(store.can_load_many(cached.order)) < len(cached.order):
                log.info("using the task graph cached in %s", options.cache_file)
                return cached
            # Everything before the barrier is finished now: read the jugfile past it.
            from jug.jugfile import load_tasks

            tasks, complete = load_tasks(options.jugfile, options.argv)
        else:
            tasks = list(alltasks)
            complete = not stopped_at_barrier(jugspace)
        graph = CachedGraph(*hash_graph(tasks), complete)
        if options.cache:
            from ._status_cache import cache_key, write_cache

            try:
                key = cache_key(options.jugfile, options.jugdir, options.argv)
                write_cache(options.cache_file, key, graph)
                log.info("saved the task graph in %s", options.cache_file)
            except OSError as exc:
                print(f"jug: warning: could not write the status cache: {exc}", file=sys.stderr)
        return graph


# The original's module-level instances (jug.subcommands.X.X(...) from Python).
status = StatusCommand()
