"""Tasklets: views of a task's result, explicit and from indexing."""

import pytest

from jug import Task, Tasklet, iteratetask, value
from jug.testing import run_all


def pair(x):
    return [x, x + 1, {"k": x * 10}]


def rng(n):
    return list(range(n))


def index_of(n):
    return n


def double(x):
    return 2 * x


def test_indexing_makes_tasklets_with_values(store):
    t = Task(pair, 1)
    first, second, mapping = t[0], t[1], t[2]
    assert all(isinstance(x, Tasklet) for x in (first, second, mapping))
    assert first.base is t
    assert not first.can_load()
    run_all()
    assert first.can_load()
    assert (value(first), value(second)) == (1, 2)
    assert value(mapping["k"]) == 10  # a chain of tasklets
    assert mapping["k"].base is mapping


def test_slices_and_task_valued_indices(store):
    t = Task(rng, 10)
    i = Task(index_of, 3)
    j = Task(index_of, 6)
    s = t[2:5]
    by_task = t[i]
    slice_by_task = t[i:j]
    assert [id(d) for d in slice_by_task.dependencies()][0] == id(t)
    assert {id(d) for d in slice_by_task.dependencies()} == {id(t), id(i), id(j)}
    run_all()
    assert value(s) == [2, 3, 4]
    assert value(by_task) == 3
    assert value(slice_by_task) == [3, 4, 5]
    # Different task indices give different hashes.
    assert t[i].__jug_hash__() != t[j].__jug_hash__()
    assert t[i].__jug_hash__() == t[Task(index_of, 3)].__jug_hash__()


def test_tasklet_as_dependency_of_a_task(store):
    t = Task(pair, 4)
    d = Task(double, t[1])
    assert list(d.dependencies())[0].base is t
    assert not d.can_run()
    run_all()
    assert d.result == 10


def test_explicit_tasklet_with_function(store):
    t = Task(pair, 2)
    tl = Tasklet(t, len)
    run_all()
    assert tl.value() == 3
    assert tl.result == 3
    assert Tasklet(t, len).hash() == tl.hash()
    assert Tasklet(t, max).hash() != tl.hash()


def test_lambda_tasklets_hash_deterministically_and_distinctly(store):
    t = Task(pair, 2)
    a = Tasklet(t, lambda r: r[0])
    b = Tasklet(t, lambda r: r[1])
    same_as_a = Tasklet(t, lambda r: r[0])
    assert a.hash() != b.hash()
    assert a.hash() == same_as_a.hash()


def test_tasklet_unload_and_is_loaded_follow_base(store):
    t = Task(pair, 1)
    run_all()
    tl = t[0]
    assert tl.is_loaded()
    tl.unload()
    assert not t.is_loaded()
    assert value(tl) == 1


def test_iteratetask(store):
    t = Task(pair, 5)
    a, b, c = iteratetask(t, 3)
    assert len(iteratetask(t, 3)) == 3
    run_all()
    assert (value(a), value(b)) == (5, 6)
    assert value(iteratetask(t, 3)[-1]) == {"k": 50}
    with pytest.raises(IndexError):
        iteratetask(t, 3)[3]
    with pytest.raises(ValueError):
        a, b = iteratetask(t, 3)
