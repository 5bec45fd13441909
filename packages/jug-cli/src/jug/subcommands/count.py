"""``jug count``: how many tasks the jugfile defines, per task name."""

from __future__ import annotations

from collections import Counter

from jug.execution.graph import TaskGraph
from jug.table import format_table
from jug.task import alltasks

from . import SubCommand, stopped_at_barrier

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["CountCommand", "count"]


class CountCommand(SubCommand):
    """Count the tasks of the jugfile, per task name"""

    name = "count"
    call_order = ("store", "options", "jugspace")  # the original's run(store, options, ...)

    def run(self, options: Any, store: Any, jugspace: Any, *args: Any, **kwargs: Any) -> int:
        graph = TaskGraph(alltasks)
        counts = Counter(graph.task[h].name for h in graph.order)
        if options.short:
            print(f"{len(graph)} tasks ({len(counts)} task names).")
        else:
            print(format_table(["Count"], [(name, [n]) for name, n in sorted(counts.items())]))
        if stopped_at_barrier(jugspace):
            print(
                "Note: the jugfile stops at a barrier() whose tasks are not all finished; "
                "tasks defined after it are not counted."
            )
        return 0


# The original's module-level instances (jug.subcommands.X.X(...) from Python).
count = CountCommand()
