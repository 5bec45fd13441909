"""``jug check`` and ``jug sleep-until``: is everything done, and waiting until it is."""

from __future__ import annotations

import sys
import time

from jug.execution.graph import TaskGraph
from jug.store import Store
from jug.task import Task, alltasks

from . import SubCommand, stopped_at_barrier

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["CheckCommand", "SleepUntilCommand", "all_done", "check", "sleep_until"]


def all_done(tasks: list[Task], store: Store) -> bool:
    """Whether every task in *tasks* (and every dependency) has a stored result."""
    graph = TaskGraph(tasks)
    return len(store.can_load_many(graph.order)) == len(graph.order)


class CheckCommand(SubCommand):
    """Exit with 0 if all tasks are finished, 1 otherwise (runs nothing)"""

    name = "check"
    call_order = ("store", "options", "jugspace")  # the original's run(store, options, ...)

    def run(self, options: Any, store: Any, jugspace: Any, *args: Any, **kwargs: Any) -> int:
        if stopped_at_barrier(jugspace):
            return 1
        return 0 if all_done(list(alltasks), store) else 1


class SleepUntilCommand(SubCommand):
    """Wait until all tasks are finished, then exit (non-zero if a task is marked failed)"""

    name = "sleep-until"

    def parse(self, parser: Any) -> None:
        parser.add_argument(
            "--poll-interval",
            type=float,
            metavar="SECONDS",
            help="how often to check (default: 12)",
        )

    def parse_defaults(self) -> dict[str, Any]:
        return {"poll_interval": 12.0}

    def run(self, options: Any, store: Any, jugspace: Any, *args: Any, **kwargs: Any) -> int:
        tasks = list(alltasks)
        complete = not stopped_at_barrier(jugspace)
        while True:
            graph = TaskGraph(tasks)
            done = store.can_load_many(graph.order)
            if len(done) == len(graph.order):
                if complete:
                    return 0
                # Everything before the barrier is done: read on past it.
                from jug.jugfile import load_tasks

                tasks, complete = load_tasks(options.jugfile, options.argv)
                if not complete and {t.key() for t in tasks} <= set(graph.order):
                    print(
                        "jug: the jugfile stops at a barrier() although every task before "
                        "it is finished",
                        file=sys.stderr,
                    )
                    return 1
                continue
            infos = store.lock_infos()
            failed = [h for h in graph.order if h not in done and h in infos and infos[h].failed]
            if failed:
                names = sorted({graph.task[h].name for h in failed})
                print(
                    f"jug: {len(failed)} task(s) are marked as failed ({', '.join(names)}); "
                    "they will not finish without intervention",
                    file=sys.stderr,
                )
                return 1
            time.sleep(options.poll_interval)


# The original's module-level instances (jug.subcommands.X.X(...) from Python).
check = CheckCommand()
sleep_until = SleepUntilCommand()
