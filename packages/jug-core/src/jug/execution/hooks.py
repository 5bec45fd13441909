"""The hook points of the execution loop: functions called at fixed moments of a run.

The loop fires them; anything may listen (a jugfile, a test, :mod:`jug.hooks` and its exit
checks in jug-contrib, a tool driving :class:`jug.execution.Executor`)::

    from jug.execution import hooks

    def log(task):
        print("done:", task.name)

    hooks.register(hooks.HookPoint.TASK_EXECUTED, log)

Listeners are kept per process, called in the order they were registered, with the
arguments listed at each :class:`HookPoint`. Firing a point nobody listens to costs one
dictionary look-up.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["HookPoint", "clear", "fire", "listening", "register", "unregister"]


class HookPoint(StrEnum):
    """The moments at which the loop calls listeners (values: the names of Jug 2.x)."""

    #: ``(task)``: a task's result is found in the store (computed earlier or elsewhere).
    TASK_LOADABLE = "execute.task-loadable"
    #: ``(task)``: this worker holds the task's lock and is about to run it.
    TASK_PRE_EXECUTE = "execute.task-pre-execute"
    #: ``(task)``: the task ran and its result is saved.
    TASK_EXECUTED = "execute.task-executed1"
    #: ``(task, error)``: the task raised; *error* is the formatted traceback (with
    #: retries, of every attempt: the failure record of :mod:`jug.execution.retries`).
    #: Fired once per task, after its last attempt.
    TASK_FAILED = "execute.task-failed"
    #: ``()``: asked before each task and while waiting: a listener returning a non-empty
    #: message stops the run before its next task (the exit checks work this way).
    CHECK_EXIT = "execute.check-exit"
    #: ``()``: the command line is about to print the summary of a run.
    FINISHED_PRE_STATUS = "execute.finished_pre_status"
    #: ``()``: the command line printed the summary of a run.
    FINISHED_POST_STATUS = "execute.finished_post_status"


# Keyed by the points' string values (a HookPoint is equal to, and hashes as, its value).
_listeners: dict[str, list[Callable[..., Any]]] = {}


def _point(point: HookPoint | str) -> HookPoint:
    try:
        return HookPoint(point)
    except ValueError:
        known = ", ".join(p.value for p in HookPoint)
        raise ValueError(f"{point!r} is not a hook point (known: {known})") from None


def register(point: HookPoint | str, f: Callable[..., Any]) -> Callable[..., Any]:
    """Call *f* at *point* from now on; return *f*.

    Raises
    ------
    ValueError
        If *point* names no hook point.
    """
    _listeners.setdefault(_point(point).value, []).append(f)
    return f


def unregister(point: HookPoint | str, f: Callable[..., Any]) -> bool:
    """Remove one registration of *f* at *point*; return whether there was one."""
    registered = _listeners.get(_point(point).value, [])
    for i, g in enumerate(registered):
        if g is f:
            del registered[i]
            return True
    return False


def clear() -> None:
    """Forget every listener."""
    _listeners.clear()


def listening(point: HookPoint | str) -> bool:
    """Whether anything listens at *point* (lets the loop skip work for nobody)."""
    return bool(_listeners.get(point))


def fire(point: HookPoint | str, *args: Any, **kwargs: Any) -> list[Any]:
    """Call the listeners of *point* with *args* and *kwargs*; return what they returned,
    in order."""
    registered = _listeners.get(point)
    if not registered:
        return []
    return [f(*args, **kwargs) for f in list(registered)]
