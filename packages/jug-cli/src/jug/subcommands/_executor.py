"""The execution loop behind ``jug execute``, usable from Python.

::

    from jug.subcommands._executor import Executor, ExecuteOptions
    result = Executor(store, ExecuteOptions(keep_going=True)).run(tasks)
    print(result.summary())

or, for a whole jugfile, :func:`jug.jug.execute`.

How it schedules: one bulk query (:meth:`Store.can_load_many`) finds what is already done;
from then on completions are tracked in memory with per-task counts of missing
dependencies, so the cost is linear in the number of tasks. Ready tasks are kept on a
stack, and a task's dependents go on top when it finishes, so a dependent usually runs
right after its producer (while its inputs are still in memory). Each task is locked,
checked again (another worker may have just finished it), run, saved and released; while
it runs, a background thread refreshes its lease.

Tasks locked by other workers are re-checked with a growing interval (up to
``wait_cycle_time``); a lock whose holder died goes stale after its lease and is then
reclaimed by ``lock()``. Patience is ``wait_cycle_time * nr_wait_cycles`` seconds without
any progress.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import jug
from jug.backends.base import StoreError
from jug.errors import CorruptResultError, LockNotHeldError
from jug.hooks import has_hooks, jug_hook
from jug.store import DEFAULT_LEASE, DONE, HELD, Store
from jug.task import Task, Tasklet, alltasks

from . import _log
from ._graph import TaskGraph
from ._interrupt import Deferral, deferred
from ._lease import LeaseKeeper
from ._progress import Progress
from ._table import format_table

TYPE_CHECKING = False  # as typing.TYPE_CHECKING: importing typing costs ~4 ms per process
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "ExecuteOptions",
    "ExecutionResult",
    "Executor",
    "TaskFailure",
    "execute_jugfile",
]


# Outcomes of one attempt at a task (those that complete it first: `_drain` compares).
_RAN, _LOADED, _LOCKED, _FAILED, _FAILED_ELSEWHERE = range(5)


class ExecuteOptions:
    """How :class:`Executor` runs tasks (the options of ``jug execute``).

    Attributes
    ----------
    wait_cycle_time : float
        Longest pause, in seconds, between checks on tasks other workers hold.
    nr_wait_cycles : int
        Give up after ``wait_cycle_time * nr_wait_cycles`` seconds without progress.
    keep_going : bool
        Continue with other tasks after a task fails.
    keep_failed : bool
        Mark failed tasks as failed in the store (with the traceback) instead of releasing
        their lock, so that no worker retries them until the mark is removed.
    aggressive_unload : bool
        Drop results from memory as soon as each task is done.
    target : sequence of str
        Run only tasks whose name matches one of these (see ``name_matches``), and their
        dependencies. Tasks before an unmet :func:`jug.barrier` all run regardless.
    debug : bool
        Run tasks in debug mode and show complete tracebacks.
    pdb : bool
        Start the debugger on a failing task.
    lease : float or None
        Lease length of this worker's locks (None: the store's current ``lease``).
    progress : bool or None
        Show a progress line (None: when stderr is a terminal).
    """

    #: The option names, which are also ``jug execute``'s (with ``-`` for ``_``).
    FIELDS = (
        "wait_cycle_time",
        "nr_wait_cycles",
        "keep_going",
        "keep_failed",
        "aggressive_unload",
        "target",
        "debug",
        "pdb",
        "lease",
        "progress",
    )

    def __init__(
        self,
        wait_cycle_time: float = 12.0,
        nr_wait_cycles: int = 150,
        keep_going: bool = False,
        keep_failed: bool = False,
        aggressive_unload: bool = False,
        target: Sequence[str] | str = (),
        debug: bool = False,
        pdb: bool = False,
        lease: float | None = None,
        progress: bool | None = None,
    ) -> None:
        # A plain class, not a dataclass: importing dataclasses costs every worker ~5 ms.
        self.wait_cycle_time = wait_cycle_time
        self.nr_wait_cycles = nr_wait_cycles
        self.keep_going = keep_going
        self.keep_failed = keep_failed
        self.aggressive_unload = aggressive_unload
        self.target: Sequence[str] = [target] if isinstance(target, str) else target
        self.debug = debug or pdb
        self.pdb = pdb
        self.lease = lease
        self.progress = progress
        if wait_cycle_time < 0:
            raise ValueError(
                f"the wait cycle time (--wait-cycle-time) must not be negative, not {wait_cycle_time}"
            )
        if nr_wait_cycles < 0:
            raise ValueError(
                f"the number of wait cycles (--nr-wait-cycles) must not be negative, "
                f"not {nr_wait_cycles}"
            )
        if lease is not None and lease <= 0:
            raise ValueError(f"the lease must be a positive number of seconds, not {lease}")

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.FIELDS)
        return f"ExecuteOptions({values})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not ExecuteOptions:
            return NotImplemented
        return vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def from_options(cls, options: Any) -> ExecuteOptions:
        """Take the fields present as attributes of *options* (e.g. parsed CLI options)."""
        values = {k: getattr(options, k) for k in cls.FIELDS if hasattr(options, k)}
        return cls(**values)


class TaskFailure:
    """A task that raised: its name, hash and formatted traceback."""

    __slots__ = ("name", "hash", "error")

    def __init__(self, name: str, hash: str, error: str) -> None:
        self.name = name
        self.hash = hash
        self.error = error

    def __repr__(self) -> str:
        return f"TaskFailure(name={self.name!r}, hash={self.hash!r}, error={self.error!r})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not TaskFailure:
            return NotImplemented
        return (self.name, self.hash, self.error) == (other.name, other.hash, other.error)

    __hash__ = None  # type: ignore[assignment]


class ExecutionResult:
    """What an :class:`Executor` run did.

    Attributes
    ----------
    executed : Counter
        Task name → number of tasks this worker ran.
    loaded : Counter
        Task name → number of tasks whose results were already there (or were computed
        by another worker meanwhile).
    failures : list of TaskFailure
        Tasks that raised in this worker.
    undone : int
        Tasks left without a result (failed, blocked, or held elsewhere when patience ran
        out).
    problems : list of str
        One line per reason why work was left undone.
    stop_reason : str or None
        Why an exit check (see :mod:`jug.hooks.exit_checks`) ended the run early.
    """

    def __init__(
        self,
        executed: Counter[str] | None = None,
        loaded: Counter[str] | None = None,
        failures: list[TaskFailure] | None = None,
        undone: int = 0,
        problems: list[str] | None = None,
        stop_reason: str | None = None,
    ) -> None:
        self.executed: Counter[str] = Counter() if executed is None else executed
        self.loaded: Counter[str] = Counter() if loaded is None else loaded
        self.failures: list[TaskFailure] = [] if failures is None else failures
        self.undone = undone
        self.problems: list[str] = [] if problems is None else problems
        self.stop_reason = stop_reason

    def __repr__(self) -> str:
        return (
            f"ExecutionResult(executed={self.executed!r}, loaded={self.loaded!r}, "
            f"failures={self.failures!r}, undone={self.undone!r}, "
            f"problems={self.problems!r}, stop_reason={self.stop_reason!r})"
        )

    @property
    def ok(self) -> bool:
        """Whether every task has its result and none failed here."""
        return not self.failures and self.undone == 0 and not self.problems

    @property
    def exit_code(self) -> int:
        """0 if :attr:`ok` or if an exit check stopped the run early (no task failed), else 1."""
        if self.stop_reason is not None and not self.failures:
            return 0
        return 0 if self.ok else 1

    def summary(self, short: bool = False) -> str:
        """The Executed/Loaded table (or, if *short*, one line)."""
        failed = Counter(f.name for f in self.failures)
        names = sorted(set(self.executed) | set(self.loaded) | set(failed))
        if short:
            text = (
                f"Executed {sum(self.executed.values())} tasks, loaded {sum(self.loaded.values())}"
            )
            if failed:
                text += f", {sum(failed.values())} failed"
            return text + "."
        headers = ["Executed", "Loaded"] + (["Failed"] if failed else [])
        rows = [
            (n, [self.executed[n], self.loaded[n]] + ([failed[n]] if failed else [])) for n in names
        ]
        return format_table(headers, rows)


class _Run:
    """Scheduling state for one graph (one pass over a jugfile, up to a barrier)."""

    def __init__(self, graph: TaskGraph, order: list[str], done: set[str]) -> None:
        self.graph = graph
        self.order = order
        self.done = done
        self.total = len(order)
        deps = graph.deps
        # Number of dependencies each pending task still waits for.
        self.pending: dict[str, int] = {}
        # Number of pending dependents of each task: its result is dropped at zero.
        self.users: Counter[str] = Counter()
        if len(done) < len(order):
            selected = set(order)
            pending, users = self.pending, self.users
            for h in order:
                if h in done:
                    continue
                needs = deps[h]
                if needs:  # most tasks of large projects have none: no generator for them
                    pending[h] = sum(1 for d in needs if d not in done)
                    users.update(d for d in needs if d in selected)
                else:
                    pending[h] = 0
        self.ready: list[str] = [h for h in reversed(order) if self.pending.get(h) == 0]
        self.waiting: dict[str, None] = {}
        self.retry: set[str] = set()
        self.failed_here: set[str] = set()
        self.failed_elsewhere: set[str] = set()


class Executor:
    """Runs tasks against a store: lock, run, save, release, in dependency order.

    Parameters
    ----------
    store : Store
        Where results and locks live (also installed as ``Task.store``).
    options : ExecuteOptions, optional
    reload : callable, optional
        Called with no arguments once every task is done but the jugfile stopped at a
        :func:`jug.barrier`; returns ``(tasks, complete)`` of a fresh load of the jugfile.
    stream : text stream, optional
        Where failures and progress go (default: stderr).

    Notes
    -----
    The ``on_*`` methods and :meth:`should_stop` fire the hooks of :mod:`jug.hooks`
    (override them in a subclass to observe or limit execution in other ways).
    """

    def __init__(
        self,
        store: Store,
        options: ExecuteOptions | None = None,
        *,
        reload: Callable[[], tuple[list[Task], bool]] | None = None,
        stream: Any = None,
    ) -> None:
        self.store = store
        self.options = options if options is not None else ExecuteOptions()
        self.reload = reload
        self.stream = stream if stream is not None else sys.stderr
        self.result = ExecutionResult()
        self._accounted: set[str] = set()
        self._stopped = False
        self._keeper: LeaseKeeper | None = None
        self._progress = Progress(self.stream, enabled=False)
        self._log_info = False
        self._jug_dirs = tuple(os.path.join(p, "") for p in jug.__path__)

    # -- extension points: they fire the hooks of jug.hooks ----------------------------------

    def on_start(self) -> None:
        """Called once before any task runs."""

    def on_task_loadable(self, task: Task) -> None:
        """Called when *task*'s result is found in the store (hook ``execute.task-loadable``)."""
        self._fire("execute.task-loadable", task)

    def on_task_start(self, task: Task) -> None:
        """Called after *task* is locked, right before it runs (``execute.task-pre-execute``)."""
        jug_hook("execute.task-pre-execute", (task,))

    def on_task_done(self, task: Task) -> None:
        """Called after *task* ran and its result was saved (``execute.task-executed1``)."""
        self._fire("execute.task-executed1", task)

    def on_task_failed(self, task: Task, error: str) -> None:
        """Called after *task* raised (*error* is the formatted traceback)."""
        self._fire("execute.task-failed", task, error)

    def should_stop(self) -> bool:
        """Checked before each task: return True to stop taking new tasks.

        Here: whether an exit check (hook ``execute.check-exit``) asks to stop; its
        message becomes :attr:`ExecutionResult.stop_reason` and the exit code stays 0.
        """
        if self.result.stop_reason is None and has_hooks("execute.check-exit"):
            for reason in jug_hook("execute.check-exit"):
                if reason:
                    self.result.stop_reason = str(reason)
                    break
        return self.result.stop_reason is not None

    def _fire(self, name: str, *args: Any) -> None:
        """Fire a hook; a hook calling ``sys.exit()`` (as Jug 2.x hooks did) stops the run."""
        if not has_hooks(name):
            return
        try:
            jug_hook(name, args)
        except SystemExit as exc:
            if self.result.stop_reason is None:
                self.result.stop_reason = f"a hook for {name} called sys.exit({exc.code!r})"

    def on_end(self) -> None:
        """Called once at the end, also after an error or interruption."""

    # -- main loop ------------------------------------------------------------------------

    def run(self, tasks: Iterable[Task], complete: bool = True) -> ExecutionResult:
        """Run *tasks* (and, past barriers, those of re-loaded jugfiles) to completion.

        Parameters
        ----------
        tasks : iterable of Task
            Typically ``jug.task.alltasks`` after loading the jugfile.
        complete : bool, optional
            False if loading the jugfile stopped at an unmet barrier.

        Returns
        -------
        result : ExecutionResult
        """
        opts = self.options
        if Task.store is not self.store:
            Task.store = self.store
        if opts.lease is not None:
            self.store.lease = float(opts.lease)
        lease = float(getattr(self.store, "lease", DEFAULT_LEASE) or DEFAULT_LEASE)
        self._keeper = LeaseKeeper(max(lease / 3.0, 0.05), self._lease_lost)
        self._progress = Progress(self.stream, enabled=opts.progress)
        self._log_info = _log.info_enabled()
        self.on_start()
        try:
            task_list = list(tasks)
            while True:
                all_done = self._run_graph(TaskGraph(task_list), complete)
                if complete or self._stopped:
                    break
                if not all_done:
                    self.result.problems.append(
                        "the jugfile stops at a barrier() whose tasks are not all done; "
                        "tasks after it were not considered"
                    )
                    break
                if self.reload is None:
                    self.result.problems.append(
                        "the jugfile stops at a barrier() and no way to re-load it was given"
                    )
                    break
                _log.info("tasks before the barrier are done: re-loading the jugfile")
                task_list, complete = self.reload()
                fresh = {t.hash().decode("ascii") for t in task_list} - self._accounted
                if not complete and not fresh:
                    self.result.problems.append(
                        "the jugfile stops at a barrier() although every task before it is done"
                    )
                    break
        finally:
            self._keeper.stop()
            self._progress.close()
            self.on_end()
        return self.result

    def _run_graph(self, graph: TaskGraph, complete: bool = True) -> bool:
        """Run one graph as far as possible; return whether all its tasks got results.

        ``--target`` applies only to a completely loaded jugfile: before an unmet barrier
        every task runs, since what comes after it cannot be known without them.
        """
        opts = self.options
        order = graph.order
        if opts.target and complete:
            chosen = graph.select(opts.target)
            order = [h for h in order if h in chosen]
            if not chosen:
                self.result.problems.append(f"no task matches --target {' '.join(opts.target)}")
        done = self.store.can_load_many(order)
        task_of, copies = graph.task, graph.copies
        # Per loaded task, on_task_loadable only if someone listens (a rerun of a finished
        # project is mostly this loop).
        listening = (
            has_hooks("execute.task-loadable")
            or type(self).on_task_loadable is not Executor.on_task_loadable
        )
        accounted, loaded = self._accounted, self.result.loaded
        for h in order:
            t = task_of[h]
            loadable = h in done
            t._set_loadable(loadable)
            if copies:
                for other in copies.get(h, ()):
                    other._set_loadable(loadable)
            if not loadable:
                continue
            if listening:
                self._loaded(h, t)
            elif h not in accounted:
                accounted.add(h)
                loaded[t.name] += 1
        run = _Run(graph, order, done)
        self._loop(run)
        undone = run.total - len(run.done)
        self.result.undone += undone
        if undone:
            self._explain(run, undone)
        return undone == 0

    def _loop(self, run: _Run) -> None:
        opts = self.options
        patience = opts.wait_cycle_time * opts.nr_wait_cycles
        # Short at first and growing slowly: held tasks often finish within moments
        # (several workers sharing many short tasks), and every worker waits for the last
        # of them before it exits. A check costs one listing per shard of the held tasks.
        first_pause = min(0.01, opts.wait_cycle_time)
        pause = first_pause
        last_progress = time.monotonic()
        while True:
            if self._drain(run):
                last_progress = time.monotonic()
                pause = first_pause
            if self._stopped or not run.waiting or self._stop_requested():
                return
            left = patience - (time.monotonic() - last_progress)
            if left <= 0:
                return
            self._progress.update(
                len(run.done), run.total, f"waiting for {len(run.waiting)} task(s) held elsewhere"
            )
            _log.debug("waiting %.1fs for %d task(s) held by others", pause, len(run.waiting))
            time.sleep(min(pause, left))
            pause = min(pause * 1.5, opts.wait_cycle_time) or first_pause
            finished = self.store.can_load_many(run.waiting)
            for h in list(run.waiting):
                if h in finished:
                    del run.waiting[h]
                    for t in run.graph.objects(h):
                        t._set_loadable(True)
                    self._loaded(h, run.graph.task[h])
                    self._complete(run, h)
            if finished:
                last_progress = time.monotonic()
                pause = first_pause
            # Retry the locks: holders may have released them, or died (stale leases).
            run.retry.update(run.waiting)
            run.ready.extend(reversed(run.waiting))
            run.waiting.clear()

    def _drain(self, run: _Run) -> bool:
        """Attempt every ready task; return whether any completed."""
        progressed = False
        ready, done, retry = run.ready, run.done, run.retry
        attempt, complete = self._attempt, self._complete
        while ready:
            if self._stop_requested():
                return progressed
            h = ready.pop()
            if h in done:
                continue
            if retry:
                outcome = attempt(run, h, h in retry)
                retry.discard(h)
            else:
                outcome = attempt(run, h, False)
            if outcome <= _LOADED:
                complete(run, h)
                progressed = True
            elif outcome == _LOCKED:
                run.waiting[h] = None
            elif outcome == _FAILED_ELSEWHERE:
                run.failed_elsewhere.add(h)
            else:
                run.failed_here.add(h)
                if not self.options.keep_going:
                    self._stopped = True
                    return progressed
        return progressed

    def _stop_requested(self) -> bool:
        """Ask :meth:`should_stop`; record why the run ends early."""
        if not self.should_stop():
            return False
        self._stopped = True
        if self.result.stop_reason is None:
            self.result.problems.append("stopped before all tasks were done")
        return True

    def _attempt(self, run: _Run, h: str, retry: bool) -> int:
        t = run.graph.task[h]
        if self._progress.enabled:
            self._progress.update(len(run.done), run.total, t.name)
        # A SIGTERM that comes while the lock is taken is held back until a try below can
        # free the lock (the store may grant it just before the exception would hit).
        with deferred() as deferral:
            # Locked only if no other worker stored the result meanwhile.
            outcome = t.lock_unless_done()
            if outcome == HELD:
                deferral.end()
                if retry and self.store.getlock(h).is_failed():
                    return _FAILED_ELSEWHERE
                return _LOCKED
            if outcome == DONE:
                deferral.end()
                self._loaded(h, t)
                return _LOADED
            return self._run_locked(t, h, deferral)

    def _run_locked(self, t: Task, h: str, deferral: Deferral) -> int:
        assert self._keeper is not None
        opts = self.options
        try:
            deferral.end()  # a SIGTERM held back while locking raises here, in the try
            if self._log_info:
                _log.info("executing %s (%s)", t.name, h[:12])
            self._keeper.hold(t)
            self.on_task_start(t)
            self._run_and_save(t, opts.debug)
        except StoreError as exc:
            # The store failed, not the task (e.g. redis unreachable for longer than its
            # retry time, a full disk): stop with the store's one-line message, saying which
            # task it was, and free the lock if we can.
            self._keeper.drop()
            _unlock_quietly(t)
            named = StoreError(f"task {t.name} ({h[:12]}): {exc}")
            named.errno = exc.errno
            raise named from exc
        except CorruptResultError as exc:
            # A stored result this task needs cannot be decoded: not the task's fault, and no
            # other worker can do better. Stop with one line naming the damaged task.
            self._keeper.drop()
            _unlock_quietly(t)
            if exc.name is not None:
                raise
            raise CorruptResultError(exc.key, exc.detail, _name_of(t, exc.key)) from None
        except Exception as exc:
            error = self._format_error(exc)
            self._progress.clear()
            print(f"jug: task {t.name} ({h}) failed:\n{error}", file=self.stream, flush=True)
            if opts.pdb:
                self._post_mortem(exc)
            self._keeper.drop()
            if opts.keep_failed:
                try:
                    t.fail(error)
                except LockNotHeldError:
                    _log.warning("could not mark %s as failed: its lock was lost", t.name)
            else:
                t.unlock()
            self.result.failures.append(TaskFailure(t.name, h, error))
            self._account(h, t.name, None)
            self.on_task_failed(t, error)
            return _FAILED
        except BaseException:
            # KeyboardInterrupt, SIGTERM (as raised by the CLI), SystemExit: free the task.
            self._keeper.drop()
            t.unlock()
            raise
        self._account(h, t.name, self.result.executed)
        self.on_task_done(t)
        return _RAN

    def _run_and_save(self, t: Task, debug: bool) -> None:
        """Run *t* (holding its lock), then save its result and release the lock.

        Saving and releasing go to the store together (``Store.dump_and_release``), which
        the redis store does in one round trip.
        """
        result = t._compute(debug)
        assert self._keeper is not None
        self._keeper.drop()  # no lease refresh may race the release
        t.save_and_unlock(result)

    def _complete(self, run: _Run, h: str) -> None:
        """Record that *h* has a result; make its dependents ready; free memory."""
        graph = run.graph
        run.done.add(h)
        pending = run.pending
        pending.pop(h, None)
        users = graph.dependents.get(h)
        if users:
            newly_ready = []
            for user in users:
                count = pending.get(user)
                if count is not None:
                    count -= 1
                    pending[user] = count
                    if count == 0:
                        newly_ready.append(user)
            # Reversed, so that the first dependent (in jugfile order) is popped first.
            run.ready.extend(reversed(newly_ready))
        self._release_memory(run, h)

    def _release_memory(self, run: _Run, h: str) -> None:
        graph = run.graph
        users = run.users
        unload_all = self.options.aggressive_unload
        for d in graph.deps[h]:
            users[d] -= 1
            if users[d] <= 0 or unload_all:
                for t in graph.objects(d):
                    t.unload()
        if unload_all or users.get(h, 0) <= 0:
            graph.task[h].unload()
            for t in graph.copies.get(h, ()):
                t.unload()

    def _account(self, h: str, name: str, counter: Counter[str] | None) -> None:
        if h not in self._accounted:
            self._accounted.add(h)
            if counter is not None:
                counter[name] += 1

    def _loaded(self, h: str, task: Task) -> None:
        if h not in self._accounted:
            self._account(h, task.name, self.result.loaded)
            self.on_task_loadable(task)

    def _explain(self, run: _Run, undone: int) -> None:
        if self.result.stop_reason is not None:
            return  # stopped early on purpose: what is left is for later runs
        problems = self.result.problems
        if run.waiting:
            waited = self.options.wait_cycle_time * self.options.nr_wait_cycles
            problems.append(
                f"gave up after waiting {waited:g}s for {len(run.waiting)} task(s) locked by "
                "other workers (see --wait-cycle-time and --nr-wait-cycles)"
            )
        if run.failed_elsewhere:
            problems.append(
                f"{len(run.failed_elsewhere)} task(s) are marked as failed in the store; "
                "remove the failure marks to retry them"
            )
        if run.failed_here and not self.options.keep_going:
            problems.append("stopped after a task failed (--keep-going continues with others)")
        accounted_for = len(run.waiting) + len(run.failed_elsewhere) + len(run.failed_here)
        blocked = undone - accounted_for
        if blocked > 0 and (run.failed_here or run.failed_elsewhere) and not self._stopped:
            problems.append(f"{blocked} task(s) depend on failed tasks and could not run")
        elif blocked > 0 and not self._stopped and not run.waiting:
            problems.append(f"{blocked} task(s) could not run")

    def _lease_lost(self, task: Task) -> None:
        self._progress.clear()
        _log.warning(
            "lost the lock of %s (%s): its lease expired or another worker reclaimed it; "
            "the task may run twice (is --lease too short for this machine's load?)",
            task.name,
            task.hash().decode("ascii")[:12],
        )

    def _format_error(self, exc: BaseException) -> str:
        """The traceback with the task's own frames only (all of it in debug mode).

        jug's frames (running the task, saving its result) say nothing about the error;
        when none of the user's are left (e.g. a result that cannot be pickled), only the
        exception itself is shown.
        """
        import traceback

        report = traceback.TracebackException(type(exc), exc, exc.__traceback__)
        if not self.options.debug:
            _drop_frames(report, self._jug_dirs)
        return "".join(report.format()).rstrip()

    def _post_mortem(self, exc: BaseException) -> None:
        import pdb

        pdb.post_mortem(exc.__traceback__)


def reload_jugfile(jugfile: str, argv: Sequence[str] = ()) -> tuple[list[Task], bool]:
    """Load *jugfile* again; return its tasks and whether it loaded completely."""
    from jug.runtime import load_jugfile

    _, complete = load_jugfile(jugfile, list(argv))
    return list(alltasks), complete


def execute_jugfile(
    jugfile: str = "jugfile.py",
    jugdir: str | Store | None = None,
    *,
    argv: Sequence[str] = (),
    **options: Any,
) -> ExecutionResult:
    """Load *jugfile* with its store and run its tasks (see :func:`jug.jug.execute`)."""
    from jug.runtime import _set_jug_running, default_jugdir, set_jugdir

    if not os.path.exists(jugfile) and os.path.exists(jugfile + ".py"):
        jugfile = jugfile + ".py"
    opts = ExecuteOptions(**options)
    store = set_jugdir(jugdir if jugdir is not None else default_jugdir(jugfile))
    _set_jug_running(True)
    tasks, complete = reload_jugfile(jugfile, argv)
    executor = Executor(store, opts, reload=lambda: reload_jugfile(jugfile, argv))
    return executor.run(tasks, complete)


def _unlock_quietly(t: Task) -> None:
    """Release *t*'s lock if the store lets us (it may be what just failed)."""
    try:
        t.unlock()
    except StoreError:
        pass


def _drop_frames(report: Any, prefixes: tuple[str, ...]) -> None:
    """Remove from *report* (a TracebackException, and those it chains to) frames whose
    file is under one of *prefixes*."""
    import traceback

    seen: set[int] = set()
    while report is not None and id(report) not in seen:
        seen.add(id(report))
        kept = [f for f in report.stack if not f.filename.startswith(prefixes)]
        report.stack = traceback.StackSummary.from_list(kept)
        report = report.__cause__ or report.__context__


def _name_of(t: Task, key: str) -> str | None:
    """The name of the dependency of *t* whose result is stored under *key*, if one is."""
    for dep in t.dependencies():
        task = dep
        while isinstance(task, Tasklet):
            task = task.base
        if isinstance(task, Task) and task.hash().decode() == key:
            return task.name
    return None
