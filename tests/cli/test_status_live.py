"""``jug status --json`` and ``--watch`` with real workers, provenance on every store, and
what the original Jug 2.7 makes of our records (it must read our results, and its cleanup
must leave the records alone)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

JUGFILE = """
import os, time
from jug import TaskGenerator

DELAY = float(os.environ.get("JUG_TEST_DELAY", "0"))


@TaskGenerator
def step(i):
    time.sleep(DELAY)
    return i


@TaskGenerator
def fail(x):
    raise KeyError("missing column " + repr(x))


@TaskGenerator
def join(xs):
    return sum(xs)


steps = [step(i) for i in range(12)]
total = join(steps)
"""

FAILING = JUGFILE + "\nbad = fail('<x>')\n"

ORIGINAL = os.environ.get("JUG_ORIGINAL_PYTHON", "/tmp/origjug/bin/python")
needs_original = pytest.mark.skipif(
    not os.path.exists(ORIGINAL), reason="the original jug is not installed here"
)


def status_json(project, *args, env=None):
    done = project.jug("status", "--json", *args, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_json_document_after_a_run(project):
    project.write("jugfile.py", FAILING)
    doc = status_json(project)
    assert doc["schema"] == "jug-status" and doc["version"] == 1
    assert doc["jugfile"] == "jugfile.py" and doc["jugdir"] == "jugfile.jugdata"
    assert doc["totals"] == {
        "waiting": 1,
        "ready": 13,
        "finished": 0,
        "running": 0,
        "failed": 0,
        "stale": 0,
        "total": 14,
    }
    assert doc["rate"]["per_second"] is None and doc["eta"]["seconds"] is None

    run = project.jug("execute", "--keep-going", "--keep-failed", env={"SLURM_JOB_ID": "77"})
    assert run.returncode == 1
    doc = status_json(project)
    assert doc["totals"]["finished"] == 13 and doc["totals"]["failed"] == 1
    assert not doc["all_finished"] and doc["complete"]
    rows = {row["name"]: row for row in doc["tasks"]}
    assert rows["jugfile.step"]["finished"] == 12
    durations = rows["jugfile.step"]["durations"]
    assert durations["count"] == 12 and 0 <= durations["min"] <= durations["median"]
    assert durations["median"] <= durations["max"] and durations["mean"] <= durations["max"]
    assert rows["jugfile.fail"]["durations"] is None
    (failure,) = doc["failed"]
    assert (
        failure["name"] == "jugfile.fail"
        and failure["error"] == "KeyError: \"missing column '<x>'\""
    )
    assert failure["host"] == os.uname().nodename and failure["job"] == "77"
    assert len(doc["recent"]) == 13
    newest = doc["recent"][0]
    assert newest["name"] == "jugfile.join" and newest["job"] == "77"
    assert newest["scheduler"] == "slurm" and newest["peak_rss"] > 0
    assert doc["rate"]["source"] == "records" and doc["rate"]["per_second"] > 0
    assert doc["eta"]["seconds"] == 0.0  # nothing is left that can run


def test_running_tasks_in_json_show_where_and_which_job(project, wait):
    project.write("jugfile.py", JUGFILE)
    worker = project.start(
        "execute",
        env={
            "JUG_TEST_DELAY": "2",
            "SLURM_JOB_ID": "9001",
            "SLURM_ARRAY_JOB_ID": "9000",
            "SLURM_ARRAY_TASK_ID": "3",
        },
    )
    try:
        wait(lambda: status_json(project)["totals"]["running"] == 1, timeout=60)
        doc = status_json(project)
        (running,) = doc["running"]
        assert running["name"] == "jugfile.step" and running["pid"] == worker.pid
        assert running["job"] == "9000_3" and running["scheduler"] == "slurm"
        assert running["host"] == os.uname().nodename
        assert 0 <= running["heartbeat_age"] < 60 and running["lease"] == 600
        assert time.time() - 60 < running["since"] <= time.time()
    finally:
        worker.kill()
        worker.communicate()


def test_watch_until_finished(project):
    project.write("jugfile.py", JUGFILE)
    env = {"JUG_TEST_DELAY": "0.2"}
    workers = [project.start("execute", env=env) for _ in range(2)]
    watch = project.jug("status", "--watch", "0.3", timeout=120)
    for w in workers:
        w.communicate(timeout=60)
    assert watch.returncode == 0, watch.stderr
    frames = [f for f in watch.stdout.split("\n\n") if f.strip()]
    assert len(frames) >= 3  # refreshed while the workers ran
    finished = [int(re.search(r"(\d+)\s+\d+\s+\d+\s+\d+\s+Total", f).group(1)) for f in frames]
    assert finished == sorted(finished) and finished[-1] == 13 and finished[0] < 13
    assert "Everything is finished." in frames[-1]
    assert any("Rate: " in f and "ETA" in f for f in frames[:-1])
    assert "every 0.3s" in frames[0]


def test_watch_json_lines(project):
    project.write("jugfile.py", JUGFILE)
    worker = project.start("execute", env={"JUG_TEST_DELAY": "0.1"})
    watch = project.jug("status", "--json", "--watch", "0.2", timeout=120)
    worker.communicate(timeout=60)
    assert watch.returncode == 0, watch.stderr
    docs = [json.loads(line) for line in watch.stdout.splitlines()]
    assert len(docs) >= 2 and docs[-1]["all_finished"] and not docs[0]["all_finished"]
    assert [d["totals"]["finished"] for d in docs] == sorted(d["totals"]["finished"] for d in docs)


def test_watch_stops_on_ctrl_c(project):
    project.write("jugfile.py", JUGFILE)
    watch = project.start("status", "--watch", "0.2")
    time.sleep(1.5)
    watch.send_signal(signal.SIGINT)
    out, err = watch.communicate(timeout=30)
    assert watch.returncode == 130, err
    assert "Rate: not known yet" in out and "Traceback" not in err


def test_watch_on_a_terminal_redraws_in_place(project):
    import pty

    project.write("jugfile.py", JUGFILE)
    project.jug("execute", "--target", "step")
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [*project_jug(), "status", "--watch", "0.2"],
        cwd=project.path,
        env=project.env,
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=subprocess.PIPE,
    )
    os.close(secondary)
    time.sleep(1.5)
    project.jug("execute")
    assert proc.wait(timeout=30) == 0
    out = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(primary)
    text = out.decode()
    assert "\x1b[" in text and "F" in text  # cursor moved up to redraw
    assert text.count("Total") >= 2 and "Everything is finished." in text


def project_jug():
    import sys

    return [sys.executable, "-m", "jug"]


def test_bad_watch_values(project):
    project.write("jugfile.py", JUGFILE)
    for value in ("0", "-2", "soon", "inf"):
        done = project.jug("status", f"--watch={value}")
        assert done.returncode == 2 and "--watch" in done.stderr, value
    done = project.jug("status", "--watch", "jugfile.py")
    assert done.returncode == 2 and "name the jugfile before --watch" in done.stderr


def test_json_past_a_barrier(project):
    project.write(
        "jugfile.py",
        """
        from jug import TaskGenerator, barrier

        @TaskGenerator
        def one(i):
            return i

        firsts = [one(i) for i in range(3)]
        barrier()
        seconds = [one(10 + i) for i in range(int(sum(f.value() for f in firsts)))]
        """,
    )
    doc = status_json(project)
    assert not doc["complete"] and doc["totals"]["total"] == 3
    assert project.jug("execute").returncode == 0
    doc = status_json(project)
    assert doc["complete"] and doc["all_finished"] and doc["totals"]["finished"] == 6


def test_status_json_with_cache(project):
    project.write("jugfile.py", JUGFILE)
    project.jug("execute")
    first = status_json(project, "--cache")
    again = status_json(project, "--cache")
    assert again["totals"] == first["totals"] and again["tasks"] == first["tasks"]


@pytest.mark.parametrize("jugdir", ["dict_store:results.pickle", "file"])
def test_provenance_on_the_file_and_dict_stores(project, jugdir):
    project.write("jugfile.py", JUGFILE)
    args = [] if jugdir == "file" else ["--jugdir", jugdir]
    assert project.jug("execute", *args).returncode == 0
    doc = status_json(project, *args)
    assert {r["name"]: r["durations"]["count"] for r in doc["tasks"]} == {
        "jugfile.join": 1,
        "jugfile.step": 12,
    }


@pytest.mark.requires_redis
def test_provenance_on_redis(project, redis7_server):
    project.write("jugfile.py", JUGFILE)
    url = redis7_server.url + "/?prefix=prov"
    assert project.jug("execute", "--jugdir", url).returncode == 0
    doc = status_json(project, "--jugdir", url)
    assert doc["totals"]["finished"] == 13 and len(doc["recent"]) == 13
    assert doc["tasks"][1]["durations"]["count"] == 12


def test_records_in_the_jugdir_layout(project):
    project.write("jugfile.py", JUGFILE)
    before = time.time_ns()
    assert project.jug("execute").returncode == 0
    packs = project.path / "jugfile.jugdata" / "packs"
    logs = sorted(p.name for p in packs.iterdir())
    assert len(logs) == 1 and re.fullmatch(r"records\.[0-9a-f]{16}\.jsonl", logs[0])
    lines = [json.loads(line) for line in (packs / logs[0]).read_text().splitlines()]
    assert len(lines) == 1 + 13  # the run's context once, then a line per result
    number, context = lines[0]
    assert number == 0 and set(context) == {"host", "pid", "jug", "python"}
    for key, n, started, duration, peak_rss in lines[1:]:
        assert len(key) == 40 and n == 0
        assert before <= started <= started + duration <= time.time_ns()
        assert peak_rss > 2**20


@needs_original
def test_the_original_reads_our_results_and_keeps_our_records(project):
    """The original Jug 2.7 sees every result we wrote as finished, loads them, and its
    `jug cleanup` removes an inactive result but not the record logs."""
    project.write("jugfile.py", JUGFILE)
    assert project.jug("execute").returncode == 0
    theirs = [os.path.join(os.path.dirname(ORIGINAL), "jug")]

    def original(*args, where=project.path):
        return subprocess.run(
            [*theirs, *args, "jugfile.py"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=120,
        )

    status = original("status")
    assert "13" in status.stdout and status.returncode == 0, status.stdout + status.stderr
    value = subprocess.run(
        [
            ORIGINAL,
            "-c",
            "import jug; _, ns = jug.init('jugfile.py', 'jugfile.jugdata'); "
            "print(jug.value(ns['total']))",
        ],
        cwd=project.path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert value.stdout.strip() == "66", value.stderr
    # The jugfile with two tasks fewer (same module name, so the same hashes): cleanup
    # removes those results, and nothing else.
    smaller = JUGFILE.replace("range(12)", "range(11)").replace("total = join(steps)", "")
    project.write("smaller/jugfile.py", smaller)
    packs = project.path / "jugfile.jugdata" / "packs"
    logs_before = {p.name: p.read_bytes() for p in packs.iterdir()}
    jugdir = str(project.path / "jugfile.jugdata")
    cleaned = original("cleanup", "--jugdir", jugdir, where=project.path / "smaller")
    assert cleaned.returncode == 0, cleaned.stderr
    assert {p.name: p.read_bytes() for p in packs.iterdir()} == logs_before
    doc = status_json(project)
    assert doc["totals"]["finished"] == 11  # two results gone: step(11) and join
    assert {r["name"]: (r["durations"] or {}).get("count") for r in doc["tasks"]} == {
        "jugfile.join": None,
        "jugfile.step": 11,
    }


@needs_original
def test_a_project_of_the_original_has_no_provenance(project):
    project.write("jugfile.py", JUGFILE)
    theirs = os.path.join(os.path.dirname(ORIGINAL), "jug")
    done = subprocess.run(
        [theirs, "execute", "jugfile.py"],
        cwd=project.path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    doc = status_json(project)
    assert doc["all_finished"] and doc["totals"]["finished"] == 13
    assert doc["recent"] == [] and all(r["durations"] is None for r in doc["tasks"])
    assert not (Path(project.path) / "jugfile.jugdata" / "packs").exists()
    shown = project.python(
        """
        import json, jug
        _, ns = jug.init('jugfile.py', 'jugfile.jugdata')
        print(json.dumps([ns['total'].provenance() is None, jug.value(ns['total'])]))
        """
    )
    assert shown == [True, 66]
