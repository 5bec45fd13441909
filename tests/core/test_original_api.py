"""jug-core's part of the original jug's module-level API: what ``jug.task``,
``jug.compound`` and ``import jug`` offered there, with the same behaviour and hashes.

The reference hashes below were computed by the original Jug 2.7 from the same module
(tests/compat checks them live against the original).
"""

from __future__ import annotations

import functools
import importlib.util

import pytest

import jug
from jug.compound import CompoundTask, compound_task_execute
from jug.errors import MissingPartError, ResultNotAvailableError
from jug.task import Task, Tasklet, alltasks, describe, return_tuple, topological_sort, value

RTMOD = """
from jug import TaskGenerator, return_tuple

@return_tuple(2)
@TaskGenerator
def pair(x):
    return x, x + 1

@TaskGenerator
def use(a, b):
    return a * b

@TaskGenerator
def three():
    return (1, 2, 3)

def add(a, b):
    return a + b
"""

# Computed by Jug 2.7.0 from RTMOD (module rtmod): pair(3), its first element, use(*pair(3)),
# and Task(partial(add, 1), 2).
ORIGINAL = {
    "pair": "845a879f086bc31276b06ffdf6ea74ff07073809",
    "a": "ce2482aef1b1030cb3f8b2dc255b9334338a96df",
    "use": "4cdbc265e724397841facdf3f652a82698ba4360",
    "partial": "2f37736ed7cb9aeda1fc30ba73ac52c180b5e142",
}


@pytest.fixture
def rtmod(store, tmp_path):
    from jug.testing import scratch_modules

    with scratch_modules(tmp_path) as make:
        yield make("rtmod", RTMOD)


def test_return_tuple_elements_hash_as_in_the_original(rtmod):
    a, b = rtmod.pair(3)
    used = rtmod.use(a, b)
    assert isinstance(a, Tasklet) and a.base is b.base
    assert a.base.hash().decode() == ORIGINAL["pair"]
    assert a.__jug_hash__().decode() == ORIGINAL["a"]
    assert used.hash().decode() == ORIGINAL["use"]
    assert jug.return_tuple is return_tuple  # `import jug` gives it, as the original's did


def test_return_tuple_values_and_length_check(rtmod):
    a, b = rtmod.pair(3)
    a.base.run()
    assert value([a, b]) == [3, 4]
    wrong = return_tuple(2)(rtmod.three)()
    wrong[0].base.run()
    with pytest.raises(ValueError, match="expected a tuple of size 2, got one of size 3"):
        value(wrong[0])


def test_a_partial_is_unwrapped_as_in_the_original(rtmod):
    t = Task(functools.partial(rtmod.add, 1), 2)
    assert t.name == "rtmod.add" and t.args == (1, 2)
    assert t.hash().decode() == ORIGINAL["partial"]
    assert t.run() == 3
    keyword = Task(functools.partial(functools.partial(rtmod.add, b=5)), a=1)
    assert keyword.f is rtmod.add and keyword.kwargs == {"b": 5, "a": 1}


def test_can_load_asks_another_store_when_given_one(store):
    from jug.testing import MemoryStore

    t = Task(sum, [1, 2])
    other = MemoryStore()
    other.dump(3, t.key())
    assert t.can_load(other) and t.can_load(store=other)
    assert not t.can_load()  # the task's own store has nothing, and nothing was remembered


def test_value_of_a_missing_result_names_the_task_and_its_state(store):
    first = Task(sum, [1])
    second = Task(sum, [first])
    with pytest.raises(ResultNotAvailableError) as waiting:
        value(second)
    assert waiting.value.state == "waiting" and waiting.value.name == "builtins.sum"
    assert str(waiting.value).startswith(f"task builtins.sum ({second.key()[:12]}) has no result")
    with pytest.raises(KeyError):  # what a store raises, so code catching that still works
        value(first)
    lock = store.getlock(first.key())
    assert lock.get()
    with pytest.raises(ResultNotAvailableError, match="it is running"):
        first.result  # noqa: B018
    assert lock.fail("ValueError: boom")
    with pytest.raises(ResultNotAvailableError, match=r"it is failed \(it raised"):
        jug.value(first)
    lock.force_release()
    with pytest.raises(ResultNotAvailableError, match="it is ready"):
        first.value()


def test_topological_sort_puts_dependencies_first(store):
    a = Task(sum, [1])
    b = Task(sum, [a])
    c = Task(sorted, [b, a[0]])
    d = Task(len, "xyz")
    tasks = [c, d, b, a]
    topological_sort(tasks)
    assert sorted(map(id, tasks)) == sorted(map(id, [a, b, c, d]))
    position = {id(t): i for i, t in enumerate(tasks)}
    assert position[id(a)] < position[id(b)] < position[id(c)]
    chain = [Task(sum, [])]
    for _ in range(5000):  # deeper than the recursion limit
        chain.append(Task(sum, [chain[-1]]))
    shuffled = chain[::-1]
    topological_sort(shuffled)
    assert [id(t) for t in shuffled] == [id(t) for t in chain]


def test_describe(store):
    a = Task(sum, [1, 2])
    t = Task(sorted, [a, a[0]], reverse=True)
    out = describe(t)
    assert out["name"] == "builtins.sorted"
    inner = out["args"][0]
    assert inner[0] == {"name": "builtins.sum", "args": [[1, 2]]}
    assert inner[1]["name"] == "tasklet" and inner[1]["base"] == inner[0]
    assert out["kwargs"] == {"reverse": True}
    assert describe({"x": (1, [a])}) == {"x": (1, [inner[0]])}


def test_compound_task_execute(store):
    assert compound_task_execute(42, b"hash") == 42

    def build(n):
        return Task(sum, list(range(n)))

    t = CompoundTask(build, 4)
    assert t.f is compound_task_execute
    t.args[0].run()  # the inner task
    assert t.run() == 6
    del alltasks[:]
    again = CompoundTask(build, 4)
    assert again.key() == t.key() and again.f is build and again.can_load()


def test_import_jug_gives_the_original_attributes_lazily():
    for name, distribution in [
        ("options", "jug-cli"),
        ("jug", "jug-cli"),
        ("utils", "jug-contrib"),
        ("file_store", "jug-backends"),
        ("dict_store", "jug-backends"),
    ]:
        module = jug._ELSEWHERE[name][0]
        try:
            spec = importlib.util.find_spec(module)
        except ModuleNotFoundError:  # its package is missing too
            spec = None
        if spec is None:  # e.g. jug-core installed alone (tested so by make test-split)
            with pytest.raises(MissingPartError, match=f"pip install {distribution}"):
                getattr(jug, name)
        else:
            assert getattr(jug, name) is not None
    assert jug.jug_version.CITATION.startswith("L. P. Coelho")
    with pytest.raises(AttributeError):
        jug.no_such_thing  # noqa: B018
    assert {"options", "file_store", "return_tuple"} <= set(dir(jug))


def test_unload_and_unload_recursive(store):
    a = Task(sum, [1, 2])
    b = Task(sorted, [a, 0])
    c = Task(len, [b])
    for t in (a, b, c):
        t.run()
    assert all(t.is_loaded() for t in (a, b, c))
    b.unload()  # only itself
    assert a.is_loaded() and not b.is_loaded() and c.is_loaded()
    c.unload_recursive()  # itself and everything it depends on, recursively
    assert not any(t.is_loaded() for t in (a, b, c))
    assert value(c) == 1 and c.is_loaded()  # loaded again from the store when asked for
    tasklet = a[0]
    a.run()
    tasklet.unload()  # a Tasklet unloads its base
    assert not a.is_loaded()
