"""The engine (jug.execution) as a Python API: the loop, its options and result, status
counting, the graph (no subprocess; jug-core only)."""

from __future__ import annotations

import io
import sys
import time

import pytest

import jug.runtime
from jug import Task, TaskGenerator
from jug.execution import ExecutionOptions, Executor, TaskGraph, execute, status_counts
from jug.execution.matching import name_matches
from jug.store import LockInfo
from jug.task import alltasks

calls: list[str] = []


@TaskGenerator
def produce(i):
    calls.append(f"produce{i}")
    return i


@TaskGenerator
def consume(x):
    calls.append(f"consume{x}")
    return x + 100


@TaskGenerator
def broken(x):
    raise ValueError(f"broken {x}")


@TaskGenerator
def slowish(x):
    time.sleep(0.15)
    return x


@pytest.fixture(autouse=True)
def _clear_calls():
    del calls[:]


def test_dependent_runs_right_after_its_producer(memory_store):
    for i in range(3):
        consume(produce(i))
    result = Executor(memory_store).run(list(alltasks))
    assert result.exit_code == 0
    assert calls == ["produce0", "consume0", "produce1", "consume1", "produce2", "consume2"]
    assert result.executed == {f"{__name__}.produce": 3, f"{__name__}.consume": 3}


def test_results_are_stored_and_already_done_tasks_are_loaded(memory_store):
    final = consume(produce(1))
    Executor(memory_store).run(list(alltasks))
    assert memory_store.load(final.hash()) == 101
    del calls[:]
    result = Executor(memory_store).run(list(alltasks))
    assert calls == []
    assert sum(result.loaded.values()) == 2 and not result.executed


def test_keep_going_records_failures(memory_store):
    stream = io.StringIO()
    bad = broken(1)
    consume(bad)
    produce(2)
    result = Executor(memory_store, ExecutionOptions(keep_going=True), stream=stream).run(
        list(alltasks)
    )
    assert result.exit_code == 1
    assert [f.name for f in result.failures] == [f"{__name__}.broken"]
    assert "ValueError: broken 1" in result.failures[0].error
    assert "ValueError: broken 1" in stream.getvalue()
    assert calls == ["produce2"]
    assert result.undone == 2
    # Without --keep-failed the lock is released: nothing is marked.
    assert memory_store.locks == {}


def test_keep_failed_marks_the_task(memory_store):
    bad = broken(1)
    Executor(memory_store, ExecutionOptions(keep_failed=True), stream=io.StringIO()).run([bad])
    info = memory_store.locks[bad.hash().decode()]
    assert info.failed and "ValueError: broken 1" in info.error


class _Recording(Executor):
    def __init__(self, *args, stop_after=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.events = []
        self.stop_after = stop_after

    def on_start(self):
        self.events.append("start")

    def on_task_start(self, task):
        self.events.append(("task", task.name.rsplit(".", 1)[1]))

    def on_task_done(self, task):
        self.events.append(("done", task.name.rsplit(".", 1)[1]))

    def on_task_failed(self, task, error):
        self.events.append(("failed", error.splitlines()[-1]))

    def should_stop(self):
        done = sum(1 for e in self.events if e[0] in ("done", "failed"))
        return self.stop_after is not None and done >= self.stop_after

    def on_end(self):
        self.events.append("end")


def test_extension_points_are_called(memory_store):
    consume(produce(1))
    broken(2)
    ex = _Recording(memory_store, ExecutionOptions(keep_going=True), stream=io.StringIO())
    ex.run(list(alltasks))
    assert ex.events == [
        "start",
        ("task", "produce"),
        ("done", "produce"),
        ("task", "consume"),
        ("done", "consume"),
        ("task", "broken"),
        ("failed", "ValueError: broken 2"),
        "end",
    ]


def test_should_stop_ends_execution_early(memory_store):
    for i in range(5):
        produce(i)
    result = _Recording(memory_store, stop_after=2).run(list(alltasks))
    assert sum(result.executed.values()) == 2
    assert result.undone == 3 and result.exit_code == 1
    assert "stopped before all tasks were done" in result.problems


def test_lease_option_sets_the_store_lease(memory_store):
    t = produce(1)
    Executor(memory_store, ExecutionOptions(lease=5.0)).run([t])
    assert memory_store.lease == 5.0


def test_invalid_options():
    with pytest.raises(ValueError, match="lease"):
        ExecutionOptions(lease=-1)
    with pytest.raises(ValueError):
        ExecutionOptions(nr_wait_cycles=-1)
    assert ExecutionOptions(pdb=True).debug is True
    assert ExecutionOptions(target="f").target == ["f"]


def test_progress_line_on_a_terminal(memory_store):
    stream = io.StringIO()
    for i in range(3):
        slowish(i)
    Executor(memory_store, ExecutionOptions(progress=True), stream=stream).run(list(alltasks))
    out = stream.getvalue()
    assert "\r" in out and "/3 tasks done" in out and f"{__name__}.slowish" in out
    assert out.endswith("\r\x1b[K")  # the line is erased at the end


def test_no_progress_when_not_a_terminal(memory_store):
    stream = io.StringIO()
    slowish(1)
    Executor(memory_store, stream=stream).run(list(alltasks))
    assert stream.getvalue() == ""


def test_summary_table():
    from jug.execution import ExecutionResult

    r = ExecutionResult()
    r.executed["m.a"] = 2
    r.loaded["m.b"] = 3
    lines = r.summary().splitlines()
    assert lines[0].split() == ["Executed", "Loaded", "Task", "name"]
    assert lines[2].split() == ["2", "0", "m.a"]
    assert lines[-1].split() == ["2", "3", "Total"]
    assert r.summary(short=True) == "Executed 2 tasks, loaded 3."


def test_status_counts_every_state(memory_store):
    now = time.time()
    done = produce(0)
    memory_store.dump(0, done.hash())
    ready = produce(1)
    waiting = consume(ready)
    running, stale, failed = produce(2), produce(3), produce(4)
    for t, info in [
        (running, LockInfo.new(60)),
        (stale, LockInfo(token="x", heartbeat=now - 100, started=now - 100, lease=10)),
        (failed, LockInfo(token="y", failed=True, error="boom")),
    ]:
        memory_store.locks[t.hash().decode()] = info
    consume(done)  # ready: its dependency is done
    counts = status_counts(list(alltasks), memory_store)
    produce_c = counts[f"{__name__}.produce"]
    consume_c = counts[f"{__name__}.consume"]
    assert (produce_c.finished, produce_c.ready) == (1, 1)
    assert (produce_c.running, produce_c.stale, produce_c.failed) == (1, 1, 1)
    assert (consume_c.waiting, consume_c.ready) == (1, 1)
    assert waiting is not None


def test_graph_merges_duplicates_and_adds_missing_dependencies(memory_store):
    a = produce(1)
    b = produce(1)  # the same call: one node
    c = consume(a)
    graph = TaskGraph([c, b])  # a is missing from the list: added before c
    assert graph.order == [a.hash().decode(), c.hash().decode()]
    assert graph.objects(a.hash().decode()) == [a, b]
    assert graph.dependents[a.hash().decode()] == [c.hash().decode()]


@pytest.mark.parametrize(
    "pattern, expected",
    [
        ("jugfile.f", True),
        ("f", True),
        ("g", False),
        ("jugfile.*", True),
        ("f*", True),
        ("ile.f", False),
    ],
)
def test_name_matching(pattern, expected):
    assert name_matches("jugfile.f", pattern) is expected


def test_execute_api_on_a_jugfile(tmp_path, memory_store, monkeypatch):
    jugfile = tmp_path / "apijug.py"
    jugfile.write_text(
        "from jug import TaskGenerator, barrier\n"
        "@TaskGenerator\n"
        "def inc(x):\n"
        "    return x + 1\n"
        "a = inc(1)\n"
        "barrier()\n"
        "b = inc(a.value())\n"
    )
    monkeypatch.chdir(tmp_path)
    # Loading a jugfile changes process-wide state: undo it after the test.
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(jug.runtime, "_jug_running", False)
    try:
        result = execute(str(jugfile), memory_store, nr_wait_cycles=0)
    finally:
        sys.modules.pop("apijug", None)
    assert result.exit_code == 0, result.problems
    assert result.executed == {"apijug.inc": 2}
    # The loaded namespace's last task is available.
    assert Task.store.load(alltasks[-1].hash()) == 3


def test_target_at_a_barrier_it_cannot_pass(tmp_path, memory_store, monkeypatch):
    jugfile = tmp_path / "targetjug.py"
    jugfile.write_text(
        "from jug import TaskGenerator, barrier\n"
        "@TaskGenerator\n"
        "def first(x):\n"
        "    return x\n"
        "@TaskGenerator\n"
        "def second(x):\n"
        "    return x\n"
        "a = [first(i) for i in range(3)]\n"
        "barrier()\n"
        "b = second(sum(t.value() for t in a))\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(jug.runtime, "_jug_running", False)
    try:
        from jug.execution import StopReason

        blocked = execute(str(jugfile), memory_store, target=["second"], nr_wait_cycles=0)
        assert blocked.end is StopReason.TARGET_BLOCKED and blocked.exit_code == 0
        assert not blocked.executed and "3 task(s)" in (blocked.stop_message or "")
        assert "targetjug.first (3)" in (blocked.stop_message or "")
        passed = execute(str(jugfile), memory_store, target=["first"], nr_wait_cycles=0)
        assert passed.executed == {"targetjug.first": 3}
        assert passed.end is StopReason.FINISHED and passed.exit_code == 0  # nothing left
        done = execute(str(jugfile), memory_store, target=["second"], nr_wait_cycles=0)
        assert done.executed == {"targetjug.second": 1} and done.end is StopReason.FINISHED
    finally:
        sys.modules.pop("targetjug", None)
