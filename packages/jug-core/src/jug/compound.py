"""Compound tasks: a task that builds other tasks, collapsed to one once it has run.

``CompoundTask(f, *args)`` calls ``f(*args)``, which returns a Task built from many inner
tasks. Once the final result is stored under the compound task's own hash, loading the
jugfile again yields that one task and never calls *f*: status shows a single task, and
large task graphs stop costing time to rebuild.
"""

from __future__ import annotations

from collections.abc import Callable

from .task import Task, TaskGenerator, alltasks

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["CompoundTask", "CompoundTaskGenerator", "compound_task_execute"]


def compound_task_execute(x: Any, h: bytes) -> Any:
    """The final step of a compound task: pass on *x*, the inner task's result.

    *h* is the compound task's hash (the original jug's signature; the result is saved
    under it). Internal to :func:`CompoundTask`; not meant to be called directly.
    """
    return x


def CompoundTask(f: Callable[..., Any], *args: Any, **kwargs: Any) -> Task:
    """Build the tasks of ``f(*args, **kwargs)`` unless their final result is stored.

    Parameters
    ----------
    f : function returning a jug.Task
        Builds a (possibly large) graph of tasks and returns the last one.

    Returns
    -------
    task : jug.Task
        If the compound result is stored, a task that loads it; otherwise a task that
        depends on what *f* returned and saves its result under the compound hash.
    """
    task = Task(f, *args, **kwargs)
    if task.can_load():
        return task
    # Not computed yet: the placeholder must not be scheduled; f builds the real tasks.
    if alltasks and alltasks[-1] is task:
        alltasks.pop()
    else:
        alltasks.remove(task)
    inner = f(*args, **kwargs)
    final = Task(compound_task_execute, inner, task.hash())
    final.name = task.name
    final._hash = task.hash()
    final._key = task.key()
    return final


class CompoundTaskGenerator:
    """Decorator: calling the function builds a :func:`CompoundTask`.

    ::

        @CompoundTaskGenerator
        def analysis(inputs):
            ...
            return final_task
    """

    __slots__ = ("f", "__dict__")

    def __init__(self, f: Callable[..., Any]) -> None:
        self.f = f
        self.__doc__ = getattr(f, "__doc__", None)
        self.__name__ = getattr(f, "__name__", "CompoundTaskGenerator")
        self.__module__ = getattr(f, "__module__", __name__)
        self.__wrapped__ = f

    def __call__(self, *args: Any, **kwargs: Any) -> Task:
        return CompoundTask(self.f, *args, **kwargs)

    def __getstate__(self) -> tuple[str, str]:
        return (self.f.__module__, self.f.__name__)

    def __setstate__(self, state: tuple[str, str]) -> None:
        proxy = TaskGenerator.__new__(TaskGenerator)
        proxy.__setstate__(state)
        self.__init__(proxy.f)  # type: ignore[misc]
