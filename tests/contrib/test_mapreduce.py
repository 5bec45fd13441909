"""jug.mapreduce through the Python API (an in-memory store, jug.testing.run_all)."""

from __future__ import annotations

import functools

import pytest

import jug
import jug.mapreduce as mr
from jug import CompoundTask, Task, value
from jug.task import alltasks
from jug.testing import run_all

MODULE = """
from jug import TaskGenerator

def double(x):
    return 2 * x

def add(a, b):
    return a + b

def pair(a, b):
    return (a, b)

def ident(x):
    return x

@TaskGenerator
def tdouble(x):
    return 2 * x

@TaskGenerator
def tadd(a, b):
    return a + b

@TaskGenerator
def total(xs):
    return sum(xs)

@TaskGenerator
def listed(xs):
    return list(xs)
"""


@pytest.fixture
def m(module_factory, memory_store):
    return module_factory("mrfuncs", MODULE)


def names(tasks):
    return [t.name.rsplit(".", 1)[1] for t in tasks]


def test_map_values_and_grouping(m):
    result = mr.map(m.double, list(range(10)), map_step=4)
    assert names(alltasks) == ["_jug_map"] * 3  # 10 elements in blocks of 4
    assert len(result) == 10
    run_all()
    assert value(result) == [2 * i for i in range(10)]
    assert result.value() == value(result)


@pytest.mark.parametrize("n", [1, 3, 4, 5, 31, 32, 33, 100])
@pytest.mark.parametrize("map_step, reduce_step", [(4, 8), (1, 2), (3, 3), (10, 5)])
def test_mapreduce_equals_functools_reduce(m, n, map_step, reduce_step):
    inputs = list(range(n))
    t = mr.mapreduce(m.add, m.double, inputs, map_step=map_step, reduce_step=reduce_step)
    run_all()
    assert value(t) == functools.reduce(m.add, map(m.double, inputs))
    assert sum(1 for x in alltasks if x.name.endswith("_jug_map_reduce")) == -(-n // map_step)
    # Every reduction task combines at most reduce_step results.
    for x in alltasks:
        if x.name.endswith("_jug_reduce"):
            assert 1 <= len(x.args[1]) <= reduce_step


def test_reduce_and_currymap(m):
    r = mr.reduce(m.add, list(range(20)), reduce_step=3)
    c = mr.currymap(m.pair, [(i, -i) for i in range(7)], map_step=3)
    assert isinstance(c, list) and len(c) == 7
    run_all()
    assert value(r) == sum(range(20))
    assert value(c) == [(i, -i) for i in range(7)]
    assert [value(x) for x in c] == [(i, -i) for i in range(7)]


def test_task_generators_are_called_as_functions(m):
    # Inside the tasks a TaskGenerator mapper/reducer is its plain function (not a Task).
    a = mr.map(m.tdouble, [1, 2, 3])
    b = mr.mapreduce(m.tadd, m.tdouble, list(range(9)))
    c = mr.currymap(m.tadd, [(1, 2), (3, 4)])
    d = mr.reduce(m.tadd, [m.tdouble(i) for i in range(5)])
    run_all()
    assert value(a) == [2, 4, 6]
    assert value(b) == 2 * sum(range(9))
    assert value(c) == [3, 7]
    assert value(d) == 2 * sum(range(5))


def test_inputs_may_be_tasks_generators_ranges_tuples_arrays(m):
    np = pytest.importorskip("numpy")
    from_tasks = mr.map(m.double, [Task(m.ident, i) for i in range(5)], map_step=2)
    from_gen = mr.map(m.double, (i for i in range(5)), map_step=2)
    from_range = mr.map(m.double, range(5), map_step=2)
    from_tuple = mr.mapreduce(m.add, m.double, tuple(range(5)), map_step=2)
    from_array = mr.map(m.double, np.arange(5), map_step=2)
    run_all()
    for r in (from_tasks, from_gen, from_range, from_array):
        assert [int(x) for x in value(r)] == [0, 2, 4, 6, 8]
    assert value(from_tuple) == 20


def test_a_generator_hashes_as_the_same_list(m):
    a = mr.map(m.double, list(range(10)))
    b = mr.map(m.double, (i for i in range(10)))
    assert a.hash() == b.hash()
    c = mr.mapreduce(m.add, m.double, list(range(10)))
    d = mr.mapreduce(m.add, m.double, iter(range(10)))
    assert c.hash() == d.hash()


def test_empty_inputs(m):
    a = mr.map(m.double, [])
    b = mr.mapreduce(m.add, m.double, [])
    c = mr.reduce(m.add, [])
    d = mr.currymap(m.pair, [])
    t = m.total(a)
    assert len(a) == 0 and list(a) == [] and d == []
    run_all()
    assert value(a) == [] and value(b) == [] and value(c) == []
    assert value(t) == 0


def test_map_result_indexing_and_slicing(m):
    data = list(range(23))
    expected = [2 * x for x in data]
    r = mr.map(m.double, data, map_step=4)
    run_all()
    for i in [0, 3, 4, 22, -1, -23]:
        assert value(r[i]) == expected[i]
    for s in [
        slice(2, 7),
        slice(None, None, 3),
        slice(None, None, -1),
        slice(20, 1, -3),
        slice(5, 2),
        slice(-3, None),
        slice(100, 200),
    ]:
        assert value(r[s]) == expected[s], s
        assert len(r[s]) == len(expected[s])
    # Slices of slices compose.
    assert value(r[1:20:2][1:8][::-2]) == expected[1:20:2][1:8][::-2]
    assert value(r[::-1][2:9][3]) == expected[::-1][2:9][3]
    assert [value(x) for x in r[4:9]] == expected[4:9]
    with pytest.raises(IndexError):
        r[23]
    with pytest.raises(IndexError):
        r[2:5][3]
    with pytest.raises(TypeError):
        r["a"]


def test_slices_need_and_load_only_their_blocks(m):
    r = mr.map(m.double, list(range(20)), map_step=4)  # blocks 0..4
    view = r[5:11]  # elements 5..10: blocks 1 and 2
    assert list(view.dependencies()) == [r.blocks[1], r.blocks[2]]
    user = m.total(view)
    assert [b for b in user.dependencies()] == [r.blocks[1], r.blocks[2]]
    # Only the blocks of the view need to run for the dependent task to be runnable.
    r.blocks[1].run()
    r.blocks[2].run()
    assert user.can_run() and not m.total(r).can_run()
    assert user.run() == sum(2 * x for x in range(5, 11))
    for b in r.blocks:
        b.unload()
    assert value(view) == [2 * x for x in range(5, 11)]
    assert [b.is_loaded() for b in r.blocks] == [False, True, True, False, False]


def test_map_result_as_a_dependency(m):
    r = mr.map(m.double, list(range(10)), map_step=3)
    t = m.total(r)
    e = m.total([r[0], r[9]])
    assert set(t.dependencies()) == set(r.blocks)
    assert not t.can_run()
    run_all()
    assert value(t) == sum(2 * i for i in range(10))
    assert value(e) == 18
    # A map over a map result: its blocks are views of the first result.
    again = mr.map(m.double, r, map_step=4)
    run_all()
    assert value(again) == [4 * i for i in range(10)]


class Counted:
    """An argument whose hashing is counted."""

    calls = 0

    def __init__(self, i):
        self.i = i

    def __jug_hash__(self):
        Counted.calls += 1
        return jug.hash.hash_one(self.i)


def test_hash_of_a_map_result_does_not_rehash_the_elements(m):
    r = mr.map(m.double, [Counted(i) for i in range(100)], map_step=10)
    for b in r.blocks:
        b.hash()
    assert Counted.calls == 100
    h = r.hash()
    views = [r[3:50].hash(), r[7].__jug_hash__(), m.total(r).hash()]
    assert Counted.calls == 100  # only the blocks' (cached) hashes were used
    assert r.hash() == h and len(set(views)) == 3


def test_steps_are_checked(m):
    with pytest.raises(ValueError, match="map_step"):
        mr.map(m.double, [1], map_step=0)
    with pytest.raises(ValueError, match="reduce_step"):
        mr.mapreduce(m.add, m.double, [1, 2], reduce_step=1)
    with pytest.raises(TypeError, match="map_step"):
        mr.map(m.double, [1], map_step=2.5)


def test_mapping_over_a_task_is_a_clear_error(m):
    with pytest.raises(TypeError, match="bvalue"):
        mr.map(m.double, m.listed([1, 2]))


def test_inside_a_compound_task(m, memory_store):
    inputs = list(range(17))
    t = CompoundTask(mr.mapreduce, m.add, m.double, inputs, map_step=2)
    assert len(alltasks) > 1  # the inner tasks were built
    run_all()
    assert value(t) == 2 * sum(inputs)
    del alltasks[:]
    again = CompoundTask(mr.mapreduce, m.add, m.double, inputs, map_step=2)
    assert alltasks == [again] and again.name == "jug.mapreduce.mapreduce"
    assert value(again) == 2 * sum(inputs)
    # map inside a compound task: the result is the list.
    del alltasks[:]
    c = CompoundTask(mr.map, m.double, inputs, map_step=5)
    run_all()
    assert value(c) == [2 * x for x in inputs]


def test_building_many_tasks_is_linear(m):
    # 100,000 inputs: 25,000 map tasks and a reduction tree (no timing asserted here;
    # see docs/mapreduce.md for the measurement).
    t = mr.mapreduce(m.add, m.double, list(range(100_000)))
    assert sum(1 for x in alltasks if x.name.endswith("_jug_map_reduce")) == 25_000
    assert len(alltasks) == 25_000 + 3125 + 391 + 49 + 7 + 1
    assert t is alltasks[-1]
