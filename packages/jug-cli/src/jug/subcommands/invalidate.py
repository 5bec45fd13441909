"""``jug invalidate``: remove the results of some tasks and of everything computed from them."""

from __future__ import annotations

import logging
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from jug.options import UsageError
from jug.store import Store

from . import SubCommand
from ._graph import TaskGraph
from ._loading import current_tasks, stopped_at_barrier
from ._table import format_table

TYPE_CHECKING = False  # as typing.TYPE_CHECKING: importing typing costs ~4 ms per process
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Invalidation", "InvalidateCommand", "invalidate"]

log = logging.getLogger("jug")

_BARRIER_NOTE = (
    "Note: the jugfile stops at a barrier() whose tasks are not all finished, so the tasks "
    "after it could not be seen: their results were not invalidated. Run `jug invalidate` "
    "again once the tasks before the barrier are finished."
)


@dataclass
class Invalidation:
    """What :func:`invalidate` did.

    Attributes
    ----------
    matched : int
        Tasks whose name matched a pattern.
    affected : int
        Those tasks plus every task depending on them (directly or not).
    removed : Counter
        Task name → number of results removed.
    failure_marks : int
        Failure records removed (so that the tasks run again).
    running : list of str
        Names of affected tasks that a worker is running now (their results will come
        back when they finish).
    """

    matched: int = 0
    affected: int = 0
    removed: Counter[str] = field(default_factory=Counter)
    failure_marks: int = 0
    running: list[str] = field(default_factory=list)


def invalidate(graph: TaskGraph, hashes: Sequence[str], store: Store) -> Invalidation:
    """Remove the results of *hashes* and of all their dependents in *graph*.

    Also removes the failure records of those tasks, and unloads their results from memory.
    Live locks are left alone: a task being computed now writes its result when it ends.
    """
    out = Invalidation(matched=len(hashes))
    affected = graph.with_dependents(hashes)
    out.affected = len(affected)
    present = store.can_load_many(affected)
    for h in affected:
        if h in present and store.remove(h):
            log.info("invalidated %s (%s)", graph.task[h].name, h)
            out.removed[graph.task[h].name] += 1
        for t in graph.objects(h):
            t.unload()
            t._set_loadable(False)
    infos = store.lock_infos()
    for h in affected:
        info = infos.get(h)
        if info is None:
            continue
        if info.failed:
            store.getlock(h).force_release()
            out.failure_marks += 1
        elif not info.is_stale():
            out.running.append(graph.task[h].name)
    return out


class InvalidateCommand(SubCommand):
    """Remove the results of the named tasks and of every task computed from them"""

    name = "invalidate"

    def parse(self, parser: Any) -> None:
        parser.add_argument(
            "--target",
            "--invalid",
            dest="invalid",
            action="append",
            metavar="NAME",
            help="the tasks to invalidate: /regex/ (searched in the task name), a full name "
            "(module.function) or a function name in any module; wildcards allowed; may be "
            "repeated. Every task depending on them is invalidated too",
        )

    def parse_defaults(self) -> dict[str, Any]:
        return {"invalid": []}

    def run(self, options: Any, store: Any, jugspace: Any, *args: Any, **kwargs: Any) -> int:
        patterns = list(options.invalid)
        if not patterns:
            raise UsageError("name the tasks to invalidate with --target NAME")
        graph = TaskGraph(current_tasks())
        matched = graph.matching(patterns)
        barrier = stopped_at_barrier(jugspace)
        if not matched:
            print(
                f"jug invalidate: no task matches --target {' '.join(patterns)}; nothing "
                "was invalidated",
                file=sys.stderr,
            )
            if barrier:
                print(_BARRIER_NOTE, file=sys.stderr)
            return 1
        done = invalidate(graph, matched, store)
        total = sum(done.removed.values())
        if total == 0:
            print(
                f"Nothing to invalidate: {done.matched} task(s) match and {done.affected} "
                "are affected, but none of them has a result."
            )
        elif options.short:
            print(f"Invalidated {total} results of {len(done.removed)} task names.")
        else:
            rows = [(name, [n]) for name, n in sorted(done.removed.items())]
            print(format_table(["Invalidated"], rows))
        if done.failure_marks:
            print(f"Removed {done.failure_marks} failure record(s) of these tasks.")
        if done.running:
            names = ", ".join(sorted(set(done.running)))
            print(
                f"Warning: {len(done.running)} of these tasks are running now ({names}); "
                "their results will be stored when they finish: invalidate again then.",
                file=sys.stderr,
            )
        if barrier:
            print(_BARRIER_NOTE, file=sys.stderr)
        return 0
