"""The catalogue of bad inputs: what a user can get wrong, and what jug says about it.

Each :class:`Case` is one kind of bad input (a command line, a jugfile, a configuration
file, a jugdir string, an environment variable), run through a real ``jug`` process in a
scratch project whose store already holds results. Every case checks:

- the exit code;
- the message: one line of standard error matches the case's template (``…`` stands for
  any text), and for most cases it is the only line (after argparse's ``usage:`` line for
  usage errors);
- tracebacks: never a frame of jug's own modules; no traceback at all unless the user's
  own code raised, and then only frames of the user's files;
- the store: the project directory (and, for redis cases, every key and value of the
  server) is exactly as before, unless the case says otherwise.

``docs/errors.md`` shows the same list as tables; :func:`test_docs_table_is_current` fails
when they differ. Run this file with Python (``python tests/faults/test_bad_inputs.py
--write``) to rewrite the tables in the docs from :data:`CASES`.

A case with ``known_bug`` states the right behaviour of something jug does not do yet: its
exit code and store are checked as usual, its message and traceback checks are expected to
fail (the test is reported as xfail) and the test fails once they pass, so that the mark
is removed with the fix.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

import jug
from jug.testing import JugProject, parse_status_table

#: The jugfile of most cases: three ``double`` tasks and a ``total`` depending on them.
TRIVIAL = """\
from jug import TaskGenerator

@TaskGenerator
def double(x):
    return 2 * x

@TaskGenerator
def total(xs):
    return sum(xs)

values = [double(i) for i in range(3)]
result = total(values)
"""

#: The same jugfile with one ``double`` fewer: ``double(2)`` and the old ``total`` are left
#: behind in the store.
TRIVIAL_CHANGED = TRIVIAL.replace("range(3)", "range(2)")

UNPICKLABLE_RESULT = """\
import threading
from jug import TaskGenerator

@TaskGenerator
def f(x):
    return threading.Lock()

@TaskGenerator
def g(x):
    return x

g(f(1))
"""

UNPICKLABLE_ARGUMENT = """\
import threading
from jug import TaskGenerator

@TaskGenerator
def f(x):
    return 1

f(threading.Lock())
"""

TASK_RAISES = """\
from jug import TaskGenerator

@TaskGenerator
def f(x):
    raise ValueError(f"bad input {x}")

f(3)
"""

TASK_IN_TASK = """\
from jug import TaskGenerator

@TaskGenerator
def inner(x):
    return x + 1

@TaskGenerator
def outer(x):
    return inner(x)

outer(1)
"""

JUG_DIRS = tuple(os.path.join(p, "") for p in jug.__path__)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "errors.md"

Check = Callable[[JugProject], None]


@dataclass(frozen=True, kw_only=True)
class Case:
    """One kind of bad input, how to make it, and what jug must answer."""

    id: str
    #: The section of the docs' table.
    kind: str
    #: What the user did (Markdown, for the docs).
    did: str
    #: The command line after ``jug``; ``{redis}`` is the test server's URL and
    #: ``{free_port}`` a port nothing listens on.
    argv: tuple[str, ...]
    #: The expected exit code.
    code: int
    #: Template of the message line (``…`` is any text); None: standard error is empty.
    says: str | None
    #: Files written into the project (after ``jugfile.py`` = :data:`TRIVIAL`).
    files: dict[str, str | bytes] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    #: Where the results that must stay untouched live: ``file`` (``jugfile.jugdata``) or
    #: ``redis`` (the test server).
    store: Literal["file", "redis"] = "file"
    #: Commands run (each must succeed) before *files* are written.
    before: tuple[tuple[str, ...], ...] = ()
    #: Whether the message is all that standard error holds.
    one_line: bool = True
    #: ``none``: no traceback; ``user``: a traceback of the user's own files only.
    traceback: Literal["none", "user"] = "none"
    #: Texts standard error must also contain.
    shows: tuple[str, ...] = ()
    #: Whether the store must be left exactly as it was (else: nothing in it may be
    #: removed or changed, new results may appear).
    unchanged: bool = True
    #: More checks, given the project after the run.
    check: Check | None = None
    #: Why the message or traceback checks fail today (see the module's docstring).
    known_bug: str | None = None


def _status_after_change(project: JugProject) -> None:
    """The old results stay until ``jug cleanup``, which removes exactly those two."""
    rows = parse_status_table(project.jug("status").stdout)
    assert rows["jugfile.double"] == [0, 0, 2, 0, 0, 0]
    assert rows["jugfile.total"] == [0, 0, 1, 0, 0, 0]
    before = _results(project)
    done = project.jug("cleanup")
    assert done.returncode == 0, done.stderr
    assert "Removed 2 unused results" in done.stdout, done.stdout
    assert len(_results(project)) == len(before) - 2
    assert project.jug("check").returncode == 0


def _results(project: JugProject) -> list[Path]:
    jugdir = project.path / "jugfile.jugdata"
    return [p for p in jugdir.glob("??/*") if p.is_file()]


_CLI = "command line"
_JUGFILE = "jugfile"
_TASK = "task"
_CONFIG = "configuration file"
_JUGDIR = "jugdir"
_ENV = "environment variable"

CASES: list[Case] = [
    # -- the command line ----------------------------------------------------------------
    Case(
        id="no-subcommand",
        kind=_CLI,
        did="`jug` alone",
        argv=(),
        code=2,
        says="jug: no subcommand given; `jug --help` lists them",
    ),
    Case(
        id="option-before-subcommand",
        kind=_CLI,
        did="`jug --jugdir results execute`",
        argv=("--jugdir", "results", "execute"),
        code=2,
        says="jug: the subcommand comes first (one of: …execute…)",
    ),
    Case(
        id="option-missing-its-value",
        kind=_CLI,
        did="`jug execute --jugdir` (nothing after it)",
        argv=("execute", "--jugdir"),
        code=2,
        says="jug execute: error: argument --jugdir: expected one argument",
    ),
    Case(
        id="option-not-a-number",
        kind=_CLI,
        did="`jug execute --nr-wait-cycles many`",
        argv=("execute", "--nr-wait-cycles", "many"),
        code=2,
        says="jug execute: error: argument --nr-wait-cycles: invalid int value: 'many'",
    ),
    Case(
        id="option-negative-number",
        kind=_CLI,
        did="`jug execute --wait-cycle-time -5`",
        argv=("execute", "--wait-cycle-time", "-5"),
        code=1,
        says="jug: the wait cycle time (--wait-cycle-time) must not be negative, not -5.0",
    ),
    Case(
        id="bad-verbosity",
        kind=_CLI,
        did="`jug status --verbose=loud`",
        argv=("status", "--verbose=loud"),
        code=2,
        says="jug status: error: argument --verbose: invalid verbosity 'loud' (choose from …)",
    ),
    Case(
        id="flag-given-a-value",
        kind=_CLI,
        did="`jug execute --keep-going=yes` (flags take no value; `--no-keep-going` undoes one)",
        argv=("execute", "--keep-going=yes"),
        code=2,
        says="jug execute: error: argument --keep-going/--no-keep-going: "
        "ignored explicit argument 'yes'",
    ),
    Case(
        id="jugfile-argument-without-dashes",
        kind=_CLI,
        did="`jug execute jugfile.py --input data.csv` (an option meant for the jugfile)",
        argv=("execute", "jugfile.py", "--input", "data.csv"),
        code=2,
        says="jug execute: error: unrecognized arguments: --input data.csv (`jug execute --help` lists "
        "its options; arguments for the jugfile go after `--`)",
    ),
    Case(
        id="target-bad-regex",
        kind=_CLI,
        did="`jug execute --target '/(/'`",
        argv=("execute", "--target", "/(/"),
        code=2,
        says="jug execute: --target /(/: not a valid regular expression (…)",
    ),
    Case(
        id="target-matches-nothing",
        kind=_CLI,
        did="`jug execute --target nosuch`",
        argv=("execute", "--target", "nosuch"),
        code=1,
        says="jug: no task matches --target nosuch",
    ),
    Case(
        id="invalidate-without-target",
        kind=_CLI,
        did="`jug invalidate` without `--target`",
        argv=("invalidate",),
        code=2,
        says="jug invalidate: name the tasks to invalidate with --target NAME (or --code-changed)",
    ),
    Case(
        id="invalidate-matches-nothing",
        kind=_CLI,
        did="`jug invalidate --target nosuch`",
        argv=("invalidate", "--target", "nosuch"),
        code=1,
        says="jug invalidate: no task matches --target nosuch; nothing was invalidated",
    ),
    Case(
        id="jugfile-is-a-directory",
        kind=_CLI,
        did="`jug execute analysis` where `analysis` is a directory",
        argv=("execute", "analysis"),
        files={"analysis/notes.txt": "not a jugfile\n"},
        code=1,
        says="jug: jugfile 'analysis' not found (it is a directory)",
    ),
    Case(
        id="graph-bad-format",
        kind=_CLI,
        did="`jug graph --format gif`",
        argv=("graph", "--format", "gif"),
        code=2,
        says="jug graph: --format gif: choose one of png, svg, pdf, dot",
    ),
    Case(
        id="end-time-not-a-time",
        kind=_CLI,
        did="`jug execute --end-time tomorrow`",
        argv=("execute", "--end-time", "tomorrow"),
        code=2,
        says="jug execute: error: argument --end-time: not an end time: 'tomorrow' (…)",
    ),
    Case(
        id="task-time-not-a-duration",
        kind=_CLI,
        did="`jug execute --task-time long`",
        argv=("execute", "--task-time", "long"),
        code=2,
        says="jug execute: error: argument --task-time: not a duration: 'long' (…)",
    ),
    Case(
        id="submit-without-workers",
        kind=_CLI,
        did="`jug submit` without `--workers` (nor `workers =` in `[submit]`)",
        argv=("submit", "--scheduler", "slurm", "--dry-run"),
        code=2,
        says="jug submit: how many workers? give --workers N (…)",
    ),
    Case(
        id="submit-bad-time",
        kind=_CLI,
        did="`jug submit --workers 4 --time soon`",
        argv=("submit", "--workers", "4", "--time", "soon", "--scheduler", "slurm", "--dry-run"),
        code=2,
        says="jug submit: --time: not a duration: 'soon' (give HH:MM:SS, D-HH:MM:SS or SECONDS)",
    ),
    Case(
        id="submit-dict-store",
        kind=_CLI,
        did="`jug submit --workers 4 --jugdir dict_store`",
        argv=("submit", "--workers", "4", "--jugdir", "dict_store", "--scheduler", "slurm"),
        code=1,
        says="jug: the jugdir 'dict_store' is a dict_store, which lives in one process: workers of a job array cannot share it. …",
    ),
    Case(
        id="submit-no-scheduler",
        kind=_CLI,
        did="`jug submit --workers 4` where no `sbatch`, `qsub` or `bsub` is on `PATH`",
        argv=("submit", "--workers", "4", "--jugdir", "/shared/results"),
        env={"PATH": "/nonexistent"},
        code=1,
        says="jug: no scheduler found on PATH (sbatch, bsub or qsub): give --scheduler (…), e.g. with --dry-run to see the job script",
    ),
    # -- the jugfile ---------------------------------------------------------------------
    Case(
        id="jugfile-syntax-error",
        kind=_JUGFILE,
        did="a jugfile with a syntax error",
        argv=("execute",),
        files={"jugfile.py": "from jug import TaskGenerator\ndef f(:\n    pass\n"},
        code=1,
        says="jug: error while loading jugfile …jugfile.py:",
        one_line=False,
        shows=('jugfile.py", line 2', "SyntaxError:"),
    ),
    Case(
        id="jugfile-import-error",
        kind=_JUGFILE,
        did="a jugfile importing a module that is not installed",
        argv=("execute",),
        files={"jugfile.py": "import no_such_module_for_jug\n"},
        code=1,
        says="jug: error while loading jugfile …jugfile.py:",
        one_line=False,
        traceback="user",
        shows=("ModuleNotFoundError: No module named 'no_such_module_for_jug'",),
    ),
    Case(
        id="jugfile-helper-module-raises",
        kind=_JUGFILE,
        did="a jugfile importing the user's own module, which raises",
        argv=("status",),
        files={
            "jugfile.py": "import helpers\n",
            "helpers.py": "RATIO = 1 / 0\n",
        },
        code=1,
        says="jug: error while loading jugfile …jugfile.py:",
        one_line=False,
        traceback="user",
        shows=('helpers.py", line 1', "ZeroDivisionError: division by zero"),
    ),
    Case(
        id="jugfile-exits",
        kind=_JUGFILE,
        did="a jugfile calling `sys.exit(message)` (e.g. a missing argument)",
        argv=("execute",),
        files={
            "jugfile.py": "import sys\n"
            "if len(sys.argv) < 2:\n"
            "    sys.exit('needs an input file: jug execute jugfile.py -- FILE')\n"
        },
        code=1,
        says="needs an input file: jug execute jugfile.py -- FILE",
    ),
    Case(
        id="jugfile-without-tasks",
        kind=_JUGFILE,
        did='a jugfile defining no tasks (they are under `if __name__ == "__main__":`)',
        argv=("execute",),
        files={
            "jugfile.py": TRIVIAL.replace(
                "values =", 'if __name__ == "__main__":\n    values ='
            ).replace("result =", "    result =")
        },
        code=0,
        says="jug: warning: jugfile.py defines no tasks, so there is nothing to do (…)",
    ),
    Case(
        id="task-of-a-lambda",
        kind=_JUGFILE,
        did="`Task(lambda x: x + 1, 3)`",
        argv=("execute",),
        files={"jugfile.py": "from jug import Task\nt = Task(lambda x: x + 1, 3)\n"},
        code=1,
        says="jug: error while loading jugfile …jugfile.py:",
        one_line=False,
        traceback="user",
        shows=(
            "ValueError: jug.Task cannot use a lambda function",
            "Define a named function with `def` instead.",
        ),
    ),
    Case(
        id="taskgenerator-of-a-lambda",
        kind=_JUGFILE,
        did="`TaskGenerator(lambda x: x + 1)` called in the jugfile",
        argv=("status",),
        files={
            "jugfile.py": "from jug import TaskGenerator\n"
            "inc = TaskGenerator(lambda x: x + 1)\n"
            "inc(3)\n"
        },
        code=1,
        says="jug: error while loading jugfile …jugfile.py:",
        one_line=False,
        traceback="user",
        shows=("Define a named function with `def` instead.",),
    ),
    Case(
        id="task-of-a-non-function",
        kind=_JUGFILE,
        did="`Task(3)`: something that is not a function",
        argv=("execute",),
        files={"jugfile.py": "from jug import Task\nTask(3)\n"},
        code=1,
        says="jug: error while loading jugfile …jugfile.py:",
        one_line=False,
        traceback="user",
        shows=("TypeError: ",),
    ),
    Case(
        id="unpicklable-argument",
        kind=_JUGFILE,
        did="a task given an argument that cannot be pickled (a `threading.Lock`)",
        argv=("execute",),
        files={"jugfile.py": UNPICKLABLE_ARGUMENT},
        code=1,
        says="jug: task jugfile.f: cannot hash its arguments: …",
        shows=("_thread.lock",),
    ),
    Case(
        id="jugfile-changes-between-runs",
        kind=_JUGFILE,
        did="the jugfile is edited between two runs (one task fewer); not an error",
        argv=("execute",),
        before=(("execute",),),
        files={"jugfile.py": TRIVIAL_CHANGED},
        code=0,
        says=None,
        unchanged=False,
        check=_status_after_change,
    ),
    # -- a task at run time ---------------------------------------------------------------
    Case(
        id="unpicklable-result",
        kind=_TASK,
        did="a task returning something that cannot be pickled (a `threading.Lock`)",
        argv=("execute",),
        files={"jugfile.py": UNPICKLABLE_RESULT},
        code=1,
        says="jug: task jugfile.f (…) failed:",
        one_line=False,
        shows=("cannot pickle '_thread.lock' object",),
    ),
    Case(
        id="unpicklable-result-redis",
        kind=_TASK,
        did="the same, on redis",
        argv=("execute", "--jugdir", "{redis}"),
        store="redis",
        files={"jugfile.py": UNPICKLABLE_RESULT},
        code=1,
        says="jug: task jugfile.f (…) failed:",
        one_line=False,
        shows=("cannot pickle '_thread.lock' object",),
    ),
    Case(
        id="task-raises-redis",
        kind=_TASK,
        did="a task raising an exception, on redis",
        argv=("execute", "--jugdir", "{redis}"),
        store="redis",
        files={"jugfile.py": TASK_RAISES},
        code=1,
        says="jug: task jugfile.f (…) failed:",
        one_line=False,
        traceback="user",
        shows=("ValueError: bad input 3", "jug: stopped after a task failed"),
    ),
    Case(
        id="task-creates-tasks",
        kind=_TASK,
        did="a task calling another `TaskGenerator` function while it runs",
        argv=("execute",),
        files={"jugfile.py": TASK_IN_TASK},
        code=1,
        says="jug: task jugfile.outer (…) failed:",
        one_line=False,
        traceback="user",
        shows=("jugfile.inner", "inner.f("),
    ),
    # -- configuration files -------------------------------------------------------------
    Case(
        id="config-without-section",
        kind=_CONFIG,
        did="a `.jugrc` whose first line is not a `[section]`",
        argv=("execute",),
        files={".jugrc": "jugdir = results\n"},
        code=1,
        says="jug: cannot read configuration file .jugrc: File contains no section headers.",
    ),
    Case(
        id="config-bad-boolean",
        kind=_CONFIG,
        did="`keep-going = maybe` in `.jugrc`",
        argv=("execute",),
        files={".jugrc": "[execute]\nkeep-going = maybe\n"},
        code=1,
        says="jug: .jugrc: [execute] keep-going: expected yes or no, got 'maybe' (…)",
    ),
    Case(
        id="config-not-utf8",
        kind=_CONFIG,
        did="a `.jugrc` that is not UTF-8 text",
        argv=("status",),
        files={".jugrc": b"\xff\xfe[main]\n"},
        code=1,
        says="jug: cannot read configuration file .jugrc: 'utf-8' codec can't decode byte 0xff …",
    ),
    Case(
        id="user-config-bad-number",
        kind=_CONFIG,
        did="`nr-wait-cycles = many` in `~/.config/jug/jugrc`",
        argv=("execute",),
        files={"home/.config/jug/jugrc": "[execute]\nnr-wait-cycles = many\n"},
        code=1,
        says="jug: …/home/.config/jug/jugrc: [execute] nr-wait-cycles: expected an int, got 'many'",
    ),
    Case(
        id="config-unknown-option",
        kind=_CONFIG,
        did="an option no subcommand has, in `.jugrc` (a warning: the run goes on)",
        argv=("status",),
        files={".jugrc": "[status]\ncolour = yes\n"},
        before=(("execute",),),  # so that status exits 0: everything is finished
        code=0,
        says="jug: warning: .jugrc: unknown option 'colour' in [status], ignored",
    ),
    Case(
        id="config-unknown-section",
        kind=_CONFIG,
        did="a misspelt section, `[exceute]` (a warning: the run goes on)",
        argv=("status",),
        files={".jugrc": "[exceute]\nkeep-going = yes\n"},
        before=(("execute",),),  # so that status exits 0: everything is finished
        code=0,
        says="jug: warning: .jugrc: unknown section [exceute] (no such subcommand), ignored",
    ),
    Case(
        id="config-jugdir-unknown-scheme",
        kind=_CONFIG,
        did="`jugdir = nosuch:results` in `.jugrc`",
        argv=("execute",),
        files={".jugrc": "[main]\njugdir = nosuch:results\n"},
        code=1,
        says="jug: unknown jugdir scheme 'nosuch' in 'nosuch:results'; installed backends: …",
    ),
    Case(
        id="config-empty-jugdir",
        kind=_CONFIG,
        did="`jugdir =` (empty) in `.jugrc`",
        argv=("execute",),
        files={".jugrc": "[main]\njugdir =\n"},
        code=1,
        says="jug: the jugdir is empty (''): give a directory, or a backend URL such as "
        "redis://HOST:PORT/DB (…)",
    ),
    # -- jugdir strings ------------------------------------------------------------------
    Case(
        id="jugdir-empty",
        kind=_JUGDIR,
        did="`jug execute --jugdir ''`",
        argv=("execute", "--jugdir", ""),
        code=1,
        says="jug: the jugdir is empty (''): give a directory, or a backend URL such as "
        "redis://HOST:PORT/DB (…)",
    ),
    Case(
        id="jugdir-dict-store-missing-directory",
        kind=_JUGDIR,
        did="`--jugdir dict_store:nowhere/results.pkl`, a directory that does not exist",
        argv=("execute", "--jugdir", "dict_store:nowhere/results.pkl"),
        code=1,
        says="jug: cannot use dict_store file 'nowhere/results.pkl': its directory does not exist",
    ),
    Case(
        id="jugdir-redis-bad-port",
        kind=_JUGDIR,
        did="`--jugdir redis://127.0.0.1:notaport/0`",
        argv=("status", "--jugdir", "redis://127.0.0.1:notaport/0"),
        code=1,
        says="jug: malformed redis jugdir 'redis://127.0.0.1:notaport/0': …; "
        "expected redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], …",
    ),
    Case(
        id="jugdir-redis-bad-db",
        kind=_JUGDIR,
        did="`--jugdir redis://HOST:PORT/abc`",
        argv=("execute", "--jugdir", "{redis}/abc"),
        store="redis",
        code=1,
        says="jug: malformed redis jugdir '…/abc': database number 'abc' is not a number; …",
    ),
    Case(
        id="jugdir-redis-db-out-of-range",
        kind=_JUGDIR,
        did="`--jugdir redis://HOST:PORT/99`, more databases than the server has",
        argv=("execute", "--jugdir", "{redis}/99"),
        store="redis",
        code=1,
        says="jug: redis at 127.0.0.1:… (db 99) could not answer PING: DB index is out of range",
    ),
    Case(
        id="jugdir-redis-bad-prefix",
        kind=_JUGDIR,
        did="`--jugdir 'redis://HOST:PORT/0?prefix=my project'`",
        argv=("execute", "--jugdir", "{redis}/0?prefix=my project"),
        store="redis",
        code=1,
        says="jug: malformed redis jugdir '…': a prefix may contain only letters, digits "
        "and _ . - /; …",
    ),
    Case(
        id="jugdir-redis-unknown-parameter",
        kind=_JUGDIR,
        did="`--jugdir redis://HOST:PORT/0?colour=red`",
        argv=("execute", "--jugdir", "{redis}/0?colour=red"),
        store="redis",
        code=1,
        says="jug: malformed redis jugdir '…': unknown parameter 'colour' (known: …); …",
    ),
    Case(
        id="jugdir-redis-unreachable",
        kind=_JUGDIR,
        did="`--jugdir redis://127.0.0.1:PORT/` with no server on that port",
        argv=("execute", "--jugdir", "redis://127.0.0.1:{free_port}/"),
        code=1,
        says="jug: cannot connect to redis at 127.0.0.1:…: Connection refused. "
        "Is a redis server running there? …",
    ),
    # -- environment variables -----------------------------------------------------------
    Case(
        id="env-max-tasks-not-a-number",
        kind=_ENV,
        did="`JUG_MAX_TASKS=abc jug execute`",
        argv=("execute",),
        env={"JUG_MAX_TASKS": "abc"},
        code=1,
        says="jug: JUG_MAX_TASKS must be a whole number, not 'abc' "
        "(or run with --no-env-exit-checks)",
    ),
    Case(
        id="env-max-tasks-negative",
        kind=_ENV,
        did="`JUG_MAX_TASKS=-1 jug execute`",
        argv=("execute",),
        env={"JUG_MAX_TASKS": "-1"},
        code=1,
        says="jug: JUG_MAX_TASKS must not be negative, not '-1' (or run with --no-env-exit-checks)",
    ),
    Case(
        id="env-max-hours-fraction",
        kind=_ENV,
        did="`JUG_MAX_HOURS=1.5 jug execute` (use `JUG_MAX_MINUTES=90`)",
        argv=("execute",),
        env={"JUG_MAX_HOURS": "1.5"},
        code=1,
        says="jug: JUG_MAX_HOURS must be a whole number, not '1.5' "
        "(or run with --no-env-exit-checks)",
    ),
    Case(
        id="env-redis-retry-not-a-number",
        kind=_ENV,
        did="`JUG_REDIS_RETRY=abc jug execute --jugdir redis://…`",
        argv=("execute", "--jugdir", "{redis}"),
        env={"JUG_REDIS_RETRY": "abc"},
        store="redis",
        code=1,
        says="jug: …JUG_REDIS_RETRY…",
    ),
    Case(
        id="env-load-plugins-leaves-out-backend",
        kind=_ENV,
        did="`JUG_LOAD_PLUGINS=redis jug execute` with a file store",
        argv=("execute",),
        env={"JUG_LOAD_PLUGINS": "redis"},
        code=1,
        says="jug: the jug backend 'file' is not loaded: JUG_LOAD_PLUGINS='redis' limits the "
        "backends jug loads to those it names; add file to it, or unset it",
    ),
]

#: Bad inputs tested elsewhere, listed in the docs' table too:
#: (test, what the user did, what jug says, exit code).
ELSEWHERE: list[tuple[str, str, str, int]] = [
    (
        "tests/cli/test_errors.py::test_missing_jugfile",
        "a jugfile that does not exist",
        "jug: jugfile 'nothere.py' not found",
        1,
    ),
    (
        "tests/cli/test_errors.py::test_jugfile_raising_shows_its_own_traceback",
        "a jugfile that raises while loading",
        "jug: error while loading jugfile …",
        1,
    ),
    (
        "tests/cli/test_errors.py::test_unknown_subcommand_lists_subcommands",
        "`jug exceute`",
        "jug: unknown subcommand 'exceute' …",
        2,
    ),
    (
        "tests/cli/test_errors.py::test_unknown_option_is_a_usage_error",
        "`jug status --no-such-option`",
        "jug status: error: unrecognized arguments: --no-such-option …",
        2,
    ),
    (
        "tests/cli/test_errors.py::test_unknown_jugdir_scheme_is_one_line",
        "`--jugdir nosuchbackend:somewhere`",
        "jug: unknown jugdir scheme 'nosuchbackend' …",
        1,
    ),
    (
        "tests/cli/test_errors.py::test_type_error_in_task_is_a_task_error",
        "a task raising `TypeError`",
        "jug: task jugfile.f (…) failed:",
        1,
    ),
    (
        "tests/cli/test_errors.py::test_bad_option_value_in_config_file",
        "`lease = soon` in `.jugrc`",
        "jug: .jugrc: [execute] lease: expected a float, got 'soon'",
        1,
    ),
    (
        "tests/cli/test_errors.py::test_non_positive_lease_is_rejected",
        "`jug execute --lease 0`",
        "jug: … lease must be a positive number …",
        1,
    ),
    (
        "tests/faults/test_file_system.py::test_jugdir_is_a_file",
        "a jugdir that is a file",
        "jug: jugdir 'oops' exists and is not a directory; …",
        1,
    ),
    (
        "tests/faults/test_file_system.py::test_permission_denied",
        "a jugdir the user may not write or read",
        "jug: … permission denied …",
        1,
    ),
    (
        "tests/faults/test_file_system.py::test_read_only_file_system",
        "a jugdir on a read-only file system",
        "jug: … read-only file system …",
        1,
    ),
    (
        "tests/faults/test_file_system.py::test_disk_full_then_freed",
        "a full disk while saving a result",
        "jug: task jugfile.big (…): … no space left …",
        1,
    ),
    (
        "tests/faults/test_corrupt_results.py::test_corrupt_result",
        "a stored result damaged behind jug's back",
        "jug: cannot load task … (HASH): …. Recompute it with `jug invalidate` …",
        1,
    ),
]


# -- running a case ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def prebuilt(tmp_path_factory) -> Path:
    """A file store holding the ``double`` results of :data:`TRIVIAL` (``total`` not run),
    built once and copied into each case's project."""
    project = JugProject(tmp_path_factory.mktemp("prebuilt"))
    project.write("jugfile.py", TRIVIAL)
    done = project.jug("execute", "--target", "jugfile.double")
    assert done.returncode == 0, done.stderr
    return project.path / "jugfile.jugdata"


def _snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file below *root* with its contents, and every directory but those inside a
    file store (a store's content is its files: an empty shard directory holds nothing);
    the home directory is left out."""
    found: dict[str, bytes | None] = {}
    for directory, dirs, names in os.walk(root):
        here = Path(directory)
        if here == root:
            dirs[:] = [d for d in dirs if d != "home"]
        relative = here.relative_to(root)
        if not any(part.endswith(".jugdata") for part in relative.parts):
            for d in dirs:
                found[str(relative / d) + "/"] = None
        for n in names:
            found[str(relative / n)] = (here / n).read_bytes()
    return found


def _redis_snapshot(server) -> dict[bytes, bytes]:
    client = server.client()
    # DUMP serialises any type of value; KEYS is disabled on the test servers, SCAN is not.
    return {key: client.dump(key) for key in client.scan_iter(count=1000)}


def _template(says: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in says.split("…")))


def _frame_files(stderr: str) -> list[str]:
    return re.findall(r'^\s*File "([^"]+)"', stderr, flags=re.M)


def _message_problems(case: Case, stderr: str, project: Path) -> list[str]:
    """What is wrong with *stderr* for *case* (empty: nothing)."""
    problems = []
    lines = [line for line in stderr.splitlines() if line.strip()]
    if case.says is None:
        if lines:
            problems.append(f"expected no output on stderr, got {lines!r}")
    else:
        pattern = _template(case.says)
        matching = [line for line in lines if pattern.fullmatch(line)]
        if not matching:
            problems.append(f"no line of stderr matches {case.says!r}")
        elif case.one_line:
            rest = lines[1:] if case.code == 2 and lines[0].startswith("usage: ") else lines
            if rest != matching[:1]:
                problems.append(f"expected only the message on stderr, got {lines!r}")
    for text in case.shows:
        if text not in stderr:
            problems.append(f"stderr does not show {text!r}")
    jug_frames = [f for f in _frame_files(stderr) if f.startswith(JUG_DIRS)]
    if jug_frames:
        problems.append(f"traceback shows jug's own frames: {jug_frames}")
    if case.traceback == "none":
        if "Traceback" in stderr:
            problems.append("a traceback was shown")
    else:
        if "Traceback (most recent call last):" not in stderr:
            problems.append("the user's traceback is missing")
        foreign = [f for f in _frame_files(stderr) if not f.startswith(str(project))]
        if foreign:
            problems.append(f"traceback shows frames not of the user's files: {foreign}")
    return problems


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case,
            id=case.id,
            marks=[pytest.mark.requires_redis] if case.store == "redis" else [],
        )
        for case in CASES
    ],
)
def test_bad_input(case: Case, tmp_path: Path, prebuilt: Path, request) -> None:
    project = JugProject(tmp_path)
    project.write("jugfile.py", TRIVIAL)
    shutil.copytree(prebuilt, tmp_path / "jugfile.jugdata")
    server = None
    replacements = {"{free_port}": str(_free_port())}
    if case.store == "redis":
        server = request.getfixturevalue("redis7_server")
        server.flush()
        replacements["{redis}"] = server.url
        # Results of another jugfile (the doubles done, their total not) must stay as they are.
        project.write("other.py", TRIVIAL)
        setup = project.jug("execute", "other.py", "--jugdir", server.url, "--target", "double")
        assert setup.returncode == 0, setup.stderr
        assert _redis_snapshot(server), "the redis store is empty before the case"
    for command in case.before:
        done = project.jug(*command)
        assert done.returncode == 0, done.stderr
    for name, content in case.files.items():
        if isinstance(content, bytes):
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        else:
            project.write(name, content)
    argv = list(case.argv)
    for placeholder, value in replacements.items():
        argv = [a.replace(placeholder, value) for a in argv]

    files_before = _snapshot(tmp_path)
    redis_before = _redis_snapshot(server) if server is not None else None
    done = project.jug(*argv, env=case.env, timeout=60)
    files_after = _snapshot(tmp_path)
    redis_after = _redis_snapshot(server) if server is not None else None

    assert done.returncode == case.code, f"exit {done.returncode}\n{done.stderr}"
    if case.unchanged:
        assert files_after == files_before, "the project directory changed"
        assert redis_after == redis_before, "the redis store changed"
    else:
        # Nothing removed or altered, whatever was added.
        assert {k: files_after.get(k) for k in files_before} == files_before
    if case.check is not None:
        case.check(project)
    problems = _message_problems(case, done.stderr, tmp_path)
    if case.known_bug is None:
        assert not problems, "\n".join(problems) + "\n--- stderr:\n" + done.stderr
    elif problems:
        pytest.xfail(f"known bug: {case.known_bug}")
    else:
        pytest.fail(f"{case.id} behaves right now: remove its known_bug mark (and the docs note)")


# -- the table in the docs ---------------------------------------------------------------

_BEGIN = "<!-- begin: the tables below are written by tests/faults/test_bad_inputs.py -->"
_END = "<!-- end of the generated tables -->"


def _code(text: str) -> str:
    """*text* as a Markdown code span (which may contain backticks), ``|`` escaped."""
    text = text.replace("|", "\\|")
    if "`" in text:
        return f"`` {text} ``"
    return f"`{text}`"


def render_tables() -> str:
    """The generated part of docs/errors.md: one table per kind of input, then the
    inputs tested elsewhere."""
    out = [_BEGIN]
    kinds = list(dict.fromkeys(case.kind for case in CASES))
    for kind in kinds:
        out += ["", f"### {kind[0].upper()}{kind[1:]}", ""]
        out += ["| case | what you did | what jug says | exit |", "|---|---|---|---|"]
        for case in CASES:
            if case.kind != kind:
                continue
            says = "(nothing)" if case.says is None else _code(case.says)
            if case.shows:
                shown = " and ".join(_code(text) for text in case.shows)
                said = "with your traceback, showing" if case.traceback == "user" else "showing"
                says += f"<br>{said} {shown}"
            if case.known_bug:
                says += " — *not yet; today " + case.known_bug.replace("|", "\\|") + "*"
            out.append(f"| `{case.id}` | {case.did} | {says} | {case.code} |")
    out += ["", "### Tested elsewhere", ""]
    out += ["| test | what you did | what jug says | exit |", "|---|---|---|---|"]
    for test, did, says, code in ELSEWHERE:
        out.append(f"| `{test}` | {did} | {_code(says)} | {code} |")
    out.append(_END)
    return "\n".join(out)


def _generated_part(text: str) -> str:
    start, end = text.index(_BEGIN), text.index(_END) + len(_END)
    return text[start:end]


def test_docs_table_is_current() -> None:
    text = DOCS.read_text()
    assert _generated_part(text) == render_tables(), (
        "docs/errors.md is out of date: run `python tests/faults/test_bad_inputs.py --write`"
    )


def test_case_ids_are_unique_and_tests_elsewhere_exist() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 25
    root = DOCS.parents[1]
    for test, *_ in ELSEWHERE:
        path, name = test.split("::")
        assert f"def {name}(" in (root / path).read_text(), test


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        text = DOCS.read_text()
        DOCS.write_text(text.replace(_generated_part(text), render_tables()))
    else:
        print(render_tables())
