"""``jug pack``: move the file store's small results into one pack file."""

from __future__ import annotations

from jug.errors import JugError

from . import SubCommand

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["PackCommand", "pack"]


class PackCommand(SubCommand):
    """Pack the small result files of the jugdir into one file (the file store only)"""

    name = "pack"
    call_order = ("store", "options", "jugspace")  # the original's run(store, options, ...)

    def run(self, options: Any, store: Any, jugspace: Any, *args: Any, **kwargs: Any) -> int:
        update_pack = getattr(store, "update_pack", None)
        if update_pack is None:
            raise JugError(
                f"jug pack: only a file store (a directory) can be packed, not {store!r}"
            )
        # The jugfile is loaded first (jug does it for every subcommand that needs one):
        # results are decoded to be packed, and their classes may be defined in it.
        packed = update_pack()
        where = getattr(store, "packfile", "the pack")
        print(f"Packed {packed} result(s) into {where}.")
        return 0


# The original's module-level instances (jug.subcommands.X.X(...) from Python).
pack = PackCommand()
