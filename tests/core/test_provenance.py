"""Provenance records, rates and ETAs, and the status monitor (jug.execution; jug-core only)."""

from __future__ import annotations

import json
import os
import sys
import time

import pytest

import jug.store
from jug import TaskGenerator, __version__
from jug.execution import (
    Provenance,
    StatusMonitor,
    TaskState,
    count_states,
    execute,
    hash_graph,
    provenance,
    provenances,
)
from jug.execution.rates import RateMeter, eta, format_rate, format_seconds, rate_from_records
from jug.execution.records import ProvenanceRecorder, batch_job
from jug.store import RecordContext, record_dict
from jug.task import alltasks
from jug.testing import MemoryStore


@TaskGenerator
def nap(x):
    time.sleep(0.05)
    return x


@TaskGenerator
def quick(x):
    return x + 1


@TaskGenerator
def total(xs):
    return sum(xs)


@TaskGenerator
def pair(x):
    return (x, -x)


@TaskGenerator
def fails(x):
    raise RuntimeError(f"no good: {x}")


class NoRecords(MemoryStore):
    """A store that keeps no records (the default of the store interface)."""

    keeps_records = False


def test_every_result_gets_its_provenance(store):
    before = time.time()
    t = nap(1)
    u = quick(2)
    assert execute([t, u], store).ok
    after = time.time()
    p = t.provenance()
    assert isinstance(p, Provenance)
    assert before <= p.started <= p.ended <= after
    assert 0.05 <= p.duration < 5 and abs((p.ended - p.started) - p.duration) < 1e-3
    assert p.host == os.uname().nodename and p.pid == os.getpid()
    assert p.peak_rss > 10 * 2**20  # a Python process holds more than 10 MiB
    assert p.jug_version == __version__
    assert p.python_version == "{}.{}.{}".format(*sys.version_info[:3])
    assert p.job is None and p.scheduler is None
    assert "ran" in p.describe() and p.host in p.describe()
    assert provenance(u.key(), store) == u.provenance()
    assert set(provenances([t, u], store)) == {t.key(), u.key()}
    assert p.to_dict()["host"] == p.host


def test_the_batch_job_is_recorded(store, monkeypatch):
    monkeypatch.setenv("SLURM_JOB_ID", "991")
    monkeypatch.setenv("SLURM_ARRAY_JOB_ID", "990")
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "7")
    t = quick(5)
    execute([t], store)
    p = t.provenance()
    assert (p.scheduler, p.job) == ("slurm", "990_7")
    assert "slurm job 990_7" in p.describe()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"SLURM_JOB_ID": "12"}, ("slurm", "12")),
        (
            {"SLURM_JOB_ID": "12", "SLURM_ARRAY_JOB_ID": "10", "SLURM_ARRAY_TASK_ID": "2"},
            ("slurm", "10_2"),
        ),
        ({"JOB_ID": "55", "SGE_ROOT": "/opt/sge", "SGE_TASK_ID": "undefined"}, ("sge", "55")),
        ({"JOB_ID": "55", "SGE_TASK_ID": "3"}, ("sge", "55.3")),
        ({"JOB_ID": "55"}, None),  # JOB_ID alone is too common a name to mean SGE
        ({"PBS_JOBID": "77[3].head"}, ("pbs", "77[3].head")),
        ({"LSB_JOBID": "88", "LSB_JOBINDEX": "0"}, ("lsf", "88")),
        ({"LSB_JOBID": "88", "LSB_JOBINDEX": "4"}, ("lsf", "88[4]")),
    ],
)
def test_batch_job_of_each_scheduler(env, expected):
    assert batch_job(env) == expected


def test_lock_records_carry_the_job(store, monkeypatch):
    monkeypatch.setenv("PBS_JOBID", "4242.head")
    monkeypatch.setattr(jug.store._Holder, "_me", None)
    lock = store.getlock("a" * 40)
    assert lock.get()
    assert store.lock_infos()["a" * 40].extra == {"job": "4242.head", "scheduler": "pbs"}
    monkeypatch.delenv("PBS_JOBID")
    monkeypatch.setattr(jug.store._Holder, "_me", None)
    other = store.getlock("b" * 40)
    assert other.get()
    assert store.lock_infos()["b" * 40].extra == {}


def test_a_store_without_records_has_no_provenance():
    s = NoRecords()
    t = quick(1)
    assert execute([t], s).ok
    assert t.value() == 2
    assert t.provenance() is None
    assert s.records() == {} and s.records_kept == {}


def test_no_provenance_without_a_result_or_after_removal(store):
    t = quick(10)
    assert t.provenance() is None
    execute([t], store)
    assert t.provenance() is not None
    t.invalidate()
    assert t.provenance() is None


def test_a_tasklet_has_its_base_tasks_provenance(store):
    t = pair(3)
    execute([t], store)
    assert provenance(t[1], store) == t.provenance()


def test_a_failed_task_has_no_provenance(store):
    t = fails(1)
    result = execute([t], store, keep_going=True, keep_failed=True, stream=open(os.devnull, "w"))
    assert not result.ok
    assert t.provenance() is None


def test_every_record_of_a_run_shares_one_context(store):
    tasks = [quick(i) for i in range(5)]
    assert execute(tasks, store).ok
    kept = [store.records_kept[t.key()] for t in tasks]
    context = kept[0][0]
    assert all(record[0] is context for record in kept)  # kept as given: one object
    assert dict(context.fields) == {
        "host": os.uname().nodename,
        "pid": os.getpid(),
        "jug": __version__,
        "python": "{}.{}.{}".format(*sys.version_info[:3]),
    }
    for (_, started, duration, peak_rss), t in zip(kept, tasks, strict=True):
        assert type(started) is type(duration) is type(peak_rss) is int
        assert store.record(t.key()) == record_dict((context, started, duration, peak_rss))


def test_a_record_reads_as_a_dict_of_its_context_and_numbers(monkeypatch):
    monkeypatch.setenv("LSB_JOBID", "5")
    monkeypatch.setenv("LSB_JOBINDEX", "2")
    recorder = ProvenanceRecorder()
    record = recorder.record(1733500000123456789, 12345)
    assert record[0] is recorder.context and record[1:3] == (1733500000123456789, 12345)
    assert record[3] == recorder.rss > 10 * 2**20
    mine = record_dict(record)
    assert mine == {
        **recorder.context.fields,
        "started": 1733500000.1234567,
        "ended": 1733500000.1234691,
        "duration": 1.2345e-05,
        "peak_rss": record[3],
    }
    assert (mine["job"], mine["scheduler"]) == ("5[2]", "lsf")
    mine["host"] = "elsewhere"  # a new dict each time: the context is untouched
    assert record_dict(record)["host"] == os.uname().nodename
    p = Provenance(mine)
    assert p.duration == 1.2345e-05 and p.job == "5[2]"


def test_short_tasks_reuse_a_recent_peak_memory():
    recorder = ProvenanceRecorder()
    now = time.time_ns()
    first = recorder.record(now, 10_000)  # nothing measured yet: measured
    assert first[3] == recorder.rss > 10 * 2**20
    recorder.rss = -1  # what a new measurement would change
    for i in range(ProvenanceRecorder.RSS_EVERY):  # shorter than a millisecond: reused
        assert recorder.record(now + i, 999_999)[3] == -1
    assert recorder.record(now, 10)[3] == first[3]  # RSS_EVERY short tasks later: measured
    recorder.rss = -1
    assert recorder.record(now, 1_000_000)[3] == first[3]  # 1 ms or more: measured


def test_a_record_context_is_json_made_once():
    flat = {"host": "node17", "pid": 4242, "gpu": None, "array": True, "jug": "3.0"}
    context = RecordContext(flat)
    assert context.json == json.dumps(flat, separators=(",", ":"))
    assert context.fields == flat and context.fields is not flat
    with pytest.raises(TypeError):
        context.fields["host"] = "x"  # type: ignore[index]  # read-only
    unusual = RecordContext({"host": 'n"ode\\é', "load": 0.25, "code": ("sha1", [1, 2])})
    assert json.loads(unusual.json) == dict(unusual.fields)
    assert unusual.fields["code"] == ["sha1", [1, 2]]  # as JSON reads it back
    assert unusual.json.isascii()
    with pytest.raises(ValueError):
        RecordContext({"load": float("nan")})
    with pytest.raises(TypeError):
        RecordContext({"f": lambda: None})
    with pytest.raises(TypeError):
        RecordContext({1: "x"})
    for number in ("started", "ended", "duration", "peak_rss"):
        with pytest.raises(ValueError, match="one of a record's numbers"):
            RecordContext({number: 1})


def test_records_that_are_not_provenance_are_ignored():
    assert Provenance.from_record(None) is None
    assert Provenance.from_record({"fingerprint": "x"}) is None
    assert Provenance.from_record({"started": "yesterday", "ended": 1}) is None
    p = Provenance.from_record({"started": 1.0, "ended": 3.0, "future_key": 1})
    assert p is not None and p.duration == 2.0 and p.record["future_key"] == 1


# -- rates -------------------------------------------------------------------------------


def test_rate_from_records():
    ends = [100.0, 101.0, 102.0, 103.0]
    assert rate_from_records(ends, [99.0, 100.0, 101.0, 102.0], now=104.0, window=600) == 4 / 5
    assert rate_from_records(ends, None, now=104.0, window=2.5) == 2 / 2  # from the first end
    assert rate_from_records(ends, None, now=1000.0, window=10) is None
    assert rate_from_records([], None, now=1.0) is None


def test_rate_meter_and_eta():
    meter = RateMeter(window=10)
    assert meter.rate() is None
    meter.observe(0, at=0.0)
    meter.observe(10, at=5.0)
    assert meter.rate() == 2.0
    for t in range(6, 30):
        meter.observe(10 + 4 * (t - 5), at=float(t))
    assert meter.rate() == pytest.approx(4.0)  # the old, slower part left the window
    meter.observe(3, at=31.0)  # fewer than before: results were removed, start again
    assert meter.rate() is None
    assert eta(100, 4.0) == 25.0 and eta(0, None) == 0.0 and eta(5, None) is None
    assert [format_seconds(s) for s in (None, 5, 200, 7500, 200000)] == [
        "?",
        "5s",
        "3m20s",
        "2h05m",
        "2d07h",
    ]
    assert [format_rate(r) for r in (None, 12.5, 0.5, 0.001)] == ["?", "12.5/s", "30/min", "3.6/h"]


# -- the monitor -------------------------------------------------------------------------


class CountingStore(MemoryStore):
    """Counts the keys each bulk query is asked about."""

    def __init__(self):
        super().__init__()
        self.asked: list[int] = []
        self.records_asked: list[int] = []

    def can_load_many(self, keys):
        keys = list(keys)
        self.asked.append(len(keys))
        return super().can_load_many(keys)

    def records(self, keys=None):
        keys = None if keys is None else list(keys)
        self.records_asked.append(-1 if keys is None else len(keys))
        return super().records(keys)


def test_a_refresh_asks_only_about_unfinished_tasks():
    store = CountingStore()
    with jug_store(store):
        firsts = [quick(i) for i in range(10)]
        last = total(firsts)
        order, names, deps = hash_graph(alltasks)
        monitor = StatusMonitor(order, names, deps, store)
        report = monitor.refresh()
        assert report.totals.ready == 10 and report.totals.waiting == 1
        assert store.asked == [11] and store.records_asked == []
        execute(firsts[:4], store)
        report = monitor.refresh()
        assert store.asked[-1] == 11 and store.records_asked[-1] == 4  # only the new ones
        assert report.totals.finished == 4 and report.counts[names[last.key()]].waiting == 1
        execute(alltasks, store)
        report = monitor.refresh()
        assert store.asked[-1] == 7 and store.records_asked[-1] == 7
        assert report.all_finished and report.eta == 0.0
        monitor.refresh()
        assert store.asked[-1] == 7  # finished: nothing left to ask about
        assert report.durations[names[last.key()]].count == 1


def test_the_monitor_agrees_with_count_states(store):
    tasks = [nap(i) for i in range(3)] + [quick(i) for i in range(5)]
    done = total(tasks)
    execute(tasks[:4], store)
    lock = store.getlock(tasks[5].key())
    assert lock.get()
    failed = store.getlock(tasks[6].key())
    assert failed.get() and failed.fail("Traceback...\nValueError: <b>x</b>")
    order, names, deps = hash_graph(alltasks)
    report = StatusMonitor(order, names, deps, store).refresh()
    assert report.counts == count_states(order, names, deps, store)
    assert report.totals.running == 1 and report.totals.failed == 1
    (running,) = report.running
    assert running["hash"] == tasks[5].key() and running["pid"] == os.getpid()
    assert running["heartbeat_age"] < 60 and running["lease"] == store.lease
    (failure,) = report.failed
    assert failure["error"] == "ValueError: <b>x</b>" and "Traceback" in failure["traceback"]
    assert report.remaining == 1 + 2 + 1  # waiting, ready, running (not failed)
    doc = json.loads(report.to_json())
    assert doc["schema"] == "jug-status" and doc["version"] == 1
    assert doc["totals"]["total"] == 9 and doc["running"][0]["hash"] == tasks[5].key()
    stats = {row["name"]: row["durations"] for row in doc["tasks"]}
    assert stats[names[tasks[0].key()]]["count"] == 3
    assert stats[names[tasks[0].key()]]["median"] >= 0.05
    assert stats[names[done.key()]] is None
    assert doc["recent"][0]["ended"] >= doc["recent"][-1]["ended"]
    assert doc["rate"]["source"] == "records" and doc["rate"]["per_second"] > 0
    assert doc["eta"]["seconds"] > 0
    lock.release()
    stale = store.getlock(tasks[7].key())
    store.lease = 0.01
    assert stale.get()
    time.sleep(0.05)
    report = StatusMonitor(order, names, deps, store).refresh()
    assert report.totals.stale == 1 and report.stale[0]["hash"] == tasks[7].key()
    assert report.counts == count_states(order, names, deps, store)
    assert TaskState.STALE.value in report.to_dict()["tasks"][1]


def test_without_records_the_rate_is_observed():
    store = NoRecords()
    with jug_store(store):
        tasks = [quick(i) for i in range(6)]
        monitor = StatusMonitor.from_tasks(store=store)
        first = monitor.refresh(now=1000.0)
        assert first.rate is None and first.eta is None
        execute(tasks[:3], store)
        second = monitor.refresh(now=1003.0)
        assert second.rate == 1.0 and second.rate_source == "observed"
        assert second.eta == 3.0 and second.durations == {} and second.recent == []


def test_metrics_are_prometheus_text(store):
    one = quick(1)
    execute([one, nap(2)], store)
    report = StatusMonitor.from_tasks(store=store).refresh()
    text = report.to_prometheus()
    lines = text.splitlines()
    assert text.endswith("\n")
    assert f'jug_tasks{{name="{one.name}",state="finished"}} 1' in lines
    assert 'jug_project_tasks{state="finished"} 2' in lines
    for line in lines:
        if line.startswith("# TYPE"):
            assert line.split()[3] in ("gauge", "summary")


def jug_store(store):
    """Install *store* as the tasks' store, with alltasks emptied around the block."""
    import contextlib

    from jug.task import Task

    @contextlib.contextmanager
    def installed():
        saved = Task.store
        del alltasks[:]
        Task.store = store
        try:
            yield store
        finally:
            Task.store = saved
            del alltasks[:]

    return installed()
