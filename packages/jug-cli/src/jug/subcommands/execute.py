"""``jug execute``: run the jugfile's tasks (a thin layer over :class:`jug.execution.Executor`)."""

from __future__ import annotations

import argparse
import os
import signal
import sys

from jug.errors import JugError
from jug.execution import hooks
from jug.execution.executor import Executor
from jug.execution.hooks import HookPoint
from jug.execution.interrupts import Terminated, sigterm_raises, stop_signals
from jug.execution.options import MAX_RETRY_DELAY, ExecutionOptions
from jug.execution.result import StopReason
from jug.hooks.exit_checks import STOP_FILE, execute_exit_checks
from jug.jugfile import load_tasks
from jug.store import DEFAULT_LEASE
from jug.task import alltasks

from . import SubCommand, stopped_at_barrier

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["ExecuteCommand", "execute"]


class ExecuteCommand(SubCommand):
    """Execute the tasks of the jugfile (start several to run them in parallel)"""

    name = "execute"

    def parse(self, parser: Any) -> None:
        parser.add_argument(
            "--wait-cycle-time",
            type=float,
            metavar="SECONDS",
            help="longest pause between checks on tasks other workers hold "
            f"(default: {ExecutionOptions.wait_cycle_time:g})",
        )
        parser.add_argument(
            "--nr-wait-cycles",
            type=int,
            metavar="N",
            help="give up after N wait cycles without progress "
            f"(default: {ExecutionOptions.nr_wait_cycles})",
        )
        parser.add_argument(
            "--keep-going",
            action=argparse.BooleanOptionalAction,
            help="continue with other tasks after a task fails",
        )
        parser.add_argument(
            "--keep-failed",
            action=argparse.BooleanOptionalAction,
            help="mark failed tasks as failed in the store (with their traceback) so that "
            "no worker retries them, instead of releasing their locks",
        )
        parser.add_argument(
            "--target",
            action="append",
            metavar="NAME",
            help="run only tasks named NAME (module.function, or just function; wildcards "
            "allowed) and what they depend on; may be repeated (at a barrier() that needs "
            "other tasks, stop and say so)",
        )
        parser.add_argument(
            "--lease",
            type=float,
            metavar="SECONDS",
            help="lease of this worker's locks: a lock not refreshed for this long is taken "
            f"over by other workers (default: {DEFAULT_LEASE:g})",
        )
        parser.add_argument(
            "--end-time",
            type=_end_time,
            metavar="WHEN",
            help="do not start a task that would not finish by WHEN: +DURATION (+2:00:00), "
            "a local time (14:30, 2026-03-02T14:30), seconds since the epoch, or never "
            "(default: the end of the batch job, under SLURM, SGE or PBS, or JUG_END_TIME)",
        )
        parser.add_argument(
            "--task-time",
            type=_duration,
            metavar="DURATION",
            help="with an end time: how long to expect a task to take when no task of its "
            "name has a recorded duration (default: start it anyway); e.g. 600 or 0:10:00",
        )
        parser.add_argument(
            "--time-margin",
            type=_duration,
            metavar="SECONDS",
            help="with an end time: a task must be expected to end this long before it "
            f"(default: {ExecutionOptions.time_margin:g})",
        )
        parser.add_argument(
            "--code-hash",
            action=argparse.BooleanOptionalAction,
            help="record a fingerprint of each task function's code with its results, so "
            "that `jug status` shows results whose code changed since (task hashes do not "
            "change; see `jug invalidate --code-changed`)",
        )
        parser.add_argument(
            "--retries",
            type=_retries,
            metavar="N",
            help="run a task that raises up to N more times, in this worker and holding its "
            "lock, before counting it as failed (default: 0)",
        )
        parser.add_argument(
            "--retry-delay",
            type=_duration,
            metavar="SECONDS",
            help="wait this long before the first retry; each further wait is twice the "
            f"last, up to {MAX_RETRY_DELAY:g}s (default: {ExecutionOptions.retry_delay:g})",
        )
        parser.add_argument(
            "--env-exit-checks",
            action=argparse.BooleanOptionalAction,
            help="stop early as the JUG_MAX_TASKS, JUG_MAX_HOURS, JUG_MAX_MINUTES, "
            "JUG_MAX_SECONDS and JUG_EXIT_IF_FILE_EXISTS environment variables say "
            f"(default: on; the stop file {STOP_FILE} is always honoured)",
        )

    def parse_defaults(self) -> dict[str, Any]:
        defaults = ExecutionOptions.defaults()
        return {
            "wait_cycle_time": defaults["wait_cycle_time"],
            "nr_wait_cycles": defaults["nr_wait_cycles"],
            "keep_going": defaults["keep_going"],
            "keep_failed": defaults["keep_failed"],
            "target": list(defaults["target"]),
            "lease": DEFAULT_LEASE,
            "env_exit_checks": True,
            "end_time": None,
            "task_time": None,
            "time_margin": defaults["time_margin"],
            "code_hash": defaults["code_hash"],
            "retries": defaults["retries"],
            "retry_delay": defaults["retry_delay"],
        }

    def run(self, options: Any, store: Any, jugspace: Any, *args: Any, **kwargs: Any) -> int:
        _convert_times(options)
        opts = ExecutionOptions.from_options(options)
        if options.verbose in ("info", "debug"):
            opts.progress = False  # log lines and a progress line do not mix
        executor = Executor(store, opts, reload=lambda: load_tasks(options.jugfile, options.argv))
        try:
            checks = execute_exit_checks(os.environ, getattr(options, "env_exit_checks", True))
        except ValueError as exc:
            # A malformed JUG_MAX_* variable: refuse to start rather than run unlimited.
            raise JugError(f"{exc} (or run with --no-env-exit-checks)") from None
        tasks = list(alltasks)
        if not tasks:
            # Not an error (there is nothing left undone), but almost always a mistake.
            print(
                f"jug: warning: {options.jugfile} defines no tasks, so there is nothing to do "
                "(tasks are made by calling TaskGenerator functions as the jugfile is "
                'imported; code under `if __name__ == "__main__":` does not run under jug)',
                file=sys.stderr,
            )
        try:
            with checks, sigterm_raises(), stop_signals(executor):
                result = executor.run(tasks, not stopped_at_barrier(jugspace))
        except Terminated as exc:
            name = signal.Signals(exc.signum).name
            if exc.signum == signal.SIGTERM:
                print(
                    f"jug: terminated by {name} (the running task's lock was released)",
                    file=sys.stderr,
                )
            else:
                print(
                    f"jug: stopped by {name}: the running task would not have finished before "
                    "the end of the job, so it was interrupted and its lock released",
                    file=sys.stderr,
                )
            return 128 + exc.signum
        hooks.fire(HookPoint.FINISHED_PRE_STATUS)
        print(result.summary(short=options.short))
        hooks.fire(HookPoint.FINISHED_POST_STATUS)
        if result.end is StopReason.TARGET_BLOCKED:
            print(f"jug: {result.stop_message}", file=sys.stderr)
        elif result.end in (StopReason.STOPPED, StopReason.TIME_LIMIT):
            left = f"; {result.undone} task(s) left to other workers" if result.undone else ""
            print(f"jug: stopped early ({result.stop_message}){left}", file=sys.stderr)
        elif result.stop_message is not None:
            print(f"jug: stopped early ({result.stop_message})", file=sys.stderr)
        for problem in result.problems:
            print(f"jug: {problem}", file=sys.stderr)
        return result.exit_code


def _convert_times(options: Any) -> None:
    """Read the time options given as text in a configuration file (``task-time = 0:10:00``)."""
    import argparse

    for name, convert in (
        ("end_time", _end_time),
        ("task_time", _duration),
        ("time_margin", _duration),
        ("retry_delay", _duration),
    ):
        value = getattr(options, name, None)
        if isinstance(value, str):
            try:
                setattr(options, name, convert(value))
            except argparse.ArgumentTypeError as exc:
                where = (
                    options.sources.get(name, "configuration")
                    if hasattr(options, "sources")
                    else "configuration"
                )
                raise JugError(f"{where}: {name.replace('_', '-')}: {exc}") from None


def _duration(text: str) -> float:
    import argparse

    from jug.execution.timelimit import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{exc} (give SECONDS or HH:MM:SS)") from None


def _retries(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"not a number of retries (0 or more): {text!r}")
    return value


def _end_time(text: str) -> float:
    import argparse

    from jug.execution.timelimit import parse_end_time

    try:
        return parse_end_time(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# The original's module-level instances (jug.subcommands.X.X(...) from Python).
execute = ExecuteCommand()
