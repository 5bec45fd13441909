"""Tracebacks as users need them: their own frames, none of jug's machinery.

Used for errors in a jugfile (while it loads) and in a task (while it runs). ``--debug``
keeps every frame.
"""

from __future__ import annotations

import os
import sys
import traceback

__all__ = ["user_traceback"]


def _jug_directories() -> tuple[str, ...]:
    """The directories of jug's own modules (every portion of the namespace), each ending
    with a separator."""
    return tuple(os.path.join(p, "") for p in sys.modules["jug"].__path__)


def user_traceback(
    exc: BaseException, *, start_file: str | None = None, keep_jug_frames: bool = False
) -> str:
    """The formatted traceback of *exc* without the frames of jug's own modules.

    Parameters
    ----------
    exc : BaseException
    start_file : str, optional
        Begin at the first frame of this file (a jugfile being loaded: the machinery that
        loads it is not the user's concern). If no frame is in it (e.g. a ``SyntaxError``
        raised by compiling it), only the exception itself is shown.
    keep_jug_frames : bool, optional
        Keep every frame (``--debug``).

    Returns
    -------
    str
        Without a trailing newline. When no frame is left, only the exception's own lines
        (its message says what was wrong).
    """
    tb = exc.__traceback__
    if start_file is not None:
        while tb is not None and tb.tb_frame.f_code.co_filename != start_file:
            tb = tb.tb_next
        if tb is None:
            return "".join(traceback.format_exception_only(type(exc), exc)).rstrip()
    report = traceback.TracebackException(type(exc), exc, tb)
    if not keep_jug_frames:
        prefixes = _jug_directories()
        seen: set[int] = set()
        todo: list[traceback.TracebackException | None] = [report]
        while todo:
            current = todo.pop()
            if current is None or id(current) in seen:
                continue
            seen.add(id(current))
            current.stack = traceback.StackSummary.from_list(
                [f for f in current.stack if not f.filename.startswith(prefixes)]
            )
            todo += [current.__cause__, current.__context__]
    return "".join(report.format()).rstrip()
