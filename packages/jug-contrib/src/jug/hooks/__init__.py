"""Hooks into ``jug execute``: functions called at fixed points of the execution loop.

Register a function for one of the hook names below (in the jugfile, or in code that
drives :class:`jug.execution.Executor`)::

    from jug.hooks import register_hook

    @register_hook("execute.task-executed1")
    def log(task):
        print("done:", task.name)

Hook points (and the arguments their functions receive):

``execute.task-loadable`` (task)
    A task's result is found in the store (computed earlier, or by another worker).
``execute.task-pre-execute`` (task)
    This worker holds the task's lock and is about to run it.
``execute.task-executed1`` (task)
    The task ran and its result is saved.
``execute.task-failed`` (task, error)
    The task raised; *error* is the formatted traceback.
``execute.check-exit`` ()
    Asked before each task (and while waiting for other workers): return a message (a
    non-empty string) to stop taking new tasks; return None to go on. This is how
    :mod:`jug.hooks.exit_checks` works.
``execute.finished_pre_status`` () and ``execute.finished_post_status`` ()
    Before and after ``jug execute`` prints its final summary.

The names are those of Jug 2.x (plus ``execute.task-failed`` and ``execute.check-exit``).
The points belong to the engine (:class:`jug.execution.hooks.HookPoint`); this module
registers on them with the original's functions.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from jug.execution import hooks
from jug.execution.hooks import HookPoint

from ._version import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar, overload

    F = TypeVar("F", bound=Callable[..., Any])
else:

    def overload(f: object) -> object:
        return f  # as typing.overload at run time: the last definition stays


__all__ = [
    "KNOWN_HOOKS",
    "__version__",
    "has_hooks",
    "jug_hook",
    "register_hook",
    "register_hook_once",
    "reset_all_hooks",
    "unregister_hook",
]

#: Every hook point the execution loop fires.
KNOWN_HOOKS = frozenset(p.value for p in HookPoint)

_registered: set[Hashable] = set()


def _check_name(name: str) -> None:
    if name not in KNOWN_HOOKS:
        raise ValueError(
            f"jug.hooks: {name!r} is not a hook name (known: {', '.join(sorted(KNOWN_HOOKS))})"
        )


@overload
def register_hook(name: str, f: None = None) -> Callable[[F], F]: ...
@overload
def register_hook(name: str, f: F) -> F: ...  # noqa: F811 (ruff knows only typing.overload)
def register_hook(name: str, f: F | None = None) -> F | Callable[[F], F]:  # noqa: F811
    """Call *f* at the hook point *name* (see the module's list).

    Usable as a decorator (``@register_hook(name)``). Functions run in the order they
    were registered.

    Parameters
    ----------
    name : str
        A hook point.
    f : callable, optional
        The function; when omitted, a decorator is returned.

    Returns
    -------
    f : callable
        *f* itself (or the decorator).

    Raises
    ------
    ValueError
        If *name* is not a hook point.
    """
    _check_name(name)
    if f is None:

        def decorator(g: F) -> F:
            hooks.register(name, g)
            return g

        return decorator
    hooks.register(name, f)
    return f


def register_hook_once(name: str, code: Hashable, f: Callable[..., Any]) -> bool:
    """Register *f* at *name* unless something was registered there under *code* already.

    Jugfiles are loaded more than once (past every :func:`jug.barrier`); this keeps a
    hook from being registered again each time.

    Parameters
    ----------
    name : str
        A hook point.
    code : hashable
        Identifies the registration at *name* (as in the original jug, the same code may
        be used at several hook points).
    f : callable

    Returns
    -------
    registered : bool
        False if *code* was already used at *name*.
    """
    _check_name(name)
    if (name, code) in _registered:
        return False
    _registered.add((name, code))
    register_hook(name, f)
    return True


def unregister_hook(name: str, f: Callable[..., Any]) -> bool:
    """Remove one registration of *f* at *name*; return whether there was one."""
    _check_name(name)
    return hooks.unregister(name, f)


def reset_all_hooks() -> None:
    """Forget every registered hook (and every ``register_hook_once`` code), e.g. in tests."""
    hooks.clear()
    _registered.clear()


def jug_hook(
    name: str, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None
) -> list[Any]:
    """Call the functions registered at *name* with *args* and *kwargs*.

    Returns
    -------
    results : list
        Their return values, in order.
    """
    return hooks.fire(name, *args, **(kwargs or {}))


def has_hooks(name: str) -> bool:
    """Whether anything is registered at *name* (cheap; lets callers skip work)."""
    return hooks.listening(name)


def __getattr__(name: str) -> Any:
    # The original's package had its submodules as attributes (register, execution).
    if name in ("register", "execution", "exit_checks"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
