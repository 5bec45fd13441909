"""Escape hatches that can make jug compute wrong results if misused."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["NoHash"]


class NoHash:
    """Pass an argument to a task without it entering the task's hash.

    ``f(NoHash(big_object))`` hashes as if the argument were a fixed placeholder, so
    changing ``big_object`` will *not* recompute ``f``. Use it only for arguments that
    cannot change the result (a logger, a progress reporter, a cache handle).

    Parameters
    ----------
    obj : object
        The value the task receives.
    """

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __jug_hash__(self) -> bytes:
        return b"nohash"

    def __jug_value__(self) -> Any:
        from .task import value

        return value(self.obj)

    def __jug_dependencies__(self) -> list[Any]:
        return [self.obj]

    def __repr__(self) -> str:
        return f"NoHash({self.obj!r})"
