"""The engine: running tasks against a store, and knowing where each task stands.

Everything ``jug execute``, ``status``, ``check``, ``graph``, ``invalidate`` and the shell
do with tasks is here, as a Python API that needs nothing but jug-core (and a store)::

    from jug.execution import execute

    result = execute("primes.py", "primes.jugdata")
    print(result.summary())

Any number of processes calling :func:`execute` on one store share the work, exactly as
``jug execute`` workers do. The parts:

:func:`execute`, :class:`Executor`
    the loop: lock, run, save, release, in dependency order (:mod:`.executor`);
:class:`ExecutionOptions`, :class:`ExecutionResult`, :class:`StopReason`
    how it runs, what it did and why it ended (:mod:`.options`, :mod:`.result`);
:class:`TaskGraph`, :func:`hash_graph`
    the tasks by hash, with their dependencies and dependents (:mod:`.graph`);
:class:`TaskState`, :class:`TaskCounts`, :func:`task_state(s) <task_states>`, :func:`count_states`
    where each task stands, and counts per name (:mod:`.states`);
:func:`invalidate`
    removing results and everything computed from them (:mod:`.invalidation`);
:func:`provenance`, :class:`Provenance`
    where, when and how each result was computed (:mod:`.records`);
:class:`StatusMonitor`, :class:`StatusReport`
    watching a run: the status document of ``jug status --json``, refreshed cheaply
    (:mod:`.monitor`), with rates and ETAs (:mod:`.rates`);
:class:`TimeBudget`, :func:`find_end_time`
    the end of the batch job, and whether a task can finish before it (:mod:`.timelimit`);
:mod:`.retries`
    running a failing task again (``retries``), and reading its failure record;
:mod:`.hooks`
    the hook points the loop fires; :mod:`.matching`: task-name patterns;
    :mod:`.interrupts`: SIGTERM that releases the running task's lock, and the
    scheduler's warning signals (:class:`~.interrupts.stop_signals`).

Names are imported on first use, so that ``jug status`` does not pay for the loop.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .executor import Executor, execute
    from .graph import TaskGraph, hash_graph
    from .invalidation import Invalidation, invalidate
    from .monitor import StatusMonitor, StatusReport
    from .options import ExecutionOptions
    from .records import Provenance, provenance, provenances
    from .result import ExecutionResult, StopReason, TaskFailure
    from .states import (
        TaskCounts,
        TaskState,
        count_states,
        status_counts,
        task_state,
        task_states,
        total_counts,
    )
    from .timelimit import TimeBudget, find_end_time

__all__ = [
    "ExecutionOptions",
    "ExecutionResult",
    "Executor",
    "Invalidation",
    "Provenance",
    "StatusMonitor",
    "StatusReport",
    "StopReason",
    "TaskCounts",
    "TaskFailure",
    "TaskGraph",
    "TaskState",
    "TimeBudget",
    "count_states",
    "execute",
    "find_end_time",
    "hash_graph",
    "invalidate",
    "provenance",
    "provenances",
    "status_counts",
    "task_state",
    "task_states",
    "total_counts",
]

# Where each public name lives.
_HOMES = {
    "Executor": "executor",
    "execute": "executor",
    "ExecutionOptions": "options",
    "ExecutionResult": "result",
    "StopReason": "result",
    "TaskFailure": "result",
    "TaskGraph": "graph",
    "hash_graph": "graph",
    "Invalidation": "invalidation",
    "invalidate": "invalidation",
    "Provenance": "records",
    "provenance": "records",
    "provenances": "records",
    "StatusMonitor": "monitor",
    "StatusReport": "monitor",
    "TaskCounts": "states",
    "TaskState": "states",
    "count_states": "states",
    "status_counts": "states",
    "task_state": "states",
    "task_states": "states",
    "total_counts": "states",
    "TimeBudget": "timelimit",
    "find_end_time": "timelimit",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
