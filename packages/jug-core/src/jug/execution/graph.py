"""The dependency graph of a jugfile's tasks, keyed by hash.

Building it costs one pass over the tasks and their first-level dependencies, so that
scheduling and status counting stay linear in the number of tasks.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Container, Iterable, Iterator, Sequence
from itertools import compress
from operator import attrgetter

from jug.task import Task, base_tasks, task_keys

from .matching import compile_patterns

__all__ = ["TaskGraph", "hash_graph"]


def _key(t: Task) -> str:
    return t.key()


_cached_deps = attrgetter("_deps")
_name = attrgetter("name")


def hash_graph(
    tasks: Iterable[Task],
) -> tuple[list[str], dict[str, str], dict[str, tuple[str, ...]]]:
    """The order, names and dependencies of :class:`TaskGraph`, without its Task maps.

    What ``jug status`` needs: the same ``order`` and dependencies as ``TaskGraph(tasks)``
    finds, and the name of each hash's first Task object, at a fraction of the cost.

    Parameters
    ----------
    tasks : iterable of Task
        Typically ``jug.task.alltasks``; dependencies missing from it are added.

    Returns
    -------
    order : list of str
        Hashes, every task after its dependencies (as ``TaskGraph.order``).
    names : dict
        Hash → task name, in the same order.
    deps : dict
        Hash → hashes of the tasks whose results it needs (as ``TaskGraph.deps``), only
        for tasks that need some: a hash missing from it has no dependencies (most tasks
        of a large jugfile, for which an entry each would only cost time).
    """
    tasks = tasks if isinstance(tasks, list) else list(tasks)
    # Runs of tasks without dependencies are added with C-level maps, not a Python loop
    # (which would cost more than all the rest); only the tasks with dependencies are
    # walked. dependencies() caches its tuple in _deps, read back here without a call.
    deque(map(Task.dependencies, tasks), maxlen=0)
    found = list(map(_cached_deps, tasks))
    names: dict[str, str] = {}
    deps: dict[str, tuple[str, ...]] = {}
    start = 0
    for i in compress(range(len(found)), found):
        _add_plain(tasks[start:i], names)
        _walk(tasks[i], names, deps)
        start = i + 1
    _add_plain(tasks[start:], names)
    return list(names), names, deps


def _add_plain(run: list[Task], names: dict[str, str]) -> None:
    # setdefault keeps the first Task object's name and position for a repeated hash;
    # the zero-length deque runs the map without keeping its results.
    deque(map(names.setdefault, task_keys(run), map(_name, run)), maxlen=0)


def _walk(root: Task, names: dict[str, str], deps: dict[str, tuple[str, ...]]) -> None:
    # A hash enters *names* once its dependencies are in, so that names is in graph order.
    for t, h, needs in _post_order(root, names):
        if needs is not None:
            if needs:
                deps[h] = needs
            names[h] = t.name


def _post_order(
    root: Task, seen: Container[str]
) -> Iterator[tuple[Task, str, tuple[str, ...] | None]]:
    """Walk down from *root*, depth first, dependencies before the tasks that need them.

    Yields ``(task, hash, deps)`` for each task whose hash is neither in *seen* nor met
    earlier in the walk, after its dependencies (*deps*: the hashes it needs, once each),
    and ``(task, hash, None)`` for every other Task object met with a hash already yielded.
    Dependencies missing from the jugfile's list of tasks are found this way too.
    """
    entered: set[str] = set()
    stack: list[tuple[Task, bool]] = [(root, False)]
    while stack:
        t, expanded = stack.pop()
        h = _key(t)
        if expanded:
            yield (
                t,
                h,
                tuple(dict.fromkeys(_key(b) for d in t.dependencies() for b in base_tasks(d))),
            )
        elif h in seen or h in entered:
            yield t, h, None
        else:
            entered.add(h)
            stack.append((t, True))
            for dep in t.dependencies():
                stack.extend((b, False) for b in base_tasks(dep))


class TaskGraph:
    """Tasks by hash, in dependency order, with their dependencies and dependents.

    Several Task objects with the same hash (the same call made twice) are one node.

    Parameters
    ----------
    tasks : iterable of Task
        Typically ``jug.task.alltasks``; dependencies missing from it are added.

    Attributes
    ----------
    order : list of str
        Hashes, every task after its dependencies (and otherwise in the given order).
    task : dict
        Hash → the first Task object seen with that hash.
    deps : dict
        Hash → hashes of the tasks whose results it needs.
    dependents : dict
        Hash → hashes of the tasks that need its result.
    """

    __slots__ = ("order", "task", "copies", "deps", "dependents")

    def __init__(self, tasks: Iterable[Task]) -> None:
        self.order: list[str] = []
        self.task: dict[str, Task] = {}
        self.copies: dict[str, list[Task]] = {}
        self.deps: dict[str, tuple[str, ...]] = {}
        self.dependents: dict[str, list[str]] = {}
        known = self.task
        tasks = tasks if isinstance(tasks, list) else list(tasks)
        task_keys(tasks)  # every key at once (cached in each task): faster than one by one
        for t in tasks:
            if next(t.dependencies(), None) is not None:
                self._add(t)
                continue
            # A task without dependencies (most of them, in large jugfiles): no walk.
            h = t.key()
            first = known.get(h)
            if first is None:
                known[h] = t
                self.deps[h] = ()
                self.order.append(h)
            elif first is not t:
                self._add_copy(h, t)

    def _add(self, root: Task) -> None:
        for t, h, deps in _post_order(root, self.task):
            if deps is None:
                if self.task[h] is not t:
                    self._add_copy(h, t)
                continue
            self.task[h] = t
            self.deps[h] = deps
            for d in deps:
                self.dependents.setdefault(d, []).append(h)
            self.order.append(h)

    def _add_copy(self, h: str, t: Task) -> None:
        """Record *t* as one more Task object with hash *h* (the same call made again)."""
        copies = self.copies.setdefault(h, [])
        if not any(c is t for c in copies):
            copies.append(t)

    def __len__(self) -> int:
        return len(self.order)

    def objects(self, h: str) -> list[Task]:
        """Every Task object with hash *h*."""
        return [self.task[h], *self.copies.get(h, ())]

    def matching(self, patterns: Sequence[str]) -> list[str]:
        """Hashes of the tasks whose name matches one of *patterns* (see :mod:`.matching`)."""
        matches = compile_patterns(patterns)
        return [h for h in self.order if matches(self.task[h].name)]

    def select(self, patterns: Sequence[str]) -> set[str]:
        """Hashes of the tasks whose name matches one of *patterns*, plus their dependencies."""
        chosen = self.matching(patterns)
        selected: set[str] = set()
        while chosen:
            h = chosen.pop()
            if h not in selected:
                selected.add(h)
                chosen.extend(self.deps[h])
        return selected

    def with_dependents(self, hashes: Iterable[str]) -> list[str]:
        """*hashes* and every task that depends on them, directly or not, in graph order."""
        seen: set[str] = set()
        stack = list(hashes)
        while stack:
            h = stack.pop()
            if h not in seen:
                seen.add(h)
                stack.extend(self.dependents.get(h, ()))
        return [h for h in self.order if h in seen]
