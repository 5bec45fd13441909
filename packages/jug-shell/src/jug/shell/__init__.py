"""``jug shell``: an IPython shell with the jugfile loaded, to explore its results.

Inside the shell, besides the jugfile's own names:

``value(x)``
    the result of a task (or of a list/dict of tasks); raises if it is not computed yet.
``invalidate(task)``
    removes the result of *task* and, recursively, of every task depending on it (the
    method ``task.invalidate()`` removes only the one result). Also takes a name
    pattern, as ``jug invalidate --target`` does.
``get_tasks()``
    every task of the jugfile.
``get_filtered_tasks(target=None, state=None)``
    tasks whose name matches *target* and/or whose state is *state* (``"finished"``,
    ``"ready"``, ...).
``load_all()``
    loads every result that exists.
``provenance(task)``
    where, when and how *task*'s result was computed (host, pid, start, end, duration,
    peak memory, versions, batch job), as a :class:`jug.execution.Provenance`; ``None``
    for a result without a record. ``task.provenance()`` is the same.
``store``
    the store.

The shell takes no locks, so it is safe to use while workers run.
"""

from __future__ import annotations

from jug.errors import JugError
from jug.subcommands import SubCommand

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["ShellCommand"]

_BANNER = """\
jug shell: {jugfile} is loaded ({n} tasks){barrier}.
  value(t)                 the result of task t
  invalidate(t)            remove t's result and those of every task depending on it
  get_tasks()              all tasks; get_filtered_tasks(target, state) some of them
  load_all()               load every result that exists
  provenance(t)            where, when and how t's result was computed
"""


class ShellCommand(SubCommand):
    """Open an IPython shell with the jugfile loaded, to look at results"""

    name = "shell"

    def run(self, options: Any, store: Any, jugspace: Any, *args: Any, **kwargs: Any) -> int:
        try:
            from IPython import start_ipython
            from traitlets.config import Config
        except ImportError:
            raise JugError(
                "jug shell needs IPython, which is not installed: pip install jug-shell "
                "(or pip install ipython)"
            ) from None
        from jug.task import alltasks

        from ._namespace import shell_namespace

        namespace = shell_namespace(jugspace, store)
        namespace.pop("__jug__hasbarrier__", None)
        barrier = (
            "; it stops at an unmet barrier(), later tasks are not defined"
            if jugspace.get("__jug__hasbarrier__")
            else ""
        )
        config = Config()
        config.TerminalInteractiveShell.banner1 = _BANNER.format(
            jugfile=options.jugfile, n=len(alltasks), barrier=barrier
        )
        config.TerminalInteractiveShell.confirm_exit = False
        config.InteractiveShellApp.display_banner = True
        start_ipython(argv=[], user_ns=namespace, config=config)
        return 0
