"""The per-task-name tables printed by ``jug status`` and at the end of ``jug execute``."""

from __future__ import annotations

from collections.abc import Sequence

_COL = 12


def format_table(
    headers: Sequence[str], rows: Sequence[tuple[str, Sequence[int]]], total: str = "Total"
) -> str:
    """Right-aligned count columns, then the task name; a totals row at the bottom.

    Parameters
    ----------
    headers : sequence of str
        Titles of the count columns.
    rows : sequence of (name, counts)
        One row per task name, in display order.
    total : str, optional
        Label of the totals row.
    """
    totals = [sum(counts[i] for _, counts in rows) for i in range(len(headers))]
    name_width = max([len("Task name"), len(total), *(len(name) for name, _ in rows)])
    width = _COL * len(headers) + 2 + name_width

    def line(counts: Sequence[int | str], name: str) -> str:
        return "".join(f"{c:>{_COL}}" for c in counts) + "  " + name

    out = [line(headers, "Task name"), "-" * width]
    out.extend(line(counts, name) for name, counts in rows)
    out.append("." * width)
    out.append(line(totals, total))
    return "\n".join(out)
