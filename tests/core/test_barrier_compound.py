"""barrier(), bvalue() and compound tasks, through jugfiles loaded by jug.runtime."""

import pytest

from jug import CompoundTask, Task, bvalue
from jug.barrier import BarrierError, barrier
from jug.errors import CorruptResultError
from jug.jugfile import load_jugfile
from jug.task import alltasks
from jug.testing import run_all

BARRIER_JUGFILE = """
from jug import TaskGenerator, barrier, value

@TaskGenerator
def double(x):
    return 2 * x

first = [double(i) for i in range(3)]
barrier()
total = sum(value(first))
after = double(total)
"""


def test_barrier_stops_loading_until_tasks_done(store, tmp_path):
    jf = tmp_path / "bjug.py"
    jf.write_text(BARRIER_JUGFILE)
    ns, complete = load_jugfile(jf)
    assert not complete
    assert "after" not in ns
    assert len(alltasks) == 3
    run_all()
    ns, complete = load_jugfile(jf)
    assert complete
    assert ns["total"] == 6
    assert len(alltasks) == 4
    assert ns["after"].run() == 12


def double(x):
    return 2 * x


def test_barrier_raises_barrier_error_directly(store):
    Task(double, 1)
    with pytest.raises(BarrierError):
        barrier()
    run_all()
    barrier()  # satisfied: returns


def test_bvalue_waits_only_for_its_task(store):
    a = Task(double, 1)
    b = Task(double, 2)
    with pytest.raises(BarrierError):
        bvalue(a)
    a.run()
    assert bvalue(a) == 2
    assert bvalue([a, {"k": a}]) == [2, {"k": 2}]
    assert not b.can_load()


def test_bvalue_surfaces_real_load_errors(store):
    a = Task(double, 1)
    a.run()
    a.unload()

    def corrupt_load(key):
        raise CorruptResultError(key.decode() if isinstance(key, bytes) else key, "truncated")

    store.load = corrupt_load
    with pytest.raises(CorruptResultError, match="truncated"):
        bvalue(a)


def inner_step(x):
    return x + 1


def build(n):
    t = Task(inner_step, 0)
    for _ in range(n - 1):
        t = Task(inner_step, t)
    return t


def test_compound_task_collapses_after_running(store):
    c = CompoundTask(build, 3)
    assert len(alltasks) == 4  # 3 inner + final
    assert c.name.endswith(".build")
    run_all()
    assert c.result == 3
    compound_hash = c.hash()
    del alltasks[:]
    again = CompoundTask(build, 3)
    assert len(alltasks) == 1
    assert again.hash() == compound_hash
    assert again.can_load() and again.result == 3


def test_compound_task_generator(store, tmp_path):
    jf = tmp_path / "cjug.py"
    jf.write_text(
        "from jug import CompoundTaskGenerator, TaskGenerator\n"
        "@TaskGenerator\ndef inc(x): return x + 1\n"
        "@CompoundTaskGenerator\ndef chain(n):\n"
        "    t = inc(0)\n"
        "    for _ in range(n - 1): t = inc(t)\n"
        "    return t\n"
        "result = chain(4)\n"
    )
    ns, _ = load_jugfile(jf)
    assert len(alltasks) == 5
    run_all()
    assert ns["result"].result == 4
    ns, _ = load_jugfile(jf)
    assert len(alltasks) == 1
    assert ns["result"].name == "cjug.chain"
    assert ns["result"].result == 4
