"""The per-task-name tables of ``jug status``, ``execute``, ``invalidate`` and ``count``.

One implementation for the command line, :meth:`jug.execution.ExecutionResult.summary` and
:func:`jug.io.print_task_summary_table`.

Count columns are 12 characters wide when the terminal has room; on a narrow terminal they
shrink to what their titles and numbers need. Task names are never cut or wrapped (so that
the output can be searched and pasted), they simply come last on each line.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

__all__ = ["format_table", "terminal_width"]

_COL = 12


def terminal_width() -> int:
    """Columns of the terminal: ``$COLUMNS``, else stdout's terminal, else 80.

    What ``shutil.get_terminal_size`` answers, without importing :mod:`shutil` (a few
    milliseconds of every ``jug status``).
    """
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    try:
        columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        columns = 0
    return columns if columns > 0 else 80


def format_table(
    headers: Sequence[str],
    rows: Sequence[tuple[str, Sequence[int]]],
    total: str = "Total",
    width: int | None = None,
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
    width : int, optional
        The width to fit in (default: the terminal's).
    """
    totals = [sum(counts[i] for _, counts in rows) for i in range(len(headers))]
    name_width = max([len("Task name"), len(total), *(len(name) for name, _ in rows)])
    if width is None:
        width = terminal_width()
    cols = [_COL] * len(headers)
    if _COL * len(headers) + 2 + name_width > width:
        # Narrow terminal: each column as wide as its title or its largest number, plus a gap.
        cols = [max(len(h), len(str(t))) + 2 for h, t in zip(headers, totals, strict=True)]
    rule = min(sum(cols) + 2 + name_width, max(width - 1, sum(cols) + 2 + len("Task name")))

    def line(counts: Sequence[int | str], name: str) -> str:
        return "".join(f"{c:>{w}}" for c, w in zip(counts, cols, strict=True)) + "  " + name

    out = [line(headers, "Task name"), "-" * rule]
    out.extend(line(counts, name) for name, counts in rows)
    out.append("." * rule)
    out.append(line(totals, total))
    return "\n".join(out)
