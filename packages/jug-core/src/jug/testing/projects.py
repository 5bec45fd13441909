"""Testing with real ``jug`` processes: scratch projects, and reading what jug prints.

:class:`JugProject` is a scratch directory where the real ``jug`` program runs (it needs
jug-cli installed when a test runs it, not when this module is imported), with its own
HOME so that the user's configuration files never apply. :func:`parse_status_table` and
:func:`parse_summary_table` read the tables that ``jug status`` and ``jug execute`` print,
:func:`wait_until` polls for what a background worker does, and :func:`counting_jugfile` /
:data:`HOLDING_JUGFILE` are jugfiles made for checking several workers at once (each task
runs exactly once; a task that waits to be released).
"""

from __future__ import annotations

import builtins
import collections
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Mapping
from pathlib import Path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "HOLDING_JUGFILE",
    "JugProject",
    "count_executions",
    "counting_jugfile",
    "parse_status_table",
    "parse_summary_table",
    "wait_until",
]


#: How the ``jug`` program is started: the test's own interpreter, so it is the jug
#: installed beside the tests whatever is on PATH.
_JUG = [sys.executable, "-m", "jug"]
#: Variables through which the caller's environment changes what jug does (the exit checks
#: of ``jug execute``, plugin loading, redis credentials); tests set them explicitly.
_JUG_SETTINGS = ("JUG_MAX_", "JUG_EXIT_", "JUG_LOAD_PLUGINS", "JUG_REDIS_", "JUG_SECRET_")


class JugProject:
    """A scratch project directory in which the real ``jug`` program runs.

    Every process started here runs in the project directory (unless told otherwise) with
    HOME set to :attr:`home`, without ``XDG_CONFIG_HOME`` and ``PYTHONPATH``, and without
    the ``JUG_*`` variables that change what jug does (``JUG_MAX_TASKS``,
    ``JUG_EXIT_IF_FILE_EXISTS``, ...): the configuration of whoever runs the tests never
    applies. A test passes the variables it wants with ``env=``.

    Parameters
    ----------
    path : path-like
        The project directory, which must exist (typically pytest's ``tmp_path``).

    Attributes
    ----------
    path : Path
        The project directory.
    home : Path
        ``path / "home"``, created here: the HOME of every process. Configuration files
        written below it (``home/.config/jug/...``) are the user's.

    Examples
    --------
    ::

        project = JugProject(tmp_path)
        project.write("jugfile.py", '''
            from jug import TaskGenerator

            @TaskGenerator
            def double(x):
                return 2 * x

            values = [double(i) for i in range(3)]
        ''')
        assert project.jug("execute").returncode == 0
        status = parse_status_table(project.jug("status").stdout)
        assert status["jugfile.double"] == [0, 0, 3, 0, 0, 0]
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.home = self.path / "home"
        self.home.mkdir(exist_ok=True)

    @property
    def env(self) -> dict[str, str]:
        """The environment of the processes started here (a new dict at each access)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(_JUG_SETTINGS)}
        env["HOME"] = str(self.home)
        env.pop("XDG_CONFIG_HOME", None)
        env.pop("PYTHONPATH", None)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        return env

    def _env(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        return {**self.env, **(extra or {})}

    def write(self, name: str, source: str) -> Path:
        """Write a file (a jugfile, a configuration file, ...) into the project.

        Parameters
        ----------
        name : str
            Path relative to the project directory; missing directories are created.
        source : str
            The text, dedented first (so it can be an indented triple-quoted string).

        Returns
        -------
        Path
            The file written.
        """
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
        return path

    def jug(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        input: str | None = None,
        cwd: str | os.PathLike[str] | None = None,
        timeout: float = 120.0,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``jug ARGS`` to completion.

        Parameters
        ----------
        *args : str
            The command line after ``jug`` (``"execute"``, ``"status", "--cache"``...).
        env : mapping, optional
            Variables added to the project's environment (:attr:`env`).
        input : str, optional
            Text for the program's standard input (default: none, as from /dev/null).
        cwd : path-like, optional
            Where to run (default: the project directory).
        timeout : float
            Seconds after which the run is an error (:exc:`subprocess.TimeoutExpired`).

        Returns
        -------
        subprocess.CompletedProcess
            With ``returncode`` and the text of ``stdout`` and ``stderr``.
        """
        return subprocess.run(
            [*_JUG, *args],
            cwd=self.path if cwd is None else cwd,
            env=self._env(env),
            input=input,
            stdin=subprocess.DEVNULL if input is None else None,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> subprocess.Popen[str]:
        """Start ``jug ARGS`` in the background (a worker, say) and return at once.

        Parameters are those of :meth:`jug`. Read the output with ``communicate()``, which
        also waits for the end; a test that leaves a process running should kill it.

        Returns
        -------
        subprocess.Popen
            The process, its ``stdout`` and ``stderr`` piped as text.
        """
        return subprocess.Popen(
            [*_JUG, *args],
            cwd=self.path if cwd is None else cwd,
            env=self._env(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def python(
        self,
        source: str,
        *args: str,
        env: Mapping[str, str] | None = None,
        timeout: float = 120.0,
    ) -> Any:
        """Run Python *source* in the project and return the JSON value it printed last.

        This is how a test looks at results: a new interpreter calls ``jug.init`` and
        prints what it found as JSON, so the test's own process never loads the jugfile.

        Parameters
        ----------
        source : str
            The program (dedented first); its last line of output must be JSON.
        *args : str
            ``sys.argv[1:]`` of the program.
        env : mapping, optional
            Variables added to the project's environment.
        timeout : float
            Seconds after which the run is an error.

        Returns
        -------
        object
            The last line of standard output, decoded as JSON.

        Raises
        ------
        AssertionError
            If the program exits with a non-zero status (its stderr is the message).
        """
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(source), *args],
            cwd=self.path,
            env=self._env(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])


def parse_status_table(stdout: str) -> dict[str, builtins.list[int]]:
    """Read the table printed by ``jug status``.

    Parameters
    ----------
    stdout : str
        What ``jug status`` printed.

    Returns
    -------
    dict
        ``{task name: [waiting, ready, finished, running, failed, stale]}``, the row of
        totals under ``"Total"``. Lines that are not rows of counts are skipped.
    """
    rows: dict[str, builtins.list[int]] = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 7 and all(p.isdigit() for p in parts[:6]):
            rows[parts[6]] = [int(p) for p in parts[:6]]
    return rows


def parse_summary_table(stdout: str) -> dict[str, builtins.list[int]]:
    """Read the summary table printed at the end of ``jug execute``.

    Parameters
    ----------
    stdout : str
        What ``jug execute`` printed.

    Returns
    -------
    dict
        ``{task name: [executed, loaded, ...]}`` (the counts of each row, in the table's
        column order), the row of totals under ``"Total"``.
    """
    rows: dict[str, builtins.list[int]] = {}
    for line in stdout.splitlines():
        parts = line.split()
        counts = [p for p in parts[:-1] if p.isdigit()]
        if parts and len(counts) == len(parts) - 1 and len(counts) >= 2:
            rows[parts[-1]] = [int(p) for p in counts]
    return rows


def wait_until(
    predicate: Callable[[], object],
    timeout: float = 30.0,
    what: str = "",
    interval: float = 0.02,
) -> None:
    """Call *predicate* every *interval* seconds until it returns something true.

    Parameters
    ----------
    predicate : callable
        Takes no argument; a true result ends the wait.
    timeout : float
        Seconds to wait at the most.
    what : str
        What is awaited, for the message of the failure.
    interval : float
        Seconds between two calls.

    Raises
    ------
    AssertionError
        If *predicate* is still false after *timeout* seconds.
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(interval)


_COUNTING_JUGFILE = """\
import os
import time
from jug import TaskGenerator

MARKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "marks")
os.makedirs(MARKS, exist_ok=True)

def mark(name):
    # O_EXCL: a second execution of the same task in the same process would raise.
    os.close(os.open(os.path.join(MARKS, f"{{name}}-{{os.getpid()}}"), os.O_CREAT | os.O_EXCL))

@TaskGenerator
def work(i):
    mark(f"work{{i}}")
    time.sleep({task_time!r})
    return i * i

@TaskGenerator
def total(xs):
    mark("total")
    return sum(xs)

results = [work(i) for i in range({tasks!r})]
total(results)
"""


def counting_jugfile(tasks: int = 199, task_time: float = 0.002) -> str:
    """The source of a jugfile whose tasks leave a mark each time they run.

    For checking that workers sharing a store run every task exactly once. It defines
    *tasks* tasks ``work(i)`` (each sleeps *task_time* seconds and returns ``i * i``) and a
    ``total`` task summing their results. Every execution of a task creates a file in the
    directory ``marks`` beside the jugfile; :func:`count_executions` counts them.

    Parameters
    ----------
    tasks : int
        How many ``work`` tasks.
    task_time : float
        Seconds each ``work`` task takes.

    Returns
    -------
    str
        Python source, to write as the jugfile.
    """
    return _COUNTING_JUGFILE.format(tasks=int(tasks), task_time=float(task_time))


def count_executions(directory: str | os.PathLike[str]) -> collections.Counter[str]:
    """How many times each task of a :func:`counting_jugfile` ran.

    Parameters
    ----------
    directory : path-like
        The directory holding the jugfile.

    Returns
    -------
    collections.Counter
        ``{"work0": 1, ..., "total": 1}`` for the tasks that ran so far (empty before any).
    """
    marks = Path(directory, "marks")
    if not marks.is_dir():
        return collections.Counter()
    return collections.Counter(p.name.rsplit("-", 1)[0] for p in marks.iterdir())


#: A jugfile of one task, ``slow(1)``, that holds on while a file ``hold`` exists beside
#: the jugfile, then returns 10. A worker running it first creates ``started-PID`` (its
#: process id) beside the jugfile. For tests of a worker that dies or is stopped in the
#: middle of a task: create ``hold``, start the worker, wait for ``started-PID``.
HOLDING_JUGFILE = """\
import os
import time
from jug import TaskGenerator

HERE = os.path.dirname(os.path.abspath(__file__))

@TaskGenerator
def slow(x):
    open(os.path.join(HERE, f"started-{os.getpid()}"), "w").close()
    while os.path.exists(os.path.join(HERE, "hold")):
        time.sleep(0.02)
    return x * 10

slow(1)
"""
