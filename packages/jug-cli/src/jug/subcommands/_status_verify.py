"""``jug status --verify``: read every stored result back, to find the damaged ones.

Counting results needs only their names; whether a result can still be read needs its
bytes. A result truncated by a full disk or a crash of the file system, or overwritten
by something else, looks finished to a plain ``jug status``. This module loads each one
(one at a time, dropping it at once) and collects those that cannot be decoded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from jug.errors import CorruptResultError
from jug.store import Store

__all__ = ["format_unreadable", "unreadable_results"]


def unreadable_results(
    store: Store, order: Sequence[str], names: Mapping[str, str]
) -> list[tuple[str, str, str]]:
    """``(name, hash, what is wrong)`` of each stored result among *order* that cannot be read.

    Results removed while this runs are skipped; store errors (unreachable server, no
    permission) propagate, since they say nothing about the result itself.
    """
    bad = []
    for h in sorted(store.can_load_many(order)):
        try:
            store.load(h)
        except KeyError:
            continue  # invalidated meanwhile: nothing to read, nothing wrong
        except CorruptResultError as exc:
            bad.append((names.get(h, "(unknown task)"), h, exc.detail))
    return sorted(bad)


def format_unreadable(bad: list[tuple[str, str, str]], checked: int, short: bool = False) -> str:
    """The report of ``--verify`` for *bad* among *checked* stored results."""
    if not bad:
        return f"All {checked} stored result(s) can be read."
    if short:
        return f"{len(bad)} of {checked} stored result(s) cannot be read (see jug status --verify)."
    lines = [f"{len(bad)} of {checked} stored result(s) cannot be read:"]
    lines.extend(f"  {name} ({h}): {detail}" for name, h, detail in bad)
    targets = " ".join(f"--target {name}" for name in sorted({name for name, _, _ in bad}))
    lines.append(f"Recompute them with `jug invalidate {targets}`, then `jug execute`.")
    return "\n".join(lines)
