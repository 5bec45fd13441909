"""``jug graph``: draw the task graph, one node per task name, in Graphviz DOT."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter

from jug.errors import JugError, UsageError
from jug.execution.graph import TaskGraph
from jug.execution.states import TaskState, task_states
from jug.task import alltasks

from . import SubCommand, stopped_at_barrier

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["GraphCommand", "graph", "task_graph_dot"]

FORMATS = ("png", "svg", "pdf", "dot")

# Node colours by the most pressing state among a name's tasks (first in this order).
_COLOURS = {
    TaskState.FAILED: "#f4a6a6",
    TaskState.STALE: "#f6c98f",
    TaskState.RUNNING: "#a9c4f0",
    TaskState.READY: "#fbe7a1",
    TaskState.WAITING: "#e4e4e4",
    TaskState.FINISHED: "#b7e0a5",
}

_INSTALL_GRAPHVIZ = (
    "Graphviz's `dot` program is not installed, so only the DOT file was written. Install "
    "Graphviz (`apt install graphviz`, `dnf install graphviz`, `brew install graphviz` or "
    "`conda install graphviz`), then run:  dot -T{fmt} {dot} -o {out}"
)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def task_graph_dot(graph: TaskGraph, states: dict[str, TaskState]) -> str:
    """The DOT text of *graph*: one node per task name, labelled with its counts per
    state; an edge from a name to every name whose tasks use its results."""
    per_name: dict[str, Counter[TaskState]] = {}
    for h in graph.order:
        per_name.setdefault(graph.task[h].name, Counter())[states[h]] += 1
    edges: dict[tuple[str, str], None] = {}
    for h in graph.order:
        name = graph.task[h].name
        for d in graph.deps[h]:
            edges[(graph.task[d].name, name)] = None
    lines = [
        "digraph jug {",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
    ]
    for name, counts in per_name.items():
        total = sum(counts.values())
        detail = ", ".join(f"{counts[s]} {s.value}" for s in TaskState if counts[s])
        worst = next(s for s in _COLOURS if counts[s])
        label = f"{name}\\n{total} task{'s' if total != 1 else ''}: {detail}"
        lines.append(f'  {_quote(name)} [label="{label}", fillcolor="{_COLOURS[worst]}"];')
    for a, b in edges:
        lines.append(f"  {_quote(a)} -> {_quote(b)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


class GraphCommand(SubCommand):
    """Draw the task graph (Graphviz DOT, rendered as PNG/SVG if Graphviz is installed)"""

    name = "graph"
    call_order = ("store", "options", "jugspace")  # the original's run(store, options, ...)

    def parse(self, parser: Any) -> None:
        parser.add_argument(
            "--output",
            dest="graph_output",
            metavar="FILE",
            help="the DOT file to write (default: the jugfile's name with .dot)",
        )
        parser.add_argument(
            "--format",
            dest="graph_format",
            metavar="FORMAT",
            help=f"the picture to render with Graphviz: {', '.join(FORMATS)} (dot: write "
            "only the DOT file; default: png)",
        )

    def parse_defaults(self) -> dict[str, Any]:
        return {"graph_output": "", "graph_format": "png"}

    def run(self, options: Any, store: Any, jugspace: Any, *args: Any, **kwargs: Any) -> int:
        fmt = str(options.graph_format).lower()
        if fmt not in FORMATS:
            raise UsageError(f"--format {fmt}: choose one of {', '.join(FORMATS)}")
        base = options.jugfile[:-3] if options.jugfile.endswith(".py") else options.jugfile
        dot_file = options.graph_output or base + ".dot"
        graph = TaskGraph(alltasks)
        text = task_graph_dot(graph, task_states(graph.order, graph.deps, store))
        with open(dot_file, "w", encoding="utf-8") as out:
            out.write(text)
        print(f"Wrote the task graph to {dot_file}.")
        if stopped_at_barrier(jugspace):
            print(
                "Note: the jugfile stops at a barrier() whose tasks are not all finished; "
                "tasks defined after it are not in the graph."
            )
        if fmt == "dot":
            return 0
        picture = os.path.splitext(dot_file)[0] + "." + fmt
        dot = shutil.which("dot")
        if dot is None:
            print(_INSTALL_GRAPHVIZ.format(fmt=fmt, dot=dot_file, out=picture), file=sys.stderr)
            return 0
        done = subprocess.run(
            [dot, f"-T{fmt}", dot_file, "-o", picture], capture_output=True, text=True
        )
        if done.returncode != 0:
            detail = done.stderr.strip().splitlines()
            raise JugError(
                f"Graphviz could not render {dot_file}: {detail[-1] if detail else done.returncode}"
            )
        print(f"Rendered it as {picture}.")
        return 0


# The original's module-level instances (jug.subcommands.X.X(...) from Python).
graph = GraphCommand()
