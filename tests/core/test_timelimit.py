"""Knowing the end of the batch job (jug.execution.timelimit), not starting a task that
cannot finish before it, and stopping on the scheduler's warning signal (jug-core only)."""

from __future__ import annotations

import io
import math
import os
import signal
import threading
import time

import pytest

from jug import TaskGenerator
from jug.errors import InvalidOptionError
from jug.execution import ExecutionOptions, Executor, StopReason
from jug.execution.interrupts import Terminated, stop_signals
from jug.execution.timelimit import (
    TimeBudget,
    find_end_time,
    parse_duration,
    parse_end_time,
)

ran: list[int] = []


@TaskGenerator
def step(i):
    time.sleep(0.5)
    ran.append(i)
    return i


@TaskGenerator
def quick(i):
    ran.append(i)
    return i


@TaskGenerator
def warned(i):
    # The scheduler's warning arrives while this task runs.
    os.kill(os.getpid(), signal.SIGUSR1)
    time.sleep(0.05)
    ran.append(i)
    return i


@pytest.fixture(autouse=True)
def _clear():
    del ran[:]


# -- durations and end times ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90),
        ("1.5", 1.5),
        ("01:30", 90),
        ("1:00:00", 3600),
        ("2-00:00:00", 2 * 86400),
        ("1-12", 86400 + 12 * 3600),
        ("1-0:30", 86400 + 1800),
        ("100:00:00", 360000),
    ],
)
def test_durations_as_schedulers_write_them(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "1:2:3:4", "-5", "1:-1", "nan", "x-1:00"])
def test_bad_durations_are_refused(text):
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_end_times():
    now = 1_800_000_000.0
    assert parse_end_time("+90", now) == now + 90
    assert parse_end_time("+1:00:00", now) == now + 3600
    assert parse_end_time("never", now) == math.inf
    assert parse_end_time("1800000600", now) == 1_800_000_600
    local = time.mktime((2027, 1, 15, 14, 30, 0, 0, 0, -1))
    assert parse_end_time("2027-01-15T14:30", now) == local
    # A clock time is today's, or tomorrow's once past.
    when = parse_end_time("00:00:01", now)
    assert now < when <= now + 86400
    with pytest.raises(ValueError, match="not an end time"):
        parse_end_time("tomorrow", now)


def _asker(answers: dict[str, str | None]):
    asked: list[list[str]] = []

    def ask(command: list[str]) -> str | None:
        asked.append(command)
        return answers.get(command[0])

    ask.asked = asked  # type: ignore[attr-defined]
    return ask


def test_slurm_end_time_from_its_variable_or_squeue():
    env = {"SLURM_JOB_ID": "42", "SLURM_JOB_END_TIME": "1800000000"}
    found = find_end_time(env, ask=_asker({}))
    assert (found.end, found.scheduler, found.source) == (
        1_800_000_000,
        "slurm",
        "SLURM_JOB_END_TIME",
    )

    # SLURM 22.05 sets no end time: squeue says it (local time); an array element is
    # asked for by its array id and index (its SLURM_JOB_ID may be the array's own id).
    ask = _asker({"squeue": "2027-01-15T14:30:00\n"})
    env = {"SLURM_JOB_ID": "7", "SLURM_ARRAY_JOB_ID": "7", "SLURM_ARRAY_TASK_ID": "3"}
    found = find_end_time(env, ask=ask)
    assert found.end == time.mktime((2027, 1, 15, 14, 30, 0, 0, 0, -1))
    assert found.source == "squeue"
    assert ask.asked == [["squeue", "-h", "-j", "7_3", "-o", "%e"]]

    # No limit (or squeue failing) and no JUG_END_TIME: not known.
    assert find_end_time({"SLURM_JOB_ID": "7"}, ask=_asker({"squeue": "Unknown\n"})) is None
    assert find_end_time({"SLURM_JOB_ID": "7"}, ask=_asker({"squeue": None})) is None
    env = {"SLURM_JOB_ID": "7", "JUG_END_TIME": "1800000000.5"}
    found = find_end_time(env, ask=_asker({}))
    assert (found.end, found.source) == (1_800_000_000.5, "JUG_END_TIME")


def test_sge_end_time_is_h_rt_from_the_job_start(tmp_path):
    spool = tmp_path / "1.1"
    spool.mkdir()
    started = time.time() - 100
    os.utime(spool, (started, started))
    qstat = (
        "job_number:                 4\nhard resource_list:         h_rt=3600,s_rt=3500,h_vmem=4G\n"
    )
    env = {"JOB_ID": "4", "SGE_TASK_ID": "1", "SGE_ROOT": "/x", "SGE_JOB_SPOOL_DIR": str(spool)}
    found = find_end_time(env, ask=_asker({"qstat": qstat}))
    assert found.scheduler == "sge" and found.source == "qstat"
    assert found.end == pytest.approx(started + 3600, abs=0.01)
    env["JUG_END_TIME"] = "123"
    assert find_end_time(env, ask=_asker({"qstat": "hard resource_list: h_vmem=1G\n"})).end == 123


def test_pbs_end_time_from_qstat_or_torques_variable():
    qstat = (
        "Job Id: 12[3].server\n"
        "    Resource_List.walltime = 02:00:00\n"
        "    stime = Fri Jan 15 14:30:00 2027\n"
    )
    found = find_end_time({"PBS_JOBID": "12[3].server"}, ask=_asker({"qstat": qstat}))
    assert found.end == time.mktime((2027, 1, 15, 16, 30, 0, 0, 0, -1))
    before = time.time()
    found = find_end_time({"PBS_JOBID": "12", "PBS_WALLTIME": "600"}, ask=_asker({}))
    assert found.source == "PBS_WALLTIME" and before + 600 <= found.end <= time.time() + 600


def test_no_end_time_outside_a_job():
    assert find_end_time({}, ask=_asker({})) is None
    assert find_end_time({"JUG_END_TIME": "1800000000"}).end == 1_800_000_000


# -- the budget ---------------------------------------------------------------------------------


def test_budget_expects_the_95th_percentile_of_recorded_durations():
    now = [1000.0]
    budget = TimeBudget(end=1100.0, margin=5.0, clock=lambda: now[0])
    assert budget.expected("a") is None and budget.fits("a")
    for d in range(1, 21):  # 1..20 seconds
        budget.learn("a", float(d))
    assert budget.expected("a") == 19.0  # the 19th of 20
    budget.learn("a", 500.0)
    assert budget.expected("a") == 20.0  # one outlier in 21 does not count
    now[0] = 1074.0  # 26 s left: 20 + 5 fits
    assert budget.fits("a")
    now[0] = 1076.0
    assert not budget.fits("a")
    with_default = TimeBudget(end=1100.0, task_time=30.0, clock=lambda: 1000.0)
    assert with_default.expected("new") == 30.0
    assert with_default.fits("new") and not TimeBudget(
        end=1100.0, task_time=96.0, clock=lambda: 1000.0
    ).fits("new")
    # Past the end, nothing starts, known or not.
    assert not TimeBudget(end=1000.0, clock=lambda: 1000.0).fits("unknown")


def test_budget_reads_provenance_records_and_times_the_running_task():
    now = [0.0]
    budget = TimeBudget(end=100.0, margin=0.0, clock=lambda: now[0])
    names = {"h1": "a", "h2": "a", "h3": "b"}
    records = {
        "h1": {"started": 1.0, "ended": 4.0, "duration": 3.0},
        "h2": {"started": 1.0, "ended": 9.0},  # no duration: end - start
        "h3": {"host": "x"},  # no times: not a duration
        "h4": {"duration": 1.0},  # not a task of ours
    }
    assert budget.learn_records(names, records) == 2
    assert budget.durations("a") == [3.0, 8.0]
    now[0] = 50.0
    budget.started("b")
    assert budget.running_fits()  # nothing expected of b
    budget.learn("b", 60.0)
    assert not budget.running_fits()  # 50 + 60 > 100
    now[0] = 52.0
    budget.finished("b")
    assert budget.running is None and budget.durations("b") == [2.0, 60.0]


def test_time_options_are_checked():
    with pytest.raises(InvalidOptionError, match="task time"):
        ExecutionOptions(task_time=-1)
    with pytest.raises(InvalidOptionError, match="end time"):
        ExecutionOptions(end_time=0)
    with pytest.raises(InvalidOptionError, match="margin"):
        ExecutionOptions(time_margin=float("inf"))


# -- the loop ---------------------------------------------------------------------------------


def test_a_task_that_would_not_finish_is_not_started(memory_store):
    first = [step(i) for i in range(2)]
    assert Executor(memory_store).run(first).ok  # records: two durations of ~0.5 s
    del ran[:]
    tasks = [step(i) for i in range(6)]
    # 1.2 s left, a 0.2 s margin: one more 0.5 s task fits, a second does not.
    options = ExecutionOptions(end_time=time.time() + 1.2, time_margin=0.2)
    executor = Executor(memory_store, options)
    result = executor.run(tasks)
    assert ran == [2]
    assert result.end is StopReason.TIME_LIMIT and result.exit_code == 0
    assert result.undone == 3 and not result.problems
    assert "3 task(s) not started" in result.stop_message
    assert "the 95th percentile of 3 recorded duration(s)" in result.stop_message
    assert executor.time_budget is not None
    assert len(executor.time_budget.durations(tasks[0].name)) == 3
    # No lock is left behind.
    assert not memory_store.lock_infos()


def test_task_time_stands_for_unknown_durations(memory_store):
    tasks = [quick(i) for i in range(3)]
    result = Executor(memory_store, ExecutionOptions(end_time=time.time() + 60, task_time=120)).run(
        tasks
    )
    assert ran == [] and result.end is StopReason.TIME_LIMIT and result.undone == 3
    assert "--task-time" in result.stop_message
    # With time enough, or no end at all, they run.
    assert Executor(memory_store, ExecutionOptions(end_time=math.inf, task_time=120)).run(tasks).ok


def test_the_batch_jobs_end_is_found_by_default(memory_store, monkeypatch):
    monkeypatch.setenv("JUG_END_TIME", str(time.time() + 30))
    tasks = [quick(i) for i in range(3)]
    result = Executor(memory_store, ExecutionOptions(task_time=60)).run(tasks)
    assert result.end is StopReason.TIME_LIMIT and ran == []
    monkeypatch.delenv("JUG_END_TIME")
    assert Executor(memory_store, ExecutionOptions(task_time=60)).run(tasks).ok


def test_stop_takes_no_new_task(memory_store):
    tasks = [quick(i) for i in range(5)]

    class StopAfterTwo(Executor):
        def on_task_done(self, task):
            super().on_task_done(task)
            if len(ran) == 2:
                self.stop("enough", signal.SIGUSR2)

    result = StopAfterTwo(memory_store).run(tasks)
    assert ran == [0, 1]
    assert result.end is StopReason.STOPPED and result.stop_message == "enough"
    assert result.signal == signal.SIGUSR2 and result.exit_code == 128 + signal.SIGUSR2
    assert result.undone == 3 and not result.problems
    # Without a signal, a stop is not a failure.
    executor = Executor(memory_store)
    executor.stop("from elsewhere")
    result = executor.run(tasks)
    assert result.end is StopReason.STOPPED and result.exit_code == 0


def test_stop_wakes_a_worker_waiting_for_others(memory_store):
    task = quick(1)
    memory_store.getlock(task.hash()).get()  # another worker holds it
    executor = Executor(memory_store, ExecutionOptions(wait_cycle_time=30.0))
    threading.Timer(0.5, executor.stop, ("asked",)).start()
    started = time.monotonic()
    result = executor.run([task])
    assert time.monotonic() - started < 10  # not a 30-second pause
    assert result.end is StopReason.STOPPED


def test_warning_signal_lets_the_running_task_finish(memory_store):
    tasks = [warned(0), quick(1)]
    executor = Executor(memory_store)
    with stop_signals(executor):
        result = executor.run(tasks)
    assert ran == [0]  # finished, and nothing new started
    assert result.end is StopReason.STOPPED and result.signal == signal.SIGUSR1
    assert result.stop_message == "received SIGUSR1" and result.exit_code == 138
    assert memory_store.can_load(tasks[0].hash()) and not memory_store.lock_infos()


def test_warning_signal_interrupts_a_task_that_cannot_finish(memory_store):
    task = warned(1)

    class Knowing(Executor):
        def on_task_start(self, t):
            # Its name is known to take far longer than the 60 s left.
            self.time_budget.learn(t.name, 600.0)

    executor = Knowing(memory_store, ExecutionOptions(end_time=time.time() + 60))
    with pytest.raises(Terminated) as caught, stop_signals(executor):
        executor.run([task])
    assert caught.value.signum == signal.SIGUSR1
    assert ran == []  # cut before its end
    assert not memory_store.can_load(task.hash())
    assert not memory_store.lock_infos()  # its lock was released at once


@TaskGenerator
def failing(i):
    raise ValueError(f"bad {i}")


def test_a_failure_is_not_reported_as_the_time_limit(memory_store):
    # One task is set aside (known to take far too long), the next fails: the run stops
    # because of the failure, and says so.
    class Knowing(Executor):
        def on_start(self):
            self.time_budget.learn(slow.name, 1000.0)

    slow = step(9)
    tasks = [slow, failing(1)]
    executor = Knowing(
        memory_store, ExecutionOptions(end_time=time.time() + 60), stream=io.StringIO()
    )
    result = executor.run(tasks)
    assert result.end is StopReason.TASK_FAILED and result.exit_code == 1
    assert ran == [] and executor.time_budget.running is None
    # Going on after failures, the time limit ends the run, and the failure sets the code.
    executor = Knowing(
        memory_store,
        ExecutionOptions(end_time=time.time() + 60, keep_going=True),
        stream=io.StringIO(),
    )
    result = executor.run(tasks)
    assert result.end is StopReason.TIME_LIMIT and result.failures and result.exit_code == 1
