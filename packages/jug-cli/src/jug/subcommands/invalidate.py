"""``jug invalidate``: remove the results of some tasks and of everything computed from them."""

from __future__ import annotations

import sys

from jug.errors import UsageError
from jug.execution.graph import TaskGraph
from jug.execution.invalidation import invalidate as invalidate_tasks
from jug.table import format_table
from jug.task import alltasks

from . import SubCommand, stopped_at_barrier

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["InvalidateCommand", "invalidate"]

_BARRIER_NOTE = (
    "Note: the jugfile stops at a barrier() whose tasks are not all finished, so the tasks "
    "after it could not be seen: their results were not invalidated. Run `jug invalidate` "
    "again once the tasks before the barrier are finished."
)


class InvalidateCommand(SubCommand):
    """Remove the results of the named tasks and of every task computed from them"""

    name = "invalidate"
    call_order = ("store", "options", "jugspace")  # the original's run(store, options, ...)

    def parse(self, parser: Any) -> None:
        parser.add_argument(
            "--target",
            "--invalid",
            dest="invalid",
            action="append",
            metavar="NAME",
            help="the tasks to invalidate: /regex/ (searched in the task name), a full name "
            "(module.function) or a function name in any module; wildcards allowed; may be "
            "repeated. Every task depending on them is invalidated too",
        )
        parser.add_argument(
            "--code-changed",
            action="store_const",
            const=True,
            dest="code_changed",
            help="invalidate the results whose task code changed since they were computed "
            "(as recorded by `jug execute --code-hash`; results without a fingerprint are "
            "left alone), and every task depending on them; with --target, only those of "
            "the named tasks",
        )

    def parse_defaults(self) -> dict[str, Any]:
        return {"invalid": [], "code_changed": False}

    def run(self, options: Any, store: Any, jugspace: Any, *args: Any, **kwargs: Any) -> int:
        given = options.invalid  # a str from the original's invalid_name
        patterns = [given] if isinstance(given, str) else list(given or [])
        code_changed = getattr(options, "code_changed", False)
        if not patterns and not code_changed:
            raise UsageError("name the tasks to invalidate with --target NAME (or --code-changed)")
        graph = TaskGraph(alltasks)
        barrier = stopped_at_barrier(jugspace)
        if code_changed:
            return _invalidate_code_changed(graph, patterns, store, options.short, barrier)
        matched = graph.matching(patterns)
        if not matched:
            print(
                f"jug invalidate: no task matches --target {' '.join(patterns)}; nothing "
                "was invalidated",
                file=sys.stderr,
            )
            if barrier:
                print(_BARRIER_NOTE, file=sys.stderr)
            return 1
        done = invalidate_tasks(graph, matched, store)
        _report(done, options.short, barrier)
        return 0


def _report(done: Any, short: bool, barrier: bool) -> None:
    """Print what :func:`invalidate_tasks` did."""
    total = sum(done.removed.values())
    if total == 0:
        print(
            f"Nothing to invalidate: {done.matched} task(s) match and {done.affected} "
            "are affected, but none of them has a result."
        )
    elif short:
        print(f"Invalidated {total} results of {len(done.removed)} task names.")
    else:
        rows = [(name, [n]) for name, n in sorted(done.removed.items())]
        print(format_table(["Invalidated"], rows))
    if done.failure_marks:
        print(f"Removed {done.failure_marks} failure record(s) of these tasks.")
    if done.running:
        names = ", ".join(sorted(set(done.running)))
        print(
            f"Warning: {len(done.running)} of these tasks are running now ({names}); "
            "their results will be stored when they finish: invalidate again then.",
            file=sys.stderr,
        )
    if barrier:
        print(_BARRIER_NOTE, file=sys.stderr)


def _invalidate_code_changed(
    graph: TaskGraph, patterns: list[str], store: Any, short: bool, barrier: bool
) -> int:
    """``--code-changed``: the results whose code changed (of the tasks matching
    *patterns*, if any), and their dependents."""
    from jug.execution.codehash import code_changes

    if patterns:
        chosen = set(graph.matching(patterns))
        tasks = [graph.task[h] for h in graph.order if h in chosen]
    else:
        tasks = [graph.task[h] for h in graph.order]
    changes = code_changes(tasks, store)
    if not changes.changed:
        unknown = sum(c["unknown"] for c in changes.counts.values())
        why = (
            "no stored result has a code fingerprint (run `jug execute --code-hash`)"
            if not changes.fingerprinted
            else f"the code of all {changes.fingerprinted} fingerprinted result(s) is unchanged"
        )
        extra = f"; {unknown} result(s) without a fingerprint were left alone" if unknown else ""
        print(f"Nothing to invalidate: {why}{extra}.")
        if barrier:
            print(_BARRIER_NOTE, file=sys.stderr)
        return 0
    print(
        f"{len(changes.changed)} result(s) were computed by code that changed since; "
        "invalidating them and every result computed from them:"
    )
    done = invalidate_tasks(graph, changes.changed, store)
    _report(done, short, barrier)
    return 0


# The original's module-level instances (jug.subcommands.X.X(...) from Python).
invalidate = InvalidateCommand()
