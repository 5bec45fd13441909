"""The per-task-name tables printed by ``jug status``, ``execute``, ``invalidate``, ``count``.

One implementation, shared with :func:`jug.io.print_task_summary_table`: it lives in
jug-contrib (``jug._task_table``), which jug-cli depends on.
"""

from __future__ import annotations

from jug._task_table import format_table, terminal_width

__all__ = ["format_table", "terminal_width"]
