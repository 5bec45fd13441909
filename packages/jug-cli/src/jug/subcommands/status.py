"""``jug status``: how many tasks are waiting, ready, finished, running, failed or stale."""

from __future__ import annotations

from typing import Any

from . import SubCommand
from ._loading import current_tasks, stopped_at_barrier
from ._status_counts import STATES, TaskCounts, status_counts, total_counts
from ._table import format_table

__all__ = ["StatusCommand", "TaskCounts", "format_status", "status_counts"]


def format_status(counts: dict[str, TaskCounts], short: bool = False) -> str:
    """The status table of *counts* (or, if *short*, one line)."""
    total = total_counts(counts)
    if not short:
        return format_table(STATES, [(name, c.as_tuple()) for name, c in counts.items()])
    if total.total and total.finished == total.total:
        return f"All tasks complete ({total.total} tasks)."
    text = f"{total.waiting + total.ready} tasks to be run, {total.finished} finished, "
    text += f"({total.running} running)" if total.running else "(none running)"
    if total.failed:
        text += f", {total.failed} failed"
    if total.stale:
        text += f", {total.stale} stale"
    return text + "."


class StatusCommand(SubCommand):
    """Print the status of the tasks (waiting, ready, finished, running, failed, stale)"""

    name = "status"

    def run(self, options: Any, store: Any, jugspace: Any, *args: Any, **kwargs: Any) -> int:
        counts = status_counts(current_tasks(), store)
        print(format_status(counts, short=options.short))
        if stopped_at_barrier(jugspace):
            print(
                "Note: the jugfile stops at a barrier() whose tasks are not all finished; "
                "tasks defined after it are not counted yet."
            )
        # Always 0: the state is in the output (the original returned a count mod 256).
        return 0
