"""The "code changed" part of ``jug status``: results computed by code that changed since
(recorded by ``jug execute --code-hash``; see :mod:`jug.execution.codehash`)."""

from __future__ import annotations

from jug.execution.codehash import CHANGED, SAME, UNKNOWN, code_changes
from jug.table import format_table

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from jug.store import Store
    from jug.task import Task

__all__ = ["format_code_changes"]

HEADERS = ["Changed", "Unchanged", "Unknown"]


def format_code_changes(
    tasks: Iterable[Task], store: Store, finished: Mapping[str, int], short: bool = False
) -> str:
    """The table (or, if *short*, the line) of results whose code changed, per task name
    (*finished*: name → finished tasks); empty if no stored result carries a fingerprint."""
    changes = code_changes(tasks, store, finished=finished)
    if not changes.fingerprinted:
        return ""
    changed = changes.total(CHANGED)
    hint = " (`jug invalidate --code-changed` removes them and what depends on them)"
    if short:
        unknown = changes.total(UNKNOWN)
        text = f"Code changed since {changed} result(s) were computed"
        if unknown:
            text += f"; {unknown} result(s) have no code fingerprint (unknown)"
        return text + (hint if changed else "") + "."
    rows = [(name, [c[CHANGED], c[SAME], c[UNKNOWN]]) for name, c in changes.counts.items()]
    lines = [
        "",
        "Code of the finished tasks against the fingerprints recorded with their results:",
        format_table(HEADERS, rows),
    ]
    if changed:
        lines.append(f"{changed} result(s) computed by code that changed since{hint}.")
    return "\n".join(lines)
