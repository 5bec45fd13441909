"""The functions ``jug shell`` puts into the jugfile's namespace."""

from __future__ import annotations

from collections.abc import Iterable

from jug.execution.graph import TaskGraph
from jug.execution.invalidation import invalidate as invalidate_hashes
from jug.execution.records import Provenance
from jug.execution.records import provenance as task_provenance
from jug.execution.states import TaskState, task_states
from jug.store import Store
from jug.task import Task, Tasklet, alltasks, base_tasks, value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "get_filtered_tasks",
    "get_tasks",
    "invalidate",
    "load_all",
    "provenance",
    "shell_namespace",
]


def get_tasks() -> list[Task]:
    """Every task the jugfile defined (a copy of ``jug.task.alltasks``)."""
    return list(alltasks)


def get_filtered_tasks(
    target: str | Iterable[str] | None = None, state: TaskState | str | None = None
) -> list[Task]:
    """The tasks whose name matches *target* and whose state is *state*.

    Parameters
    ----------
    target : str or list of str, optional
        Name patterns as for ``jug execute --target``: ``/regex/``, ``module.function``,
        a bare function name, or a wildcard pattern. Default: every task.
    state : str, optional
        One of ``waiting``, ``ready``, ``finished``, ``running``, ``failed`` or ``stale``
        (asked of the store now). Default: any state.
    """
    graph = TaskGraph(alltasks)
    order = graph.order
    if target is not None:
        order = graph.matching([target] if isinstance(target, str) else list(target))
    if state is not None:
        try:
            wanted = TaskState(state)
        except ValueError:
            names = ", ".join(s.value for s in TaskState)
            raise ValueError(f"state must be one of {names}, not {state!r}") from None
        states = task_states(order, graph.deps, Task.store)
        order = [h for h in order if states[h] is wanted]
    return [graph.task[h] for h in order]


def invalidate(task: Task | Tasklet | str | Iterable[Task | Tasklet]) -> int:
    """Remove the results of *task* and of every task that depends on it, recursively.

    Unlike the method ``task.invalidate()``, which removes one result only. *task* may be a
    Task, a Tasklet (its task is invalidated), a list of them, or a name pattern as for
    ``jug invalidate --target``. Returns the number of results removed.
    """
    graph = TaskGraph(alltasks)
    if isinstance(task, str):
        hashes = graph.matching([task])
    else:
        items = [task] if isinstance(task, (Task, Tasklet)) else list(task)
        roots = [b for item in items for b in base_tasks(item)]
        graph = TaskGraph([*alltasks, *roots])
        hashes = [t.key() for t in roots]
    done = invalidate_hashes(graph, hashes, Task.store)
    return sum(done.removed.values())


def load_all() -> int:
    """Load the result of every task that has one (others are left alone).

    Returns the number of results loaded. Tasks finished by other workers later can be
    loaded by calling it again.
    """
    graph = TaskGraph(alltasks)
    present = Task.store.can_load_many(graph.order)
    loaded = 0
    for h in graph.order:
        if h in present:
            for t in graph.objects(h):
                if not t.is_loaded():
                    t.load()
                    loaded += 1
    return loaded


def provenance(task: Task | Tasklet | str) -> Provenance | None:
    """Where, when and how *task*'s result was computed (``None`` without a record)."""
    return task_provenance(task, Task.store)


def shell_namespace(jugspace: dict[str, Any], store: Store) -> dict[str, Any]:
    """The jugfile's namespace plus the shell's functions (which win over the jugfile's)."""
    namespace = dict(jugspace)
    namespace.update(
        value=value,
        invalidate=invalidate,
        get_tasks=get_tasks,
        get_filtered_tasks=get_filtered_tasks,
        load_all=load_all,
        provenance=provenance,
        store=store,
    )
    return namespace
