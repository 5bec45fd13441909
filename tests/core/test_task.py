"""Task: every documented method and attribute, through the public API."""

import pytest

from jug import Task, TaskGenerator, recursive_dependencies
from jug.errors import LockNotHeldError
from jug.task import alltasks

calls = []


def double(x):
    calls.append(("double", x))
    return 2 * x


def add(a, b):
    return a + b


def total(xs, extra=None):
    return sum(xs) + (extra or 0)


def mutate(xs):
    xs.append(99)
    return len(xs)


def test_task_records_function_arguments_and_name(store):
    t = Task(double, 3)
    assert t.f is double
    assert t.args == (3,)
    assert t.kwargs == {}
    assert t.name == f"{double.__module__}.double"
    assert t.store is store
    assert alltasks[-1] is t


def test_lambda_is_rejected_with_clear_message(store):
    with pytest.raises(ValueError, match="lambda"):
        Task(lambda x: x, 1)


def test_hash_is_cached_bytes_and_depends_on_arguments(store):
    a, b, c = Task(double, 1), Task(double, 1), Task(double, 2)
    assert isinstance(a.hash(), bytes) and len(a.hash()) == 40
    assert a.hash() == b.hash() != c.hash()
    assert a.hash() is a.hash()
    assert Task(add, 1, 2).hash() != Task(add, 2, 1).hash()


def test_run_saves_result_and_can_load(store):
    t = Task(double, 21)
    assert not t.can_load()
    assert not t.is_loaded()
    assert t.run() == 42
    assert t.can_load() and t.is_loaded()
    assert store.load(t.hash()) == 42
    assert t.result == 42 and t.value() == 42


def test_run_without_save_does_not_store(store):
    t = Task(double, 5)
    assert t.run(save=False) == 10
    assert not store.can_load(t.hash())


def test_run_does_not_rerun_unless_forced(store):
    calls.clear()
    t = Task(double, 7)
    t.run()
    t.run()
    assert calls == [("double", 7)]
    t.run(force=True)
    assert calls == [("double", 7), ("double", 7)]


def test_dependencies_are_replaced_by_results(store):
    a, b = Task(double, 1), Task(double, 2)
    s = Task(total, [a, b], extra={"k": a}["k"])
    assert set(map(id, s.dependencies())) == {id(a), id(b)}
    assert not s.can_run()
    a.run()
    assert not s.can_run()
    b.run()
    assert s.can_run()
    assert s.run() == 2 + 4 + 2


def test_dependencies_inside_dicts_and_tuples(store):
    a = Task(double, 1)
    t = Task(total, ({"x": a}["x"],), extra=None)
    d = Task(add, {"a": [a]}, {"b": (a,)})
    assert list(t.dependencies()) == [a]
    assert [id(x) for x in d.dependencies()] == [id(a), id(a)]


def test_recursive_dependencies_and_max_level(store):
    a = Task(double, 1)
    b = Task(double, a)
    c = Task(add, b, a)
    assert {id(x) for x in recursive_dependencies(c)} == {id(a), id(b)}
    assert [id(x) for x in recursive_dependencies(c, max_level=1)] in (
        [id(b), id(a)],
        [id(a), id(b)],
    )
    assert list(recursive_dependencies(a)) == []
    assert {id(x) for x in recursive_dependencies(c, max_level=None)} == {id(a), id(b)}


def test_load_always_reads_the_store(store):
    t = Task(double, 4)
    t.run()
    store.dump("changed", t.hash())
    assert t.result == 8  # already loaded: cached
    t.load()
    assert t.result == "changed"


def test_unload_and_unload_recursive(store):
    a = Task(double, 1)
    b = Task(double, a)
    a.run()
    b.run()
    assert a.is_loaded() and b.is_loaded()
    b.unload()
    assert not b.is_loaded() and a.is_loaded()
    b.run()
    b.unload_recursive()
    assert not a.is_loaded() and not b.is_loaded()
    assert b.result == 4  # loads back from the store


def test_invalidate_removes_result(store):
    t = Task(double, 3)
    t.run()
    t.invalidate()
    assert not t.can_load()
    assert not store.can_load(t.hash())
    assert not t.is_loaded()


def test_lock_unlock_is_locked(store):
    t = Task(double, 1)
    other = Task(double, 1)
    assert not t.is_locked()
    assert t.lock()
    assert t.is_locked() and other.is_locked()
    assert not other.lock()
    t.unlock()
    assert not t.is_locked()
    assert other.lock()
    other.unlock()


def test_fail_requires_the_lock_and_records_error(store):
    t = Task(double, 1)
    with pytest.raises(LockNotHeldError):
        t.fail()
    assert t.lock()
    t.fail("Traceback: boom")
    assert t.is_failed() and t.is_locked()
    info = store.getlock(t.hash()).info()
    assert info.failed and info.error == "Traceback: boom"
    # A failed task is not taken by others, and unlock() from elsewhere clears it.
    assert not Task(double, 1).lock()
    Task(double, 1).unlock()
    assert not t.is_failed() and not t.is_locked()


def test_refresh_lock_reports_loss(store):
    t = Task(double, 1)
    assert not t.refresh_lock()
    assert t.lock()
    assert t.refresh_lock()
    store.getlock(t.hash()).force_release()
    assert not t.refresh_lock()


def test_stale_lock_is_reclaimed(store):
    store.lease = 0.05
    t = Task(double, 1)
    assert t.lock()
    other = Task(double, 1)
    assert not other.lock()
    import time

    time.sleep(0.1)
    assert other.lock()
    t.unlock()  # the old holder's release must not remove the new holder's lock
    assert other.is_locked()


def test_debug_mode_detects_argument_mutation(store):
    xs = Task(total, [1])  # a task so that its result is the list passed on
    xs.run()
    t = Task(mutate, [1, 2])
    with pytest.raises(RuntimeError, match="modified its arguments"):
        t.run(debug_mode=True)
    assert Task(mutate, [1, 2]).run() == 3


def test_exception_in_task_propagates_and_saves_nothing(store):
    def broken(x):
        raise TypeError("bad argument")

    t = Task(broken, 1)
    with pytest.raises(TypeError, match="bad argument"):
        t.run()
    assert not t.can_load()


def test_task_generator_builds_tasks(store):
    @TaskGenerator
    def square(x):
        """Square a number."""
        return x * x

    t = square(5)
    assert isinstance(t, Task)
    assert t.f is square.f
    assert square.__doc__ == "Square a number."
    assert square.__name__ == "square"
    assert t.run() == 25
    assert Task(square, 5).hash() == t.hash()


def test_task_generator_pickles_by_reference(store, module_factory):
    import pickle

    mod = module_factory(
        "tg_pickle_mod", "from jug import TaskGenerator\n@TaskGenerator\ndef inc(x): return x+1\n"
    )
    data = pickle.dumps(mod.inc)
    clone = pickle.loads(data)
    assert isinstance(clone, TaskGenerator)
    assert clone.f is mod.inc.f
    assert clone(1).hash() == mod.inc(1).hash()
    assert b"tg_pickle_mod" in data and len(data) < 200


def test_task_is_not_iterable(store):
    t = Task(double, 1)
    with pytest.raises(TypeError, match="iteratetask"):
        list(t)


def test_store_missing_gives_clear_error():
    from jug.task import Task as T

    saved = T.store
    try:
        from jug.task import _NoStore

        T.store = _NoStore()
        with pytest.raises(RuntimeError, match="set_jugdir"):
            T(double, 1).can_load()
    finally:
        T.store = saved
        del alltasks[:]


def test_save_and_unlock_saves_then_releases(store):
    t = Task(double, 6)
    with pytest.raises(LockNotHeldError):
        t.save_and_unlock(12)
    assert t.lock()
    result = t.run(save=False)
    assert not store.can_load(t.hash())
    t.save_and_unlock(result)
    assert store.load(t.hash()) == 12
    assert not t.is_locked()
    assert t.can_load() and t.result == 12
