"""The execution loop: lock, run, save, release, in dependency order.

How it schedules: one bulk query (:meth:`jug.store.Store.can_load_many`) finds what is
already done; from then on completions are tracked in memory with per-task counts of
missing dependencies, so the cost is linear in the number of tasks. Ready tasks are kept
on a stack, and a task's dependents go on top when it finishes, so a dependent usually
runs right after its producer (while its inputs are still in memory). Each task is locked
unless another worker stored its result meanwhile (:meth:`jug.store.Store.lock_unless_done`),
run, saved and released together (:meth:`jug.store.Store.dump_and_release`); while it runs,
a background thread refreshes its lease.

Tasks locked by other workers are checked again with a growing pause (up to
``wait_cycle_time``); a lock whose holder died goes stale after its lease and is then
reclaimed by the next attempt. Patience is ``wait_cycle_time * nr_wait_cycles`` seconds
without any progress.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

from jug import log
from jug.errors import CorruptResultError, JugError, LockNotHeldError, StoreError
from jug.store import DEFAULT_LEASE, LockOutcome, Store
from jug.task import Task, base_tasks

from . import hooks
from ._lease import LeaseKeeper
from ._progress import Progress
from .graph import TaskGraph
from .hooks import HookPoint
from .interrupts import Deferral, deferred
from .options import ExecutionOptions
from .records import SHORT_TASK, ProvenanceRecorder
from .result import ExecutionResult, StopReason, TaskFailure
from .timelimit import TimeBudget, find_end_time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from jug.store import RecordContext

    from .retries import Retrier

__all__ = ["Executor", "execute"]


# Outcomes of one attempt at a task (those that complete it first: `_drain` compares).
_RAN, _LOADED, _LOCKED, _FAILED, _FAILED_ELSEWHERE = range(5)

# The enum members the loop meets per task, looked up once: reading a member as an
# attribute of its Enum class costs ~0.1 us on Python 3.11, ~2% of a trivial task's time.
_HELD, _DONE = LockOutcome.HELD, LockOutcome.DONE
_TASK_LOADABLE, _TASK_PRE_EXECUTE = HookPoint.TASK_LOADABLE, HookPoint.TASK_PRE_EXECUTE
_TASK_EXECUTED, _CHECK_EXIT = HookPoint.TASK_EXECUTED, HookPoint.CHECK_EXIT
_time_ns = time.time_ns


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
        # Tasks not started because they would not finish before the end time.
        self.set_aside: dict[str, None] = {}


class Executor:
    """Runs tasks against a store, sharing the work with any other worker on that store.

    Parameters
    ----------
    store : Store
        Where results and locks live (also installed as ``Task.store``).
    options : ExecutionOptions, optional
    reload : callable, optional
        Called with no arguments once every task is done but the jugfile stopped at a
        :func:`jug.barrier`; returns ``(tasks, complete)`` of a fresh load of the jugfile
        (see :func:`jug.jugfile.load_tasks`).
    stream : text stream, optional
        Where failures and the progress line go (default: stderr).

    Notes
    -----
    The ``on_*`` methods and :meth:`should_stop` fire the hook points of
    :mod:`jug.execution.hooks`; a subclass may override them to observe or limit a run.
    """

    def __init__(
        self,
        store: Store,
        options: ExecutionOptions | None = None,
        *,
        reload: Callable[[], tuple[list[Task], bool]] | None = None,
        stream: Any = None,
    ) -> None:
        self.store = store
        self.options = options if options is not None else ExecutionOptions()
        self.reload = reload
        self.stream = stream if stream is not None else sys.stderr
        self.result = ExecutionResult()
        self._accounted: set[str] = set()
        self._stopped = False
        self._keeper: LeaseKeeper | None = None
        self._progress = Progress(self.stream, enabled=False)
        self._log_info = False
        self._recorder: ProvenanceRecorder | None = None
        # With code_hash: task function -> its record context (see .codehash).
        self._code_contexts: Mapping[Any, RecordContext] | None = None
        self._retrier: Retrier | None = None
        # A load of the jugfile made while deciding whether to go on past a barrier.
        self._reloaded: tuple[list[Task], bool] | None = None
        #: What the time left allows (None: no end time is known), set by :meth:`run`.
        self.time_budget: TimeBudget | None = None
        # (message, signal) once stop() was called.
        self._stop_request: tuple[str, int | None] | None = None
        self._out_of_time = False

    # -- extension points -----------------------------------------------------------------

    def on_start(self) -> None:
        """Called once before any task runs."""

    def on_task_loadable(self, task: Task) -> None:
        """Called when *task*'s result is found in the store (:attr:`HookPoint.TASK_LOADABLE`)."""
        self._fire(_TASK_LOADABLE, task)

    def on_task_start(self, task: Task) -> None:
        """Called after *task* is locked, right before it runs (:attr:`HookPoint.TASK_PRE_EXECUTE`)."""
        if hooks.listening(_TASK_PRE_EXECUTE):
            hooks.fire(_TASK_PRE_EXECUTE, task)

    def on_task_done(self, task: Task) -> None:
        """Called after *task* ran and its result was saved (:attr:`HookPoint.TASK_EXECUTED`)."""
        self._fire(_TASK_EXECUTED, task)

    def on_task_failed(self, task: Task, error: str) -> None:
        """Called after *task* raised (on its last attempt); *error* is the traceback, or with
        retries the failure record of every attempt (:attr:`HookPoint.TASK_FAILED`)."""
        self._fire(HookPoint.TASK_FAILED, task, error)

    def should_stop(self) -> bool:
        """Checked before each task: return True to take no new task.

        Here: whether a listener of :attr:`HookPoint.CHECK_EXIT` (an exit check) returns a
        message; it becomes :attr:`ExecutionResult.stop_message`, and the run ends with
        :attr:`StopReason.EXIT_CHECK` (not a failure).
        """
        if self.result.stop_message is None and hooks.listening(_CHECK_EXIT):
            for message in hooks.fire(_CHECK_EXIT):
                if message:
                    self.result.stop_message = str(message)
                    break
        return self.result.stop_message is not None

    def on_end(self) -> None:
        """Called once at the end, also after an error or an interruption."""

    def stop(self, message: str, signal: int | None = None) -> None:
        """Take no new task: the run ends once the running task (if any) is done.

        Safe to call from a signal handler or another thread. The run ends with
        :attr:`StopReason.STOPPED`, *message* as :attr:`ExecutionResult.stop_message`
        and *signal* as :attr:`ExecutionResult.signal` (its exit code is then
        128 + *signal*).
        """
        # No lock or Event here: a signal handler may run while the main thread holds it.
        if self._stop_request is None:
            self._stop_request = (message, signal)

    def running_task_fits(self) -> bool:
        """Whether the running task is expected to end before the end time, from the
        recorded durations of its name; True if no task runs, no end time is known, or
        nothing is expected of the task."""
        budget = self.time_budget
        return budget is None or budget.running_fits()

    def _fire(self, point: HookPoint, *args: Any) -> None:
        """Fire a hook; a listener calling ``sys.exit()`` (as Jug 2.x hooks did) stops the run."""
        if not hooks.listening(point):
            return
        try:
            hooks.fire(point, *args)
        except SystemExit as exc:
            if self.result.stop_message is None:
                self.result.stop_message = f"a hook for {point.value} called sys.exit({exc.code!r})"

    # -- main loop ------------------------------------------------------------------------

    def run(self, tasks: Iterable[Task], complete: bool = True) -> ExecutionResult:
        """Run *tasks* (and, past barriers, those of the reloaded jugfile) as far as possible.

        Parameters
        ----------
        tasks : iterable of Task
            Typically ``jug.task.alltasks`` after loading the jugfile; dependencies missing
            from it are found and run too.
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
        self._log_info = log.info_enabled()
        # Provenance of each result, for the stores that keep records.
        self._recorder = ProvenanceRecorder() if self.store.keeps_records else None
        if opts.code_hash:
            self._code_contexts = _code_contexts(self._recorder)
        self.time_budget = self._make_budget()
        if opts.retries:
            from .retries import Retrier

            self._retrier = Retrier(self, opts.retries, opts.retry_delay)
        self.on_start()
        try:
            task_list = list(tasks)
            while True:
                graph = TaskGraph(task_list)
                all_done = self._run_graph(graph, complete)
                if complete or self._stopped:
                    break
                if not all_done:
                    self._problem(
                        StopReason.BLOCKED,
                        "the jugfile stops at a barrier() whose tasks are not all done; "
                        "tasks after it were not considered",
                    )
                    break
                if opts.target and not self._past_barrier(graph):
                    break
                if self.reload is None:
                    self._problem(
                        StopReason.BLOCKED,
                        "the jugfile stops at a barrier() and no way to reload it was given",
                    )
                    break
                log.info("tasks before the barrier are done: reloading the jugfile")
                reloaded, self._reloaded = self._reloaded, None
                task_list, complete = reloaded if reloaded is not None else self.reload()
                fresh = {t.key() for t in task_list} - self._accounted
                if not complete and not fresh:
                    self._problem(
                        StopReason.BLOCKED,
                        "the jugfile stops at a barrier() although every task before it is done",
                    )
                    break
        finally:
            self._keeper.stop()
            self._progress.close()
            self.on_end()
        return self.result

    def _make_budget(self) -> TimeBudget | None:
        """The time budget of this run: from ``end_time``, else the batch job's end."""
        opts = self.options
        end = opts.end_time
        if end is None:
            found = find_end_time()
            if found is None:
                return None
            end = found.end
            log.info("the batch job ends at %s (from %s)", _clock(end), found.source)
        if end == float("inf"):
            return None
        return TimeBudget(end, task_time=opts.task_time, margin=opts.time_margin)

    def _past_barrier(self, graph: TaskGraph) -> bool:
        """With ``target``, at an unmet barrier: whether every task before it is done, or
        the jugfile passes it anyway (a :func:`jug.bvalue` of targeted tasks). If not,
        the run stops here (:attr:`StopReason.TARGET_BLOCKED`): passing the barrier needs
        tasks the target does not select, and running them is not this run's job."""
        left = [h for h in graph.order if h not in self.store.can_load_many(graph.order)]
        if not left or self.reload is None:
            return not left
        tasks, complete = self.reload()
        if complete or not {t.key() for t in tasks} <= set(graph.order):
            self._reloaded = (tasks, complete)
            return True
        names = Counter(graph.task[h].name for h in left)
        shown = ", ".join(f"{name} ({n})" for name, n in sorted(names.items())[:3])
        more = ", ..." if len(names) > 3 else ""
        self.result.end = StopReason.TARGET_BLOCKED
        self.result.stop_message = (
            f"the jugfile stops at a barrier() before which {len(left)} task(s) that "
            f"--target does not select have not run: {shown}{more}; run them (jug execute "
            "without --target) to go past it"
        )
        return False

    def _problem(self, reason: StopReason, message: str) -> None:
        """Record why work is left undone (the first reason is why the run ended)."""
        if self.result.end is StopReason.FINISHED:
            self.result.end = reason
        self.result.problems.append(message)

    def _run_graph(self, graph: TaskGraph, complete: bool = True) -> bool:
        """Run one graph as far as possible; return whether all its tasks got results.

        With ``target``, only the selected tasks (and what they need) run, before a barrier
        too; matching nothing is an error only in a completely loaded jugfile (the tasks
        may come after the barrier).
        """
        opts = self.options
        order = graph.order
        if opts.target:
            chosen = graph.select(opts.target)
            order = [h for h in order if h in chosen]
            if not chosen and complete:
                self._problem(
                    StopReason.BLOCKED, f"no task matches --target {' '.join(opts.target)}"
                )
        done = self.store.can_load_many(order)
        task_of, copies = graph.task, graph.copies
        # Per loaded task, on_task_loadable only if someone listens (a rerun of a finished
        # project is mostly this loop).
        listening = (
            hooks.listening(HookPoint.TASK_LOADABLE)
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
        budget = self.time_budget
        if budget is not None and done:
            # What to expect of each task name: the recorded durations of finished tasks.
            names = {h: task_of[h].name for h in done}
            budget.load(self.store, names, done)
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
            budget = self.time_budget
            if budget is not None:
                # Waiting for tasks held elsewhere is pointless once no task would fit.
                time_left = budget.left() - budget.margin
                if time_left <= 0:
                    self._out_of_time = True
                    return
                left = min(left, time_left)
            self._progress.update(
                len(run.done), run.total, f"waiting for {len(run.waiting)} task(s) held elsewhere"
            )
            log.debug("waiting %.1fs for %d task(s) held by others", pause, len(run.waiting))
            self._pause(min(pause, left))
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

    def _pause(self, seconds: float) -> None:
        """Sleep *seconds*, or less once :meth:`stop` is called (checked every 0.25 s)."""
        end = time.monotonic() + seconds
        while self._stop_request is None:
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, 0.25))

    def _drain(self, run: _Run) -> bool:
        """Attempt every ready task; return whether any completed."""
        progressed = False
        ready, done, retry = run.ready, run.done, run.retry
        attempt, complete = self._attempt, self._complete
        budget = self.time_budget
        while ready:
            if self._stop_requested():
                return progressed
            h = ready.pop()
            if h in done:
                continue
            if budget is not None and not budget.fits(run.graph.task[h].name):
                run.set_aside[h] = None  # would not finish in time: left for others
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
        if self._stop_request is not None:
            if not self._stopped:
                self._stopped = True
                message, signal = self._stop_request
                if self.result.end is StopReason.FINISHED:
                    self.result.end = StopReason.STOPPED
                    self.result.stop_message = message
                    self.result.signal = signal
            return True
        if not self.should_stop():
            return False
        self._stopped = True
        if self.result.stop_message is not None:
            if self.result.end is StopReason.FINISHED:
                self.result.end = StopReason.EXIT_CHECK
        else:
            self._problem(StopReason.EXIT_CHECK, "stopped before all tasks were done")
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
            if outcome is _HELD:
                deferral.end()
                if retry and self.store.getlock(h).is_failed():
                    return _FAILED_ELSEWHERE
                return _LOCKED
            if outcome is _DONE:
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
                log.info("executing %s (%s)", t.name, h[:12])
            self._keeper.hold(t)
            self.on_task_start(t)
            budget = self.time_budget
            if self._retrier is not None:
                self._retrier.run(t, h)  # see .retries
            elif budget is None:
                self._run_and_save(t, opts.debug)
            else:
                budget.started(t.name)
                try:
                    self._run_and_save(t, opts.debug)
                except BaseException:
                    budget.running = None  # no duration learnt from a task that did not end
                    raise
                budget.finished(t.name)
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
            raise exc.with_name(_name_of(t, exc.key)) from None
        except Exception as exc:
            from jug._traceback import user_traceback

            error = user_traceback(exc, keep_jug_frames=opts.debug)
            record, attempts, failed = error, 1, "failed"
            if self._retrier is not None:  # every attempt's traceback goes on record
                record, attempts, failed = self._retrier.final(error)
            self._progress.clear()
            print(f"jug: task {t.name} ({h}) {failed}:\n{error}", file=self.stream, flush=True)
            if opts.pdb:
                import pdb

                pdb.post_mortem(exc.__traceback__)
            self._keeper.drop()
            if opts.keep_failed:
                try:
                    t.fail(record)
                except LockNotHeldError:
                    log.warning("could not mark %s as failed: its lock was lost", t.name)
            else:
                t.unlock()
            self.result.failures.append(TaskFailure(t.name, h, record, attempts))
            self._account(h, t.name, None)
            self.on_task_failed(t, record)
            return _FAILED
        except BaseException:
            # KeyboardInterrupt, SIGTERM (see .interrupts), SystemExit: free the task.
            self._keeper.drop()
            t.unlock()
            raise
        self._account(h, t.name, self.result.executed)
        self.on_task_done(t)
        return _RAN

    def _run_and_save(self, t: Task, debug: bool) -> None:
        """Run *t* (holding its lock), then save its result (with its provenance record,
        if the store keeps records) and release the lock together."""
        assert self._keeper is not None
        recorder = self._recorder
        if recorder is None:
            result = t._compute(debug)
            self._keeper.drop()  # no lease refresh may race the release
            t.save_and_unlock(result)
            return
        started = _time_ns()
        result = t._compute(debug)
        ended = _time_ns()
        self._keeper.drop()
        # recorder.record(started, duration), written out: a call costs ~1 % of a trivial
        # task (callgrind). The record is a tuple around the run's one RecordContext.
        duration = ended - started if ended > started else 0
        if duration >= SHORT_TASK or recorder.short_left <= 0:
            recorder.measure_rss()
        else:
            recorder.short_left -= 1
        context = recorder.context
        if self._code_contexts is not None:
            try:
                context = self._code_contexts[t.f]
            except TypeError:  # an unhashable callable object: saved without a fingerprint
                pass
        t.save_and_unlock(result, (context, started, duration, recorder.rss))

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
        if self.result.end is StopReason.EXIT_CHECK and self.result.stop_message is not None:
            return  # stopped early on purpose: what is left is for later runs
        if self.result.end is StopReason.STOPPED:
            return
        budget = self.time_budget
        stopped_by_failure = run.failed_here and not self.options.keep_going
        if budget is not None and (run.set_aside or self._out_of_time) and not stopped_by_failure:
            # Out of time: what is left (and what depends on it) is for other workers.
            self._stopped = True
            if self.result.end is StopReason.FINISHED:
                self.result.end = StopReason.TIME_LIMIT
                if run.set_aside:
                    first = run.graph.task[next(iter(run.set_aside))].name
                    why = (
                        f"{len(run.set_aside)} task(s) not started, as they would not "
                        f"finish before {_clock(budget.end)}: {budget.describe(first)}"
                    )
                else:
                    why = (
                        f"stopped waiting for {len(run.waiting)} task(s) held by other "
                        f"workers: the end, {_clock(budget.end)}, is near"
                    )
                self.result.stop_message = why
            return
        if run.waiting:
            waited = self.options.wait_cycle_time * self.options.nr_wait_cycles
            self._problem(
                StopReason.GAVE_UP_WAITING,
                f"gave up after waiting {waited:g}s for {len(run.waiting)} task(s) locked by "
                "other workers (see --wait-cycle-time and --nr-wait-cycles)",
            )
        if run.failed_here and not self.options.keep_going:
            self._problem(
                StopReason.TASK_FAILED,
                "stopped after a task failed (--keep-going continues with others)",
            )
        if run.failed_elsewhere:
            self._problem(
                StopReason.BLOCKED,
                f"{len(run.failed_elsewhere)} task(s) are marked as failed in the store; "
                "remove the failure marks to retry them",
            )
        accounted_for = len(run.waiting) + len(run.failed_elsewhere) + len(run.failed_here)
        blocked = undone - accounted_for
        if blocked > 0 and (run.failed_here or run.failed_elsewhere) and not self._stopped:
            self._problem(
                StopReason.BLOCKED, f"{blocked} task(s) depend on failed tasks and could not run"
            )
        elif blocked > 0 and not self._stopped and not run.waiting:
            self._problem(StopReason.BLOCKED, f"{blocked} task(s) could not run")
        if run.failed_here and self.result.end is StopReason.FINISHED:
            self.result.end = StopReason.TASK_FAILED

    def _lease_lost(self, task: Task) -> None:
        self._progress.clear()
        log.warning(
            "lost the lock of %s (%s): its lease expired or another worker reclaimed it; "
            "the task may run twice (is --lease too short for this machine's load?)",
            task.name,
            task.key()[:12],
        )


def execute(
    tasks_or_jugfile: str | os.PathLike[str] | Iterable[Task] = "jugfile.py",
    store_or_jugdir: Store | str | None = None,
    *,
    argv: Sequence[str] = (),
    options: ExecutionOptions | None = None,
    stream: Any = None,
    **option_values: Any,
) -> ExecutionResult:
    """Run tasks as ``jug execute`` does, sharing the work with every other worker of the store.

    Parameters
    ----------
    tasks_or_jugfile : path-like or iterable of Task, optional
        A jugfile to load (default ``jugfile.py``; ``.py`` is added if needed), or tasks
        already defined. Past a :func:`jug.barrier`, a jugfile is loaded again once the
        tasks before it are done; tasks given directly are run as far as they can.
    store_or_jugdir : Store or str, optional
        Where results live: a store, or a jugdir string (a directory, ``redis://…``,
        ``dict_store``, ...). Default: for a jugfile, its name with ``.jugdata``; for
        tasks, the current ``Task.store``. A store opened here is closed at the end.
    argv : sequence of str, optional
        The jugfile's arguments (its ``sys.argv[1:]`` while it loads).
    options : ExecutionOptions, optional
        How to run; or give its fields as keywords (``keep_going=True``, ...).
    stream : text stream, optional
        Where failures and the progress line go (default: stderr).

    Returns
    -------
    ExecutionResult
        What ran, what was loaded, what failed, and why the run ended.

    Raises
    ------
    jug.errors.JugfileError
        If the jugfile is missing or raises while loading.
    jug.errors.StoreError
        If the store fails (disk full, server unreachable...).

    Examples
    --------
    Two processes running this share the tasks, as two ``jug execute`` would::

        from jug.execution import execute
        result = execute("primes.py", "primes.jugdata", keep_going=True)
        print(result.summary())
    """
    if options is None:
        options = ExecutionOptions(**option_values)
    elif option_values:
        options = options.replace(**option_values)
    from jug.jugfile import default_jugdir, load_tasks, resolve_jugfile
    from jug.runtime import set_jugdir

    jugfile: str | None = None
    if isinstance(tasks_or_jugfile, (str, os.PathLike)):
        jugfile = resolve_jugfile(tasks_or_jugfile)
        if store_or_jugdir is None:
            store_or_jugdir = default_jugdir(jugfile)
    owned = isinstance(store_or_jugdir, str)
    if store_or_jugdir is None:
        if not Task.store:
            raise JugError(
                "execute() needs a store for these tasks: pass a store or jugdir, or call "
                "jug.set_jugdir() first"
            )
        store = Task.store
    else:
        store = set_jugdir(store_or_jugdir)
    try:
        reload: Callable[[], tuple[list[Task], bool]] | None = None
        if jugfile is not None:
            reload = functools.partial(load_tasks, jugfile, list(argv))
            tasks, complete = reload()
        else:
            assert not isinstance(tasks_or_jugfile, (str, os.PathLike))
            tasks, complete = list(tasks_or_jugfile), True
        return Executor(store, options, reload=reload, stream=stream).run(tasks, complete)
    finally:
        if owned:
            store.close()


def _code_contexts(recorder: ProvenanceRecorder | None) -> Mapping[Any, RecordContext] | None:
    """With ``code_hash``: task function → record context of its tasks' results (the run's
    fields, plus the function's fingerprint), or None (with a warning) if the store keeps
    no records."""
    if recorder is None:
        log.warning(
            "--code-hash: this store keeps no provenance records, so no code fingerprints are saved"
        )
        return None
    from .codehash import CodeFingerprints

    return CodeFingerprints(recorder.context).contexts


def _clock(when: float) -> str:
    """*when* (seconds since the epoch) as local ``HH:MM:SS`` (with the date if not today)."""
    now = time.localtime()
    then = time.localtime(when)
    fmt = "%H:%M:%S" if then[:3] == now[:3] else "%Y-%m-%d %H:%M:%S"
    return time.strftime(fmt, then)


def _unlock_quietly(t: Task) -> None:
    """Release *t*'s lock if the store lets us (it may be what just failed)."""
    try:
        t.unlock()
    except StoreError:
        pass


def _name_of(t: Task, key: str) -> str | None:
    """The name of the dependency of *t* whose result is stored under *key*, if one is."""
    for dep in t.dependencies():
        for task in base_tasks(dep):
            if task.key() == key:
                return task.name
    return None
