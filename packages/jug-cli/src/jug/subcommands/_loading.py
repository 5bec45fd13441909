"""What the jugfile subcommands share: the tasks of the loaded jugfile, and re-loading it."""

from __future__ import annotations

from collections.abc import Sequence

from jug.task import Task, alltasks

TYPE_CHECKING = False  # as typing.TYPE_CHECKING: importing typing costs ~4 ms per process
if TYPE_CHECKING:
    from typing import Any

__all__ = ["current_tasks", "reload_jugfile", "stopped_at_barrier"]


def current_tasks() -> list[Task]:
    """The tasks defined by the jugfile loaded last (a copy of ``jug.task.alltasks``)."""
    return list(alltasks)


def reload_jugfile(jugfile: str, argv: Sequence[str] = ()) -> tuple[list[Task], bool]:
    """Load *jugfile* again; return its tasks and whether it loaded completely."""
    # Imported here: commands that only read the tasks need not import the executor.
    from ._executor import reload_jugfile as reload

    return reload(jugfile, argv)


def stopped_at_barrier(jugspace: dict[str, Any] | None) -> bool:
    """Whether loading the jugfile stopped at an unmet :func:`jug.barrier`."""
    return bool(jugspace and jugspace.get("__jug__hasbarrier__"))
