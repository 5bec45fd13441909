"""The states of a task, and counting tasks by state: what ``jug status`` shows.

One definition, used by the execution loop, ``jug status``, ``jug graph``, the shell and
the stores (:meth:`jug.store.LockInfo.state`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum

TYPE_CHECKING = False
if TYPE_CHECKING:
    from jug.store import LockInfo, Store
    from jug.task import Task

__all__ = [
    "TaskCounts",
    "TaskState",
    "count_states",
    "status_counts",
    "task_state",
    "task_states",
    "total_counts",
]


class TaskState(StrEnum):
    """Where a task stands; the members compare equal to their lower-case names.

    The order of the members is the order of ``jug status``'s columns.
    """

    #: Some dependency has no result yet.
    WAITING = "waiting"
    #: Every dependency has its result, and nobody runs the task.
    READY = "ready"
    #: The result is stored.
    FINISHED = "finished"
    #: A worker holds the task's lock and renews its lease.
    RUNNING = "running"
    #: The task is marked as failed in the store (``jug execute --keep-failed``).
    FAILED = "failed"
    #: A worker took the lock and stopped renewing it (it died, probably); the next worker
    #: that wants the task reclaims it.
    STALE = "stale"

    @property
    def heading(self) -> str:
        """The column title in ``jug status`` (``"Waiting"``, ...)."""
        return self.value.capitalize()


class TaskCounts:
    """How many tasks (of one name, say) are in each :class:`TaskState`.

    Attributes
    ----------
    waiting, ready, finished, running, failed, stale : int
        One count per state, named after the state's value.
    """

    __slots__ = tuple(s.value for s in TaskState)

    def __init__(
        self,
        waiting: int = 0,
        ready: int = 0,
        finished: int = 0,
        running: int = 0,
        failed: int = 0,
        stale: int = 0,
    ) -> None:
        self.waiting = waiting
        self.ready = ready
        self.finished = finished
        self.running = running
        self.failed = failed
        self.stale = stale

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)}" for k in self.__slots__)
        return f"TaskCounts({fields})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not TaskCounts:
            return NotImplemented
        return self.as_tuple() == other.as_tuple()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __getitem__(self, state: TaskState | str) -> int:
        count: int = getattr(self, TaskState(state).value)
        return count

    def add(self, state: TaskState | str, n: int = 1) -> None:
        """Count *n* more tasks in *state*."""
        name = TaskState(state).value
        setattr(self, name, getattr(self, name) + n)

    def as_tuple(self) -> tuple[int, ...]:
        """The counts in the order of :class:`TaskState`."""
        return tuple(getattr(self, k) for k in self.__slots__)

    def as_dict(self) -> dict[str, int]:
        """``{state value: count}`` in the order of :class:`TaskState`."""
        return {k: getattr(self, k) for k in self.__slots__}

    @property
    def total(self) -> int:
        """Number of tasks counted."""
        return sum(self.as_tuple())


def task_state(task: Task, store: Store | None = None, now: float | None = None) -> TaskState:
    """The state of one task (a few store queries: for messages, not for many tasks).

    Parameters
    ----------
    task : Task
    store : Store, optional
        Default: ``Task.store``.
    now : float, optional
        The time against which leases are judged (default: now).
    """
    from jug.task import base_tasks

    store = _store(store)
    key = task.key()
    if store.can_load(key):
        return TaskState.FINISHED
    info = store.getlock(key).info()
    if info is not None:
        return info.state(now)
    needed = [t.key() for dep in task.dependencies() for t in base_tasks(dep)]
    if needed and len(store.can_load_many(needed)) < len(set(needed)):
        return TaskState.WAITING
    return TaskState.READY


def task_states(
    order: Sequence[str],
    deps: Mapping[str, Sequence[str]],
    store: Store | None = None,
    now: float | None = None,
) -> dict[str, TaskState]:
    """The state of each task hash in *order*, asking the store twice (results, locks).

    Parameters
    ----------
    order : sequence of str
        Task hashes.
    deps : mapping
        Hash → hashes of the tasks whose results it needs (a hash missing from it needs
        none), as :class:`jug.execution.TaskGraph` or :func:`jug.execution.hash_graph`
        give them.
    store : Store, optional
        Default: ``Task.store``.
    now : float, optional
        The time against which leases are judged (default: now).
    """
    store = _store(store)
    done = store.can_load_many(order)
    infos = store.lock_infos()
    now = time.time() if now is None else now
    finished, ready, waiting = TaskState.FINISHED, TaskState.READY, TaskState.WAITING
    states: dict[str, TaskState] = {}
    for h in order:
        if h in done:
            states[h] = finished
            continue
        info = infos.get(h) if infos else None
        if info is not None:
            states[h] = info.state(now)
        else:
            needs = deps.get(h, ())
            states[h] = ready if not needs or all(d in done for d in needs) else waiting
    return states


def count_states(
    order: Sequence[str],
    names: Mapping[str, str],
    deps: Mapping[str, Sequence[str]],
    store: Store | None = None,
    now: float | None = None,
) -> dict[str, TaskCounts]:
    """Count the tasks of a graph by name and state (the states of :func:`task_states`).

    Parameters
    ----------
    order, names, deps :
        The graph, as :func:`jug.execution.hash_graph` returns it.
    store : Store, optional
        Default: ``Task.store``.
    now : float, optional
        The time against which leases are judged (default: now).

    Returns
    -------
    counts : dict
        Task name → :class:`TaskCounts`, sorted by name; tasks with one hash count once.
    """
    store = _store(store)
    done = store.can_load_many(order)
    infos = store.lock_infos()
    # Counted without a state per hash: with every task finished (the common case of a
    # large project) counting is one C-level pass over the names.
    pending: set[str]
    if len(done) == len(names):  # done is within order, order within names: all finished
        # The names' own keys, not the store's copies: a lookup by an equal string that
        # is another object costs a comparison, and so about twice as much.
        tally: dict[str, Counter[str]] = {"finished": Counter(names.values())}
        pending = set()
    else:
        tally = {"finished": Counter(map(names.__getitem__, done))}
        # A set, not a list: a hash listed twice in *order* is one task, as in task_states.
        pending = set(order)
        pending -= done
    if infos and pending and now is None:
        now = time.time()
    return _tally_by_state(tally, pending, done, names, deps, infos, now)


def _tally_by_state(
    tally: dict[str, Counter[str]],
    pending: set[str],
    done: set[str],
    names: Mapping[str, str],
    deps: Mapping[str, Sequence[str]],
    infos: Mapping[str, LockInfo],
    now: float | None,
) -> dict[str, TaskCounts]:
    """Finish counting a graph (for :func:`count_states` and the status monitor).

    *tally* holds the counts already made (task name by state, e.g. the finished ones);
    each hash of *pending* (not finished) is counted as its lock's state at *now* if
    *infos* has one, else ready (every dependency in *done*) or waiting.
    """
    if infos and pending:
        locked = pending.intersection(infos)
        if locked:
            pending = pending - locked
            for h in locked:
                tally.setdefault(infos[h].state(now).value, Counter())[names[h]] += 1
    # Only a task with dependencies can wait: the others are counted at C speed.
    needy = pending.intersection(deps)
    ready = list(map(names.__getitem__, pending - needy if needy else pending))
    waiting: list[str] = []
    for h in needy:
        needs = deps[h]
        if not needs or done.issuperset(needs):
            ready.append(names[h])
        else:
            waiting.append(names[h])
    tally["ready"] = Counter(ready)
    tally["waiting"] = Counter(waiting)
    counts: dict[str, TaskCounts] = {}
    for state, by_name in tally.items():
        for name, n in by_name.items():
            c = counts.get(name)
            if c is None:
                c = counts[name] = TaskCounts()
            setattr(c, state, getattr(c, state) + n)
    return dict(sorted(counts.items()))


def status_counts(
    tasks: Iterable[Task] | None = None, store: Store | None = None, now: float | None = None
) -> dict[str, TaskCounts]:
    """Count *tasks* by name and state, with two bulk store queries.

    Parameters
    ----------
    tasks : iterable of Task, optional
        Default: the tasks of the jugfile loaded last (``jug.task.alltasks``).
    store : Store, optional
        Default: ``Task.store``.
    now : float, optional
        The time against which leases are judged (default: now).

    Returns
    -------
    counts : dict
        Task name → :class:`TaskCounts`, sorted by name. Tasks with the same hash count
        once.
    """
    from jug.task import alltasks

    from .graph import hash_graph

    order, names, deps = hash_graph(alltasks if tasks is None else tasks)
    return count_states(order, names, deps, store, now)


def total_counts(counts: Mapping[str, TaskCounts]) -> TaskCounts:
    """The sum of *counts* over all names."""
    total = TaskCounts()
    for c in counts.values():
        for name in TaskCounts.__slots__:
            setattr(total, name, getattr(total, name) + getattr(c, name))
    return total


def _store(store: Store | None) -> Store:
    if store is not None:
        return store
    from jug.task import Task

    return Task.store
