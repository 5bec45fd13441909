"""Retries in the engine (jug.execution.retries) through the Python API: what is retried,
the failure record and how it reads back, the result's counts (jug-core only)."""

from __future__ import annotations

import io
import textwrap

import pytest

from jug import TaskGenerator
from jug.errors import InvalidOptionError, StoreError
from jug.execution import ExecutionOptions, Executor, StopReason, TaskFailure, execute
from jug.execution.retries import MAX_DELAY, attempt_count, retry_delay, split_attempts
from jug.task import alltasks
from jug.testing import MemoryStore

runs: dict[str, int] = {}


def _count(name: str) -> int:
    runs[name] = runs.get(name, 0) + 1
    return runs[name]


@TaskGenerator
def flaky(name, fails):
    n = _count(name)
    if n <= fails:
        raise OSError(f"{name}: attempt {n}")
    return n


@TaskGenerator
def leaves(name):
    _count(name)
    raise SystemExit(2)


@TaskGenerator
def interrupted(name):
    _count(name)
    raise KeyboardInterrupt


@pytest.fixture(autouse=True)
def _clear():
    runs.clear()


def test_retry_delay_doubles_up_to_the_cap():
    assert [retry_delay(n, 0.5) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert retry_delay(30, 1.0) == MAX_DELAY == 300.0
    assert retry_delay(1000, 2.0) == MAX_DELAY  # no overflow
    assert retry_delay(4, 900.0) == 900.0  # a first delay above the cap stays as it is
    assert retry_delay(3, 0.0) == 0.0


def test_options_are_checked():
    assert ExecutionOptions().retries == 0 and ExecutionOptions().retry_delay == 1.0
    opts = ExecutionOptions(retries=2, retry_delay=0.5)
    assert opts.as_dict()["retries"] == 2 and opts.replace(retries=0).retries == 0
    for bad in (-1, True, 1.5, "2"):
        with pytest.raises(InvalidOptionError, match="number of retries"):
            ExecutionOptions(retries=bad)
    for bad in (-1.0, float("inf"), float("nan")):
        with pytest.raises(InvalidOptionError, match="retry delay"):
            ExecutionOptions(retry_delay=bad)


def test_a_task_that_succeeds_after_retries_is_counted_as_such(memory_store):
    flaky("a", 2)
    flaky("b", 0)
    stream = io.StringIO()
    result = Executor(memory_store, ExecutionOptions(retries=3, retry_delay=0), stream=stream).run(
        list(alltasks)
    )
    assert result.ok and result.exit_code == 0
    assert runs == {"a": 3, "b": 1}
    name = f"{__name__}.flaky"
    assert result.executed == {name: 2}
    assert result.recovered == {name: 1} and result.retried == {name: 1}
    assert "1 task(s) needed retries (1 succeeded only after retries)" in result.summary()
    assert "succeeded on attempt 3 of 4, after 2 failure(s)" in stream.getvalue()
    assert memory_store.listlocks() == []


def test_a_task_failing_every_attempt_keeps_every_traceback(memory_store):
    flaky("c", 99)
    opts = ExecutionOptions(retries=2, retry_delay=0, keep_failed=True)
    result = Executor(memory_store, opts, stream=io.StringIO()).run(list(alltasks))
    assert runs == {"c": 3}
    assert result.end is StopReason.TASK_FAILED
    (failure,) = result.failures
    assert failure.attempts == 3 and result.retried == {f"{__name__}.flaky": 1}
    assert not result.recovered
    attempts = split_attempts(failure.error)
    assert [(a.number, a.of) for a in attempts] == [(1, 3), (2, 3), (3, 3)]
    assert [a.traceback.splitlines()[-1] for a in attempts] == [
        f"OSError: c: attempt {n}" for n in (1, 2, 3)
    ]
    assert all(a.at and a.at.endswith("Z") and not a.note for a in attempts)
    # Each attempt's traceback is its own, not chained to the attempt before.
    assert all(a.traceback.count("Traceback") == 1 for a in attempts)
    assert "During handling" not in failure.error
    # The store's failure record is the same text; its last line is the last error.
    (info,) = [i for i in memory_store.lock_infos().values() if i.failed]
    assert info.error == failure.error
    assert info.error.rstrip().splitlines()[-1] == "OSError: c: attempt 3"
    assert attempt_count(info.error) == 3


def test_the_python_api_takes_retries(tmp_path):
    jugfile = tmp_path / "api.py"
    jugfile.write_text(
        textwrap.dedent(
            """
            from jug import TaskGenerator

            state = {"n": 0}


            @TaskGenerator
            def once_broken():
                state["n"] += 1
                if state["n"] == 1:
                    raise RuntimeError("first time")
                return state["n"]


            once_broken()
            """
        )
    )
    # An in-memory store: tests/core run with jug-core alone (no file store).
    result = execute(str(jugfile), MemoryStore(), retries=1, retry_delay=0, stream=io.StringIO())
    assert result.ok and result.recovered == {"api.once_broken": 1}
    assert "needed retries" in result.summary(short=True)


@pytest.mark.parametrize(("task", "kind"), [(leaves, SystemExit), (interrupted, KeyboardInterrupt)])
def test_exit_and_interrupt_are_never_retried(memory_store, task, kind):
    task("x")
    with pytest.raises(kind):
        Executor(memory_store, ExecutionOptions(retries=3, retry_delay=0)).run(list(alltasks))
    assert runs == {"x": 1}
    assert memory_store.listlocks() == []  # the lock was released


def test_a_store_failure_is_not_retried(memory_store, monkeypatch):
    flaky("d", 0)

    def broken_dump(*args, **kwargs):
        raise StoreError("disk full")

    monkeypatch.setattr(type(memory_store), "dump_and_release", broken_dump)
    with pytest.raises(StoreError, match="disk full"):
        Executor(memory_store, ExecutionOptions(retries=3, retry_delay=0)).run(list(alltasks))
    assert runs == {"d": 1}


def test_a_stop_request_ends_the_retries(memory_store):
    flaky("e", 99)
    flaky("f", 0)  # not started: the run stops
    stream = io.StringIO()

    class StopsWhileRunning(Executor):
        def on_task_start(self, task):
            self.stop("asked to stop")  # as the scheduler's warning signal does

    opts = ExecutionOptions(retries=5, retry_delay=0, keep_going=True)
    result = StopsWhileRunning(memory_store, opts, stream=stream).run(list(alltasks))
    assert result.end is StopReason.STOPPED
    assert runs == {"e": 1}
    (failure,) = result.failures
    (attempt,) = split_attempts(failure.error)
    assert attempt.note == "not retried: the run was stopped (asked to stop)"
    assert failure.attempts == 1 and "failed (not retried" in stream.getvalue()


def test_old_failure_records_still_read():
    # A record without retries (this jug's, or the original Jug's traceback) and the
    # original Jug's failure marks, which hold no traceback at all.
    plain = "Traceback (most recent call last):\n  File ...\nValueError: bad"
    (one,) = split_attempts(plain)
    assert (one.number, one.of, one.at, one.note, one.traceback) == (1, 1, None, "", plain)
    (empty,) = split_attempts("")
    assert empty.traceback == "" and attempt_count("") == 1
    # A message that looks like a header, inside a traceback, is not taken for one.
    tricky = plain + "\njug: attempt 2 of 3 failed at 2026-01-01T00:00:00Z"
    assert attempt_count(tricky) == 1


def test_task_failure_keeps_its_attempts():
    assert TaskFailure("n", "h", "e") == TaskFailure("n", "h", "e", 1)
    assert TaskFailure("n", "h", "e", 2) != TaskFailure("n", "h", "e")
    assert "attempts=2" in repr(TaskFailure("n", "h", "e", 2))


def test_the_failed_hook_fires_once_with_every_attempt(memory_store):
    from jug.execution import hooks
    from jug.execution.hooks import HookPoint

    seen = []

    def listener(task, error):
        seen.append((task.name, error))

    flaky("g", 99)
    hooks.register(HookPoint.TASK_FAILED, listener)
    try:
        opts = ExecutionOptions(retries=1, retry_delay=0)
        result = Executor(memory_store, opts, stream=io.StringIO()).run(list(alltasks))
    finally:
        hooks.unregister(HookPoint.TASK_FAILED, listener)
    ((name, error),) = seen
    assert name == f"{__name__}.flaky" and error == result.failures[0].error
    assert attempt_count(error) == 2
