"""``jug invalidate``: remove the results of some tasks and of everything computed from them."""

from __future__ import annotations

import sys

from jug.errors import UsageError
from jug.execution.graph import TaskGraph
from jug.execution.invalidation import invalidate as invalidate_tasks
from jug.table import format_table
from jug.task import alltasks

from . import SubCommand, stopped_at_barrier

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["InvalidateCommand", "invalidate"]

_BARRIER_NOTE = (
    "Note: the jugfile stops at a barrier() whose tasks are not all finished, so the tasks "
    "after it could not be seen: their results were not invalidated. Run `jug invalidate` "
    "again once the tasks before the barrier are finished."
)


class InvalidateCommand(SubCommand):
    """Remove the results of the named tasks and of every task computed from them"""

    name = "invalidate"
    call_order = ("store", "options", "jugspace")  # the original's run(store, options, ...)

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
        given = options.invalid  # a str from the original's invalid_name
        patterns = [given] if isinstance(given, str) else list(given or [])
        if not patterns:
            raise UsageError("name the tasks to invalidate with --target NAME")
        graph = TaskGraph(alltasks)
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
        done = invalidate_tasks(graph, matched, store)
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


# The original's module-level instances (jug.subcommands.X.X(...) from Python).
invalidate = InvalidateCommand()
