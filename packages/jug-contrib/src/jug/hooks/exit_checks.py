"""Make ``jug execute`` stop early: after n tasks, after some time, when a file appears...

Call these in the jugfile (or set the environment variables below). A worker that stops
early never interrupts a task: it finishes the one it is running, takes no new one, prints
its summary with the reason, and exits with code 0 (the rest is left for later runs)::

    from jug.hooks.exit_checks import exit_after_time
    exit_after_time(hours=3, minutes=50)   # a 4-hour cluster slot, with a margin

``jug execute`` reads these environment variables (unless run with
``--no-env-exit-checks``):

``JUG_MAX_TASKS``
    run at most this many tasks;
``JUG_MAX_HOURS``, ``JUG_MAX_MINUTES``, ``JUG_MAX_SECONDS``
    take no new task after this long (they add up: 1 hour and 30 minutes is
    ``JUG_MAX_HOURS=1 JUG_MAX_MINUTES=30``);
``JUG_EXIT_IF_FILE_EXISTS``
    stop when this file exists.

and always stops when a file named ``__jug_please_stop_running.txt`` exists in its
working directory.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping

from . import register_hook, unregister_hook

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "ENV_VARIABLES",
    "STOP_FILE",
    "execute_exit_checks",
    "exit_after_n_tasks",
    "exit_after_time",
    "exit_env_vars",
    "exit_if_file_exists",
    "exit_when_true",
]

#: ``jug execute`` stops before its next task when a file of this name exists.
STOP_FILE = "__jug_please_stop_running.txt"

#: The environment variables :func:`exit_env_vars` reads.
ENV_VARIABLES = (
    "JUG_MAX_TASKS",
    "JUG_MAX_HOURS",
    "JUG_MAX_MINUTES",
    "JUG_MAX_SECONDS",
    "JUG_EXIT_IF_FILE_EXISTS",
)

_Registrations = list[tuple[str, Callable[..., object]]]


def _register(pairs: _Registrations) -> _Registrations:
    for name, f in pairs:
        register_hook(name, f)
    return pairs


def _whole_number(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be a whole number, not {value!r}")
    if value < 0:
        raise ValueError(f"{what} must not be negative (got {value})")
    return value


def _n_tasks(n: int, source: str) -> _Registrations:
    executed = 0

    def count(task: Any) -> None:
        nonlocal executed
        executed += 1

    def check() -> str | None:
        if executed >= n:
            return f"{source}: {executed} task{'' if executed == 1 else 's'} executed"
        return None

    return [("execute.task-executed1", count), ("execute.check-exit", check)]


def _time_limit(seconds: float, source: str) -> _Registrations:
    start = time.monotonic()

    def check() -> str | None:
        elapsed = time.monotonic() - start
        if elapsed >= seconds:
            return f"{source}: time limit of {_duration(seconds)} reached"
        return None

    return [("execute.check-exit", check)]


def _duration(seconds: float) -> str:
    if seconds != int(seconds) or seconds < 60:
        return f"{seconds:g}s"
    h, rest = divmod(int(seconds), 3600)
    m, sec = divmod(rest, 60)
    parts = (f"{h}h" if h else "", f"{m}min" if m else "", f"{sec}s" if sec else "")
    return " ".join(p for p in parts if p)


def _file_exists(fname: str | os.PathLike[str], source: str) -> _Registrations:
    def check() -> str | None:
        if os.path.exists(fname):
            return f"{source}: the file {os.fspath(fname)!r} exists"
        return None

    return [("execute.check-exit", check)]


def _when_true(f: Callable[..., Any], takes_task: bool, source: str) -> _Registrations:
    triggered = False

    def after(task: Any) -> None:
        nonlocal triggered
        if not triggered and (f(task) if takes_task else f()):
            triggered = True

    def check() -> str | None:
        return f"{source} returned true" if triggered else None

    return [("execute.task-executed1", after), ("execute.check-exit", check)]


def exit_after_n_tasks(n: int) -> None:
    """Stop after this worker has executed *n* tasks (exactly *n*; loaded ones don't count).

    Parameters
    ----------
    n : int
        Number of tasks to execute.
    """
    _register(_n_tasks(_whole_number(n, "n"), f"exit_after_n_tasks({n})"))


def exit_after_time(hours: float = 0, minutes: float = 0, seconds: float = 0) -> None:
    """Take no new task once this much time has passed (counted from this call).

    The time is checked between tasks: a task that is running when the time is up runs
    to its end. Ask for less than the real limit (e.g. a cluster slot) by at least the
    length of your longest task.

    Parameters
    ----------
    hours, minutes, seconds : number, optional
        They add up.
    """
    total = 0.0
    for amount, unit, what in (
        (hours, 3600, "hours"),
        (minutes, 60, "minutes"),
        (seconds, 1, "seconds"),
    ):
        if isinstance(amount, bool) or not isinstance(amount, (int, float)):
            raise TypeError(f"{what} must be a number, not {amount!r}")
        if amount < 0:
            raise ValueError(f"{what} must not be negative (got {amount})")
        total += amount * unit
    _register(_time_limit(total, f"exit_after_time({_duration(total)})"))


def exit_if_file_exists(fname: str | os.PathLike[str]) -> None:
    """Stop before the next task whenever the file *fname* exists.

    Parameters
    ----------
    fname : str
        Path to check (relative to the working directory of ``jug execute``).
    """
    _register(_file_exists(fname, f"exit_if_file_exists({os.fspath(fname)!r})"))


def exit_when_true(f: Callable[..., Any], function_takes_Task: bool = False) -> None:
    """Stop when ``f()`` returns true; it is called after each task this worker runs.

    Parameters
    ----------
    f : callable
        Called with no argument, or with the task just executed.
    function_takes_Task : bool, optional
        Call ``f(task)`` instead of ``f()`` (default: False).
    """
    name = getattr(f, "__name__", repr(f))
    _register(_when_true(f, function_takes_Task, f"exit_when_true({name})"))


def _env_checks(environ: Mapping[str, str]) -> _Registrations:
    """The registrations the JUG_* variables of *environ* ask for (checked, not made)."""

    def number(var: str) -> int | None:
        raw = environ.get(var)
        if raw is None or raw.strip() == "":
            return None
        try:
            n = int(raw.strip())
        except ValueError:
            raise ValueError(f"{var} must be a whole number, not {raw!r}") from None
        if n < 0:
            raise ValueError(f"{var} must not be negative, not {raw!r}")
        return n

    pairs: _Registrations = []
    max_tasks = number("JUG_MAX_TASKS")
    if max_tasks is not None:
        pairs += _n_tasks(max_tasks, f"JUG_MAX_TASKS={max_tasks}")
    units = {"JUG_MAX_HOURS": 3600, "JUG_MAX_MINUTES": 60, "JUG_MAX_SECONDS": 1}
    values = {var: number(var) for var in units}
    if any(v is not None for v in values.values()):
        total = sum((v or 0) * units[var] for var, v in values.items())
        source = " ".join(f"{var}={v}" for var, v in values.items() if v is not None)
        pairs += _time_limit(total, source)
    stop_file = environ.get("JUG_EXIT_IF_FILE_EXISTS")
    if stop_file:
        pairs += _file_exists(stop_file, "JUG_EXIT_IF_FILE_EXISTS")
    return pairs


def exit_env_vars(environ: Mapping[str, str] | None = None) -> None:
    """Register the exit checks asked for by the ``JUG_*`` environment variables.

    See the module's documentation for the variables. ``jug execute`` calls this itself
    (unless given ``--no-env-exit-checks``).

    Parameters
    ----------
    environ : mapping, optional
        Where to read the variables (default: ``os.environ``).

    Raises
    ------
    ValueError
        If a JUG_MAX_* variable is not a whole number (nothing is registered then).
    """
    _register(_env_checks(os.environ if environ is None else environ))


class execute_exit_checks:
    """The exit checks of one ``jug execute`` run, registered for a ``with`` block only.

    The stop file :data:`STOP_FILE` always; the ``JUG_*`` variables of *environ* (default
    ``os.environ``) when *use_environment* is true. The variables are read and checked
    when the object is created.

    Raises
    ------
    ValueError
        If a JUG_MAX_* variable is not a whole number.
    """

    def __init__(
        self, environ: Mapping[str, str] | None = None, use_environment: bool = True
    ) -> None:
        self.registrations = _file_exists(STOP_FILE, "stop file")
        if use_environment:
            self.registrations += _env_checks(os.environ if environ is None else environ)

    def __enter__(self) -> execute_exit_checks:
        _register(self.registrations)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for name, f in self.registrations:
            unregister_hook(name, f)
