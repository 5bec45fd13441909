"""Timing tasks: :func:`register_time_tasks` prints how long each kind of task took.

Call it in a jugfile::

    from jug.hooks.execution import register_time_tasks
    register_time_tasks()

and ``jug execute`` ends with the mean time of the tasks it ran, per task name.
"""

from __future__ import annotations

import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["TimeTasks", "register_time_tasks"]


class TimeTasks:
    """Collects the run time of each task this process runs, per task name.

    Attributes
    ----------
    times : dict
        Task name → list of run times in seconds.
    """

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {}
        self._started: dict[int, float] = {}

    def start(self, t: Any) -> None:
        """Record that task *t* starts now."""
        self._started[id(t)] = time.perf_counter()

    def stop(self, t: Any) -> None:
        """Record that task *t* ended now."""
        began = self._started.pop(id(t), None)
        if began is not None:
            self.times.setdefault(t.name, []).append(time.perf_counter() - began)

    def summary(self) -> str:
        """One line per task name: the mean time and the number of tasks."""
        lines = ["TIMES", "-----", ""]
        for name, times in self.times.items():
            lines.append(f"{name:20} {sum(times) / len(times):.2f}s ({len(times)} tasks)")
        return "\n".join(lines)

    def print_summary(self) -> None:
        """Print :meth:`summary`."""
        print(self.summary())


def register_time_tasks() -> TimeTasks:
    """Time every task ``jug execute`` runs and print the means per name at its end.

    Registered once per process, however often the jugfile is loaded (barriers reload it).

    Returns
    -------
    timer : TimeTasks
        What collects the times (the one registered by the first call).
    """
    from . import register_hook_once

    timer = TimeTasks()
    if register_hook_once("execute.task-pre-execute", "register_time_tasks", timer.start):
        register_hook_once("execute.task-executed1", "register_time_tasks", timer.stop)
        register_hook_once(
            "execute.finished_post_status", "register_time_tasks", timer.print_summary
        )
        _registered.append(timer)
    return _registered[0]


_registered: list[TimeTasks] = []
