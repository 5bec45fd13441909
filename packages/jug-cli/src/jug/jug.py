"""The ``jug`` program: ``jug SUBCOMMAND [JUGFILE] [OPTIONS] [-- ARGS]``.

:func:`console_main` is the console script (``jug``) and ``python -m jug``;
:func:`console_execute` is ``jug-execute`` (``jug execute``, as the original jug shipped it).
:func:`run` runs a command line and returns its exit code; :func:`execute` runs a jugfile's
tasks from Python, as ``jug execute`` does.

The original jug's functions of this module work as there: :func:`main` (a command line
*with* the program name; it exits), :func:`main_execute`, :func:`init`,
:func:`is_jug_running` and :func:`execution_loop` (with :class:`ExecutionState`), a thin
layer over :class:`jug.execution.Executor` for code that drove the original's loop.

Start-up stays cheap: ``jug --help`` lists subcommands without importing them, and only
the subcommand that runs is imported.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence

from . import task
from .barrier import BarrierError
from .errors import JugError, JugfileError
from .runtime import init, is_jug_running

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

    from .execution.result import ExecutionResult
    from .options import Options
    from .store import Store
    from .subcommands import SubCommand
    from .task import Task

__all__ = [
    "BarrierError",
    "ExecutionState",
    "console_execute",
    "console_main",
    "execute",
    "execution_loop",
    "init",
    "is_jug_running",
    "main",
    "main_execute",
    "run",
    "run_command",
    "task",
]


def __getattr__(name: str) -> Any:
    # The original's module had these too; imported when asked for (every `jug` start
    # would pay for jug-contrib's modules otherwise).
    if name == "jug_hook":
        from .hooks import jug_hook

        return jug_hook
    if name == "prepare_matcher_from_options":
        from .utils import prepare_matcher_from_options

        return prepare_matcher_from_options
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
        "  -h, --help                show this help and exit",
        "  --version                 show jug's version and exit",
        "  --print-completion SHELL  print a completion script for bash, zsh or tcsh",
        "",
        "installed backends (--jugdir): " + (", ".join(available_backends()) or "none"),
        "",
        "`jug SUBCOMMAND --help` lists the options of a subcommand.",
    ]
    return "\n".join(lines)


def run(args: Sequence[str] | None = None) -> int:
    """Run the ``jug`` program with *args*, the command line after the program name
    (default ``sys.argv[1:]``); return the exit code."""
    args = list(sys.argv[1:] if args is None else args)
    try:
        return _main(args)
    except BrokenPipeError:
        # `jug status | head`: the reader left; that is not an error of ours.
        sys.stderr.close()
        return 0


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """The original jug's entry point: run the command line *argv*, whose first item is the
    program's name (default ``sys.argv``), then exit with its exit code.

    Raises
    ------
    SystemExit
        Always, with the exit code (:func:`run` returns it instead).
    """
    args = list(sys.argv if argv is None else argv)[1:]
    sys.exit(run(args))


def main_execute() -> NoReturn:
    """The original jug's ``jug-execute`` entry point: ``jug execute`` with ``sys.argv[1:]``."""
    main([sys.argv[0], "execute", *sys.argv[1:]])


def console_main() -> int:
    """The ``jug`` command (and ``python -m jug``): :func:`run`, for a process about to end.

    Unlike :func:`run`, which tests and the shell call in their own process, this may
    prepare the process for its end: the jugfile's objects (a Task each, with its
    arguments) are freed with the process anyway, so the last garbage collection of the
    interpreter is spared walking them (about 50 ms per 100,000 tasks).
    """
    code = run()
    gc.freeze()
    return code


def console_execute() -> int:
    """The ``jug-execute`` command: ``jug execute ARGS`` (see :func:`console_main`)."""
    code = run(["execute", *sys.argv[1:]])
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
    if first == "--print-completion" or first.startswith("--print-completion="):
        return _print_completion(args)
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


def _print_completion(args: list[str]) -> int:
    from .completion import SHELLS, completion_script

    shell = args[0].partition("=")[2] or (args[1] if len(args) > 1 else "")
    if shell not in SHELLS:
        print(_USAGE, file=sys.stderr)
        print(
            f"jug: --print-completion needs a shell: one of {', '.join(SHELLS)}"
            + (f" (not {shell!r})" if shell else ""),
            file=sys.stderr,
        )
        return 2
    print(completion_script(shell), end="")
    return 0


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
    store = set_jugdir(options.jugdir, secret_file=_secret_file(options))
    try:
        jugspace, complete = load_jugfile(options.jugfile, list(options.argv))
    except BaseException:
        store.close()
        raise
    jugspace["__jug__hasbarrier__"] = not complete
    _say_where_results_are(store)
    return store, jugspace


def _say_where_results_are(store: Store) -> None:
    """Warn if the store holds none of the jugfile's results but knows where they are
    (:meth:`jug.store.Store.find_elsewhere`; asked only of stores that can answer)."""
    from .store import Store as Base

    if getattr(type(store), "find_elsewhere", Base.find_elsewhere) is Base.find_elsewhere:
        return
    from .task import alltasks, task_keys

    hint = store.find_elsewhere(task_keys(alltasks))
    if hint:
        print(f"jug: warning: {hint}", file=sys.stderr)


def open_project_store(options: Options) -> Store:
    """Open the store of *options* without loading the jugfile."""
    from .runtime import set_jugdir

    return set_jugdir(options.jugdir, secret_file=_secret_file(options))


def _secret_file(options: Options) -> str | None:
    """The key file of signed results that *options* name (``--secret-file``), if any."""
    path = getattr(options, "secret_file", None)
    if not path:
        return None
    import os

    return os.path.expanduser(str(path))


def run_command(command: SubCommand, args: Sequence[str]) -> int:
    """Parse *args* for *command*, load the jugfile if it needs one, and run it.

    Returns
    -------
    exit_code : int
        What the subcommand returned; 1 for an error jug reports in one line (or for an
        exception raised by a subcommand, reported with its traceback); 2 for a usage error.
    """
    from .errors import BadPatternError, UsageError
    from .options import format_config, parse_command

    debug = "--debug" in args or "--pdb" in args
    try:
        options = parse_command(command, args)
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


# -- the original jug's execution loop --------------------------------------------------------


class ExecutionState:
    """What :func:`execution_loop` keeps across calls (the original's, for code that calls
    the loop again after reloading a jugfile).

    Attributes
    ----------
    nr_waits : int
        Kept for the original's code; the loop here measures its patience in seconds.
    failed : set of bytes
        Hashes of the tasks that failed: later calls do not run them again.
    """

    def __init__(self) -> None:
        self.nr_waits = 0
        self.failed: set[bytes] = set()


# ExecutionOptions field -> the original's option name (jug.options.ORIGINAL_NAMES too).
_LOOP_OPTIONS = {
    "wait_cycle_time": "execute_wait_cycle_time",
    "nr_wait_cycles": "execute_nr_wait_cycles",
    "keep_going": "execute_keep_going",
    "keep_failed": "execute_keep_failed",
    "aggressive_unload": "aggressive_unload",
    "debug": "debug",
    "pdb": "pdb",
    "lease": "lease",
}


def _option(options: Any, ours: str, theirs: str) -> Any:
    """*options*' value of an option under this jug's name or the original's, else None."""
    for name in (ours, theirs):
        value = getattr(options, name, None)
        if value is not None:
            return value
    return None


def execution_loop(tasks: list[Task], options: Any, state: ExecutionState | None = None) -> bool:
    """Run *tasks* as ``jug execute`` does: the original jug's loop, over this jug's engine.

    Parameters
    ----------
    tasks : list of Task
        The tasks to run (their dependencies run too). Afterwards the list holds the
        tasks that have no result, as the original left it.
    options : object
        Options as :func:`jug.options.parse` returns them (or any object with the
        original's attributes: ``execute_wait_cycle_time``, ``execute_nr_wait_cycles``,
        ``execute_keep_going``, ``execute_keep_failed``, ``aggressive_unload``, ``debug``,
        ``pdb``, and ``execute_target``/``execute_name``/``execute_pattern`` to select
        tasks by name).
    state : ExecutionState, optional
        Shared with earlier calls: tasks that failed there are not run again.

    Returns
    -------
    failures : bool
        Whether a task raised (possible only with ``execute_keep_going``: otherwise the
        first exception a task raises is raised again here, once its lock is released).

    See Also
    --------
    jug.execution.execute : the engine's own entry point, which returns what happened
    """
    from .execution.executor import Executor
    from .execution.options import ExecutionOptions
    from .utils import prepare_matcher_from_options

    class Loop(Executor):
        """Keeps the first exception a task raised (to raise it again)."""

        error: BaseException | None = None

        def on_task_failed(self, task: Task, error: str) -> None:
            if self.error is None:
                self.error = sys.exc_info()[1]  # called while that exception is handled
            super().on_task_failed(task, error)

    if state is None:
        state = ExecutionState()
    values = {}
    for field, theirs in _LOOP_OPTIONS.items():
        value = _option(options, field, theirs)
        if value is not None:
            values[field] = value
    for field, kind in (("wait_cycle_time", float), ("nr_wait_cycles", int), ("lease", float)):
        if field in values:
            values[field] = kind(values[field])
    targets = _option(options, "target", "execute_target") or []
    targets = [targets] if isinstance(targets, str) else list(targets)
    matcher = prepare_matcher_from_options(
        getattr(options, "execute_name", None), getattr(options, "execute_pattern", None)
    )
    todo = [t for t in tasks if t.hash() not in state.failed] if state.failed else list(tasks)
    if matcher is not None:
        # Full names match only themselves (see jug.execution.matching).
        targets += sorted({t.name for t in todo if matcher(t.name)}) or ["/(?!)/"]
    store = task.Task.store
    loop = Loop(store, ExecutionOptions(target=targets, **values))
    result = loop.run(todo)
    state.failed.update(f.hash.encode("ascii") for f in result.failures)
    left = store.can_load_many([t.key() for t in tasks])
    tasks[:] = [t for t in tasks if t.key() not in left]
    if loop.error is not None and not loop.options.keep_going:
        raise loop.error
    return bool(result.failures)
