"""jug.task.task_keys: the keys of many tasks at once, exactly what Task.key gives."""

from __future__ import annotations

import pytest

from jug import TaskGenerator
from jug.errors import TaskHashError
from jug.hash import hash_update, new_hash_object, task_hash
from jug.task import task_keys


@TaskGenerator
def one(x):
    return x


@TaskGenerator
def two(x, y=0):
    return (x, y)


def _fresh(tasks):
    for t in tasks:
        t._key = t._hash = None
    return tasks


def test_task_keys_equal_key_of_each_task(store):
    base = one(3)
    tasks = [
        one(1), one(-7), one(2**70), one(1.5), one("text"), one(b"\x00"), one(None),
        one(True), one(1 + 2j), two(1, 2), two(1, y=2), one([1, 2]), one(base), base,
        one((1,)), two("a"),
    ]  # fmt: skip
    expected = [t.key() for t in _fresh(tasks)]
    assert task_keys(_fresh(tasks)) == expected
    assert [t.key() for t in tasks] == expected  # and cached in each task
    assert [t.hash() for t in tasks] == [k.encode() for k in expected]
    # The short cut is the generic rule for one plain argument and no keyword arguments.
    for t, key in zip(tasks[:9], expected, strict=False):
        parts = [("name", t.name.encode()), ("args", t.args), ("kwargs", {})]
        assert key == hash_update(new_hash_object(), parts).hexdigest()


def test_args_that_are_not_a_tuple_take_the_generic_rule(store):
    t = one(5)
    t.args = [5]  # type: ignore[assignment]  # not as Task() makes them
    (key,) = task_keys(_fresh([t]))
    assert key == task_hash(t.name, [5], {}) != task_hash(t.name, (5,), {})


def test_a_hash_set_from_outside_is_kept(store):
    t = one(1)
    t._hash = b"ab" * 20
    assert task_keys([t]) == ["ab" * 20]


def test_unhashable_arguments_raise_as_key_does(store):
    with pytest.raises(TaskHashError, match="cannot hash its arguments"):
        task_keys([one(1), one(lambda: 1)])
