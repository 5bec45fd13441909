"""Barriers: stop reading the jugfile until the tasks defined so far have results.

``jug execute`` catches :class:`BarrierError`, runs what is runnable, and re-loads the
jugfile once the tasks before the barrier are done.
"""

from __future__ import annotations

from .errors import BarrierError
from .task import Task, alltasks, base_tasks, value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["BarrierError", "barrier", "bvalue"]


def _all_loadable(tasks: list[Task]) -> bool:
    pending = [t for t in tasks if not t.can_load_cached()] if tasks else []
    if not pending:
        return True
    store = Task.store
    present = store.can_load_many([t.key() for t in pending])
    ok = True
    for t in pending:
        loadable = t.key() in present
        t._set_loadable(loadable)
        ok = ok and loadable
    return ok


def barrier() -> None:
    """Stop here, while loading a jugfile, unless every task defined so far has a result.

    After ``barrier()`` the jugfile may call :func:`jug.value` on any earlier task.

    See Also
    --------
    bvalue : waits for one task only, which is often much cheaper
    """
    if not _all_loadable(alltasks):
        raise BarrierError("tasks defined before barrier() have not all run")


def bvalue(t: Any) -> Any:
    """``barrier()`` for just the tasks in *t*, then ``value(t)``.

    Stops loading the jugfile if a task in *t* has no result yet. If the results exist
    but cannot be loaded, that error is raised as it is (it is not an unmet barrier).
    """
    from .task import _find_tasks

    needed: list[Task] = []
    for dep in _find_tasks([t]):
        needed.extend(base_tasks(dep))
    if not _all_loadable(needed):
        raise BarrierError("bvalue() of a task that has not run yet")
    return value(t)
