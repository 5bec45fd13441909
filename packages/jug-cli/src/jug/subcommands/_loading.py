"""What the jugfile subcommands share: the tasks of the loaded jugfile, and re-loading it."""

from __future__ import annotations

from typing import Any

from jug.task import Task, alltasks

from ._executor import reload_jugfile

__all__ = ["current_tasks", "reload_jugfile", "stopped_at_barrier"]


def current_tasks() -> list[Task]:
    """The tasks defined by the jugfile loaded last (a copy of ``jug.task.alltasks``)."""
    return list(alltasks)


def stopped_at_barrier(jugspace: dict[str, Any] | None) -> bool:
    """Whether loading the jugfile stopped at an unmet :func:`jug.barrier`."""
    return bool(jugspace and jugspace.get("__jug__hasbarrier__"))
