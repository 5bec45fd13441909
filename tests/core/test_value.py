"""value(), CachedFunction, NoHash and custom __jug_hash__/__jug_value__."""

import pytest

from jug import CachedFunction, Task, value
from jug.hash import hash_one
from jug.testing import run_all
from jug.unsafe import NoHash

computed = []


def double(x):
    return 2 * x


def expensive(x):
    computed.append(x)
    return x**2


class Lazy:
    def __init__(self, payload):
        self.payload = payload

    def __jug_value__(self):
        return ("lazy", value(self.payload))


class Named:
    def __init__(self, name):
        self.name = name

    def __jug_hash__(self):
        return hash_one({"type": "Named", "name": self.name})


def test_value_recurses_into_containers(store):
    a, b = Task(double, 1), Task(double, 2)
    run_all()
    got = value({"list": [a, (b, 3)], "plain": "x", 5: a})
    assert got == {"list": [2, (4, 3)], "plain": "x", 5: 2}
    assert isinstance(got["list"][1], tuple)


def test_value_honours_jug_value(store):
    a = Task(double, 3)
    run_all()
    assert value(Lazy(a)) == ("lazy", 6)
    assert value([Lazy(1)]) == [("lazy", 1)]


def test_value_of_plain_objects_is_identity():
    obj = object()
    assert value(obj) is obj
    assert value(None) is None


def test_custom_jug_hash_is_used(store):
    assert Task(double, Named("a")).hash() == Task(double, Named("a")).hash()
    assert Task(double, Named("a")).hash() != Task(double, Named("b")).hash()


def test_nohash_argument_does_not_enter_hash_but_is_passed(store):
    t1 = Task(double, NoHash(3))
    t2 = Task(double, NoHash(100))
    assert t1.hash() == t2.hash()
    assert t1.run() == 6


def test_nohash_wrapping_a_task_keeps_dependency(store):
    a = Task(double, 1)
    t = Task(double, NoHash(a))
    assert [id(d) for d in t.dependencies()] == [id(a)]
    run_all()
    assert t.result == 4


def test_nohash_importable_as_in_the_original():
    from jug.unsafe import NoHash as N

    assert N is NoHash


def test_cached_function_computes_once_and_stores(store):
    computed.clear()
    assert CachedFunction(expensive, 4) == 16
    assert CachedFunction(expensive, 4) == 16
    assert computed == [4]
    assert store.can_load(Task(expensive, 4).hash())
    assert not store.listlocks()


def test_cached_function_rejects_lambda(store):
    with pytest.raises(ValueError):
        CachedFunction(lambda: 1)
