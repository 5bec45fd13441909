"""The ``jug`` program: ``jug SUBCOMMAND [JUGFILE] [OPTIONS] [-- ARGS]``.

:func:`main` is the console script (``jug``) and ``python -m jug``. :func:`execute` runs a
jugfile's tasks from Python, as ``jug execute`` does.

Start-up stays cheap: ``jug --help`` lists subcommands without importing them, and only
the subcommand that runs is imported.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence

from .errors import JugError, JugfileError
from .runtime import init

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .execution.result import ExecutionResult
    from .options import Options
    from .store import Store
    from .subcommands import SubCommand

__all__ = ["console_main", "execute", "init", "main", "run_command"]

_USAGE = "usage: jug SUBCOMMAND [JUGFILE] [OPTIONS] [-- ARGS]"
# The default of --verbose (jug.options.COMMON_DEFAULTS): warnings and errors only.
_DEFAULT_VERBOSITY = "warning"


def _version() -> str:
    from . import __version__

    return __version__


def _help_text() -> str:
    from .backend_registry import available_backends
    from .subcommands._registry import describe, subcommand_names

    names = subcommand_names()
    width = max((len(n) for n in names), default=0) + 2
    lines = [
        _USAGE,
        "",
        "jug runs the tasks defined in a jugfile (a Python script using jug.TaskGenerator),",
        "memoising their results; start several `jug execute` to run tasks in parallel.",
        "",
        "subcommands:",
        *(f"  {name:<{width}}{describe(name)}".rstrip() for name in names),
        "",
        "options:",
        "  -h, --help  show this help and exit",
        "  --version   show jug's version and exit",
        "",
        "installed backends (--jugdir): " + (", ".join(available_backends()) or "none"),
        "",
        "`jug SUBCOMMAND --help` lists the options of a subcommand.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``jug`` program with *argv* (default ``sys.argv[1:]``); return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return _main(args)
    except BrokenPipeError:
        # `jug status | head`: the reader left; that is not an error of ours.
        sys.stderr.close()
        return 0


def console_main() -> int:
    """The ``jug`` command (and ``python -m jug``): :func:`main`, for a process about to end.

    Unlike :func:`main`, which tests and the shell call in their own process, this may
    prepare the process for its end: the jugfile's objects (a Task each, with its
    arguments) are freed with the process anyway, so the last garbage collection of the
    interpreter is spared walking them (about 50 ms per 100,000 tasks).
    """
    code = main()
    gc.freeze()
    return code


def _main(args: list[str]) -> int:
    if not args:
        print(_USAGE, file=sys.stderr)
        print("jug: no subcommand given; `jug --help` lists them", file=sys.stderr)
        return 2
    first = args[0]
    if first in ("-h", "--help", "help"):
        print(_help_text())
        return 0
    if first == "--version":
        print(f"jug {_version()}")
        return 0
    from .errors import UnknownSubcommandError
    from .subcommands._registry import get_subcommand, subcommand_names

    if first.startswith("-"):
        print(_USAGE, file=sys.stderr)
        print(
            f"jug: the subcommand comes first (one of: {', '.join(subcommand_names())})",
            file=sys.stderr,
        )
        return 2
    try:
        command = get_subcommand(first)
    except UnknownSubcommandError as exc:
        print(f"jug: {exc}", file=sys.stderr)
        return 2
    except JugError as exc:
        print(f"jug: {exc}", file=sys.stderr)
        return 1
    return run_command(command, args[1:])


def _configure_logging(level: str) -> None:
    """Set up the ``jug`` logger for *level* (logging itself is imported on first use)."""
    from . import log

    log.configure(level)


def load_project(options: Options) -> tuple[Store, dict[str, Any]]:
    """Open the store of *options* and load its jugfile, as every jugfile subcommand does.

    The returned namespace has ``__jug__hasbarrier__`` set to whether loading stopped at
    an unmet :func:`jug.barrier`.
    """
    import os

    from .jugfile import load_jugfile
    from .runtime import set_jugdir

    # Checked before opening the store, which may create the jugdir.
    if not os.path.isfile(options.jugfile):
        where = " (it is a directory)" if os.path.isdir(options.jugfile) else ""
        raise JugfileError(f"jugfile {options.jugfile!r} not found{where}")
    store = set_jugdir(options.jugdir)
    try:
        jugspace, complete = load_jugfile(options.jugfile, list(options.argv))
    except BaseException:
        store.close()
        raise
    jugspace["__jug__hasbarrier__"] = not complete
    return store, jugspace


def open_project_store(options: Options) -> Store:
    """Open the store of *options* without loading the jugfile."""
    from .runtime import set_jugdir

    return set_jugdir(options.jugdir)


def run_command(command: SubCommand, args: Sequence[str]) -> int:
    """Parse *args* for *command*, load the jugfile if it needs one, and run it.

    Returns
    -------
    exit_code : int
        What the subcommand returned; 1 for an error jug reports in one line (or for an
        exception raised by a subcommand, reported with its traceback); 2 for a usage error.
    """
    from .errors import BadPatternError, UsageError
    from .options import format_config, parse

    debug = "--debug" in args or "--pdb" in args
    try:
        options = parse(command, args)
        debug = bool(options.debug)
        _configure_logging(options.verbose)
        if options.show_config:
            print(format_config(options))
            return 0
        store: Store | None = None
        jugspace: dict[str, Any] | None = None
        if command.needs_jugfile:
            if command.loads_jugfile(options):
                store, jugspace = load_project(options)
            else:
                store = open_project_store(options)
        # The store's modules or the jugfile may have imported logging meanwhile.
        _configure_logging(options.verbose)
        try:
            code = command.run(options=options, store=store, jugspace=jugspace)
        finally:
            if store is not None:
                store.close()
        return 0 if code is None else int(code)
    except JugfileError as exc:
        # Its message already holds the jugfile's own traceback, if any (without jug's
        # frames); --debug shows the whole of it, jug's loading machinery included.
        if debug and exc.__cause__ is not None:
            import traceback

            traceback.print_exception(exc.__cause__)
            print(f"jug: {str(exc).splitlines()[0].rstrip(':')}", file=sys.stderr)
        else:
            print(f"jug: {exc}", file=sys.stderr)
        return 1
    except (UsageError, BadPatternError) as exc:
        print(f"jug {command.name}: {exc}", file=sys.stderr)
        return 2
    except JugError as exc:
        if debug:
            import traceback

            traceback.print_exc()
        print(f"jug: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("jug: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        # A bug in a subcommand (often a plugin's): its own traceback, never the usage text.
        import traceback

        from .subcommands._registry import is_builtin, origin

        traceback.print_exc()
        where = "jug's own code" if is_builtin(command.name) else origin(command.name)
        print(
            f"jug: the subcommand {command.name!r} ({where}) raised {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return 1


def execute(
    jugfile: str = "jugfile.py",
    jugdir: str | Store | None = None,
    *,
    argv: Sequence[str] = (),
    **options: Any,
) -> ExecutionResult:
    """Run the tasks of *jugfile*, as ``jug execute`` does, and return what happened.

    Parameters
    ----------
    jugfile : str, optional
        The jugfile (default ``jugfile.py``).
    jugdir : str or Store, optional
        Where results live (default: the jugfile's name with ``.jugdata``).
    argv : sequence of str, optional
        The jugfile's ``sys.argv[1:]``.
    **options :
        Fields of :class:`jug.execution.ExecutionOptions`: ``wait_cycle_time``,
        ``nr_wait_cycles``, ``keep_going``, ``keep_failed``, ``aggressive_unload``,
        ``target``, ``debug``, ``pdb``, ``lease``, ``progress``.

    Returns
    -------
    result : ExecutionResult
        Counts of executed and loaded tasks, failures, and ``exit_code``.

    See Also
    --------
    jug.execution.execute : the same, also for tasks already defined
    """
    from .execution.executor import execute as run

    return run(jugfile, jugdir, argv=argv, **options)
