"""Invalidating results: removing them, and everything computed from them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from jug import log
from jug.store import Store, as_key

from .graph import TaskGraph

__all__ = ["Invalidation", "invalidate"]


class Invalidation:
    """What :func:`invalidate` did.

    Attributes
    ----------
    matched : int
        Tasks it was asked to invalidate.
    affected : int
        Those tasks plus every task depending on them (directly or not).
    removed : Counter
        Task name → number of results removed.
    failure_marks : int
        Failure records removed (so that the tasks run again).
    running : list of str
        Names of affected tasks that a worker is running now (their results come back
        when they finish).
    """

    def __init__(self, matched: int = 0) -> None:
        self.matched = matched
        self.affected = 0
        self.removed: Counter[str] = Counter()
        self.failure_marks = 0
        self.running: list[str] = []

    def __repr__(self) -> str:
        return (
            f"Invalidation(matched={self.matched}, affected={self.affected}, "
            f"removed={dict(self.removed)!r}, failure_marks={self.failure_marks}, "
            f"running={self.running!r})"
        )


def invalidate(graph: TaskGraph, hashes: Sequence[str], store: Store) -> Invalidation:
    """Remove the results of *hashes* and of all their dependents in *graph*.

    Also removes the failure records of those tasks, and unloads their results from
    memory. Live locks are left alone: a task being computed now stores its result when it
    ends (see :attr:`Invalidation.running`).

    Parameters
    ----------
    graph : TaskGraph
    hashes : sequence of str
        The tasks to invalidate (their dependents follow).
    store : Store
    """
    out = Invalidation(matched=len(hashes))
    affected = graph.with_dependents(hashes)
    out.affected = len(affected)
    present = store.can_load_many(affected)
    # One call: a store may remove many at once (the file store rewrites its pack once).
    removed = {as_key(k) for k in store.remove_many([h for h in affected if h in present])}
    for h in affected:
        if h in removed:
            log.info("invalidated %s (%s)", graph.task[h].name, h)
            out.removed[graph.task[h].name] += 1
        for t in graph.objects(h):
            t.unload()
            t._set_loadable(False)
    infos = store.lock_infos()
    for h in affected:
        info = infos.get(h)
        if info is None:
            continue
        if info.failed:
            store.getlock(h).force_release()
            out.failure_marks += 1
        elif not info.is_stale():
            out.running.append(graph.task[h].name)
    return out
