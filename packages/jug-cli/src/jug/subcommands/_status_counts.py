"""Counting tasks by state, per task name: the Python API behind ``jug status``."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from jug.store import Store
from jug.task import Task, alltasks

from ._graph import hash_graph

__all__ = [
    "STATES",
    "TaskCounts",
    "count_states",
    "status_counts",
    "task_states",
    "total_counts",
]

#: Column titles of ``jug status``, in the order of :class:`TaskCounts`' fields.
STATES = ("Waiting", "Ready", "Finished", "Running", "Failed", "Stale")


class TaskCounts:
    """How many tasks of one name are in each state.

    Attributes
    ----------
    waiting : int
        Some dependency has no result yet.
    ready : int
        Every dependency has its result; nobody runs it.
    finished : int
        The result is stored.
    running : int
        Locked by a worker whose lease is alive.
    failed : int
        Marked as failed (``jug execute --keep-failed``).
    stale : int
        Locked by a worker that stopped refreshing its lease (it died, probably); the next
        ``jug execute`` reclaims it.

    Notes
    -----
    A plain class, not a dataclass: importing :mod:`dataclasses` would cost every
    ``jug status`` about 5 ms.
    """

    __slots__ = ("waiting", "ready", "finished", "running", "failed", "stale")

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

    def as_tuple(self) -> tuple[int, ...]:
        """The counts in the order of :data:`STATES`."""
        return tuple(getattr(self, k) for k in self.__slots__)

    @property
    def total(self) -> int:
        """Number of tasks counted."""
        return sum(self.as_tuple())


def status_counts(
    tasks: Iterable[Task] | None = None, store: Store | None = None, now: float | None = None
) -> dict[str, TaskCounts]:
    """Count *tasks* by state and name, with two bulk store queries.

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
    order, names, deps = hash_graph(alltasks if tasks is None else tasks)
    return count_states(order, names, deps, store, now)


def task_states(
    order: Sequence[str],
    deps: Mapping[str, Sequence[str]],
    store: Store | None = None,
    now: float | None = None,
) -> dict[str, str]:
    """The state of each task hash in *order*: a lower-case name from :data:`STATES`.

    Parameters
    ----------
    order : sequence of str
        Task hashes.
    deps : mapping
        Hash → hashes of the tasks whose results it needs (a hash missing from it needs
        none).
    store : Store, optional
        Default: ``Task.store``.
    now : float, optional
        The time against which leases are judged (default: now).
    """
    store = Task.store if store is None else store
    done = store.can_load_many(order)
    infos = store.lock_infos()
    now = time.time() if now is None else now
    states: dict[str, str] = {}
    for h in order:
        if h in done:
            states[h] = "finished"
            continue
        info = infos.get(h) if infos else None
        if info is not None:
            states[h] = info.state(now)
        else:
            needs = deps.get(h, ())
            states[h] = "ready" if not needs or all(d in done for d in needs) else "waiting"
    return states


def count_states(
    order: Sequence[str],
    names: Mapping[str, str],
    deps: Mapping[str, Sequence[str]],
    store: Store | None = None,
    now: float | None = None,
) -> dict[str, TaskCounts]:
    """Like :func:`status_counts`, for a graph given as hashes, names and dependencies.

    *order*, *names* and *deps* are as :func:`._graph.hash_graph` returns them. The
    states are those of :func:`task_states`, counted without a state per hash: with every
    task finished (the common case of a large project), counting is one C-level pass over
    the names.
    """
    store = Task.store if store is None else store
    done = store.can_load_many(order)
    infos = store.lock_infos()
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
    if infos and pending:
        now = time.time() if now is None else now
        locked = pending.intersection(infos)
        pending -= locked
        for h in locked:
            tally.setdefault(infos[h].state(now), Counter())[names[h]] += 1
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


def total_counts(counts: dict[str, TaskCounts]) -> TaskCounts:
    """The sum of *counts* over all names."""
    total = TaskCounts()
    for c in counts.values():
        for name in TaskCounts.__slots__:
            setattr(total, name, getattr(total, name) + getattr(c, name))
    return total
