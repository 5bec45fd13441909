"""``jug cleanup``: remove results no task uses, and locks nobody holds any more.

Locks are leases (see :mod:`jug.store`): a worker that died leaves a *stale* lock, which the
next ``jug execute`` reclaims by itself, so cleanup is never needed for that. What it is
for: results of tasks the jugfile no longer defines, failure records (so failed tasks run
again), and tidying stale locks. A *live* lock, refreshed by a running worker, is never
removed unless ``--force`` is given.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from jug import log
from jug.errors import UsageError
from jug.execution.graph import TaskGraph
from jug.execution.states import TaskState
from jug.store import Store
from jug.task import alltasks

from . import SubCommand, stopped_at_barrier

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["CleanupCommand", "CleanupReport", "cleanup", "remove_locks"]


@dataclass
class CleanupReport:
    """What ``jug cleanup`` removed and kept, by kind.

    Attributes
    ----------
    results : int
        Results removed (no task of the jugfile uses them).
    stale : int
        Stale locks removed (their worker stopped refreshing them).
    failed : int
        Failure records removed.
    live : int
        Live locks removed (only with ``--force``).
    kept_live : list of str
        Descriptions of the live locks kept.
    """

    results: int = 0
    stale: int = 0
    failed: int = 0
    live: int = 0
    kept_live: list[str] = field(default_factory=list)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def remove_locks(
    store: Store,
    names: dict[str, str],
    report: CleanupReport,
    *,
    failed_only: bool = False,
    force: bool = False,
) -> None:
    """Remove failure records and (unless *failed_only*) stale locks; live ones if *force*.

    A stale lock is removed by taking it over (the store's atomic reclaim) and releasing
    it, so a worker that renews or takes the lock at the same moment keeps it.
    """
    now = time.time()
    for key, info in store.lock_infos().items():
        lock = store.getlock(key)
        state = info.state(now)
        if state is TaskState.FAILED:
            if lock.is_failed():
                lock.force_release()
                log.info("removed the failure record of %s", names.get(key, key))
                report.failed += 1
        elif failed_only:
            continue
        elif state is TaskState.STALE:
            if lock.get():
                lock.release()
                log.info(
                    "removed the stale lock of %s (%s, pid %s)",
                    names.get(key, key),
                    info.host,
                    info.pid,
                )
                report.stale += 1
        elif force:
            lock.force_release()
            log.info(
                "removed the live lock of %s (%s, pid %s)", names.get(key, key), info.host, info.pid
            )
            report.live += 1
        else:
            name = names.get(key, "a task not in this jugfile")
            report.kept_live.append(f"{name} ({key[:12]}) on {info.host}, pid {info.pid}")


def remove_unused(store: Store, active: Iterable[Any]) -> int:
    """Remove the results of the tasks not in *active* (tasks or keys); return how many.

    The command passes tasks, as the original jug did: stores written for it call their
    ``hash()``; jug's own stores take either.
    """
    return store.cleanup(active, keeplocks=True)


class CleanupCommand(SubCommand):
    """Remove results no task of the jugfile uses, failure records and stale locks"""

    name = "cleanup"
    call_order = ("store", "options", "jugspace")  # the original's run(store, options, ...)

    def parse(self, parser: Any) -> None:
        parser.add_argument(
            "--locks-only",
            action="store_const",
            const=True,
            dest="locks_only",
            help="only remove locks: stale ones and failure records (never a live lock)",
        )
        parser.add_argument(
            "--failed-only",
            action="store_const",
            const=True,
            dest="failed_only",
            help="only remove failure records (so that the failed tasks run again)",
        )
        parser.add_argument(
            "--keep-locks",
            action="store_const",
            const=True,
            dest="keep_locks",
            help="only remove unused results; leave every lock and failure record alone",
        )
        parser.add_argument(
            "--force",
            action="store_const",
            const=True,
            dest="force",
            help="also remove live locks, held by running workers (only if you are sure "
            "none is running: such a task may then run twice)",
        )

    def parse_defaults(self) -> dict[str, Any]:
        return {"locks_only": False, "failed_only": False, "keep_locks": False, "force": False}

    def run(self, options: Any, store: Any, jugspace: Any, *args: Any, **kwargs: Any) -> int:
        if options.keep_locks and (options.locks_only or options.failed_only):
            raise UsageError("--keep-locks cannot be combined with --locks-only or --failed-only")
        graph = TaskGraph(alltasks)
        names = {h: t.name for h, t in graph.task.items()}
        report = CleanupReport()
        code = 0
        if not (options.locks_only or options.failed_only):
            if stopped_at_barrier(jugspace):
                print(
                    "jug cleanup: the jugfile stops at a barrier() whose tasks are not all "
                    "finished, so the tasks after it cannot be seen: their results would look "
                    "unused. No result was removed (run cleanup once the tasks before the "
                    "barrier are finished; --locks-only works now).",
                    file=sys.stderr,
                )
                code = 1
            else:
                report.results = remove_unused(store, [graph.task[h] for h in graph.order])
        if not options.keep_locks:
            remove_locks(store, names, report, failed_only=options.failed_only, force=options.force)
        self._print(report, options)
        return code

    def _print(self, report: CleanupReport, options: Any) -> None:
        parts = []
        if not (options.locks_only or options.failed_only):
            parts.append(_plural(report.results, "unused result"))
        if not options.keep_locks:
            if not options.failed_only:
                parts.append(_plural(report.stale, "stale lock"))
            parts.append(_plural(report.failed, "failure record"))
            if options.force:
                parts.append(_plural(report.live, "live lock"))
        print("Removed " + ", ".join(parts) + ".")
        if report.kept_live:
            print(
                f"Kept {_plural(len(report.kept_live), 'live lock')} of running workers "
                "(--force removes them)" + ("." if options.short else ":")
            )
            if not options.short:
                for line in report.kept_live:
                    print(f"  {line}")


# The original's module-level instances (jug.subcommands.X.X(...) from Python).
cleanup = CleanupCommand()
