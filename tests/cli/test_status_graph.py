"""The status-only graph and counting agree with TaskGraph and task_states."""

from __future__ import annotations

import time
from collections import Counter

from jug import TaskGenerator
from jug.execution.graph import TaskGraph, hash_graph
from jug.execution.states import TaskState, count_states, task_states
from jug.store import LockInfo
from jug.task import alltasks


@TaskGenerator
def leaf(i):
    return [i, i + 1]


@TaskGenerator
def join(*xs):
    return xs


def _mixed_jugfile() -> list:
    """Plain tasks, repeated calls, Tasklets, shared and missing dependencies."""
    leaves = [leaf(i) for i in range(6)]
    leaf(2)  # the same call again: one node
    first = join(leaves[0], leaves[1][0])  # a Task and a Tasklet of another
    second = join(first, leaves[1], leaves[2][1], leaves[2][1])
    hidden = leaf(99)
    tasks = list(alltasks)
    tasks.remove(hidden)  # only reachable through `third`: added before it
    third = join(hidden, second)
    tasks.append(third)
    tasks.insert(0, join(leaves[5]))  # listed before its dependency
    return tasks


def test_hash_graph_is_task_graph_without_task_maps(memory_store):
    tasks = _mixed_jugfile()
    graph = TaskGraph(tasks)
    order, names, deps = hash_graph(tasks)
    assert order == graph.order
    assert {h: deps.get(h, ()) for h in order} == graph.deps
    assert all(deps.values())  # only tasks with dependencies have an entry
    assert names == {h: t.name for h, t in graph.task.items()}


def test_count_states_counts_what_task_states_says(memory_store):
    tasks = _mixed_jugfile()
    order, names, deps = hash_graph(tasks)
    now = time.time()
    locks = [
        LockInfo.new(60),
        LockInfo(token="x", heartbeat=now - 100, lease=10),  # stale
        LockInfo(token="y", failed=True),
    ]
    for i, h in enumerate(order):  # every state; the rest ready or waiting
        if i % 6 == 0:
            memory_store.dump(0, h)
        elif i % 6 < 4:
            memory_store.locks[h] = locks[i % 6 - 1]
    memory_store.locks["0" * 40] = LockInfo.new(60)  # a lock of no task of this jugfile
    memory_store.dump(0, order[0])
    memory_store.locks[order[0]] = LockInfo.new(60)  # finished wins over the lock

    expected = Counter(
        (names[h], state) for h, state in task_states(order, deps, memory_store, now).items()
    )
    assert {state for _, state in expected} == set(TaskState)
    counts = count_states(order, names, deps, memory_store, now)
    got = Counter(
        {
            (name, state): n
            for name, c in counts.items()
            for state in c.__slots__
            if (n := getattr(c, state))
        }
    )
    assert got == expected
    assert list(counts) == sorted(counts)


def test_count_states_when_dependencies_or_all_tasks_are_finished(memory_store):
    tasks = _mixed_jugfile()
    order, names, deps = hash_graph(tasks)
    for h in order:
        if h not in deps:
            memory_store.dump(0, h)
    counts = count_states(order, names, deps, memory_store)
    assert counts[f"{__name__}.leaf"].as_tuple() == (0, 0, 7, 0, 0, 0)
    assert counts[f"{__name__}.join"].as_tuple() == (2, 2, 0, 0, 0, 0)
    for h in order:
        memory_store.dump(0, h)
    counts = count_states(order, names, deps, memory_store)
    assert [c.as_tuple() for c in counts.values()] == [(0, 0, 4, 0, 0, 0), (0, 0, 7, 0, 0, 0)]
