"""`jug execute --retries N --retry-delay SECONDS`, through the real `jug` command: tasks
that fail and are run again by the same worker, their failure records, `status --failed`
and `--json`, the summary, several workers, configuration files and stop signals."""

from __future__ import annotations

import json
import os
import re
import signal
import time

import pytest

from jug.testing import wait_until

# flaky(name, fails): each attempt appends "PID TIME" to NAME.attempts; the first *fails*
# attempts raise. The count of attempts lives beside the jugfile, so it survives retries.
FLAKY = """
import os, time
from jug import TaskGenerator


@TaskGenerator
def flaky(name, fails):
    path = f"{name}.attempts"
    done = len(open(path).read().splitlines()) if os.path.exists(path) else 0
    with open(path, "a") as f:
        f.write(f"{os.getpid()} {time.time()!r}\\n")
    if done < fails:
        raise ConnectionError(f"{name}: attempt {done + 1} failed")
    return done


{tasks}
"""


def flaky_jugfile(**fails: int) -> str:
    return FLAKY.replace("{tasks}", "\n".join(f"{n} = flaky({n!r}, {k})" for n, k in fails.items()))


def attempts(project, name: str) -> list[tuple[int, float]]:
    path = project.path / f"{name}.attempts"
    if not path.exists():
        return []
    return [(int(p), float(t)) for p, t in (line.split() for line in path.read_text().splitlines())]


def test_a_task_failing_twice_then_succeeding_needs_retries(project, parse_summary):
    project.write("jugfile.py", flaky_jugfile(flaky_one=2, steady=0))
    done = project.jug("execute", "--retries", "2", "--retry-delay", "0.1")
    assert done.returncode == 0, done.stderr
    assert len(attempts(project, "flaky_one")) == 3
    assert len(attempts(project, "steady")) == 1
    # The summary says that a task needed retries: a retry never hides a failure.
    rows = parse_summary(done.stdout)
    assert rows["jugfile.flaky"] == [2, 0, 1]  # executed, loaded, retried
    assert "1 task(s) needed retries (1 succeeded only after retries)" in done.stdout
    # ... and so does the log, with each failed attempt's traceback.
    assert done.stderr.count("Traceback (most recent call last)") == 2
    assert "failed (attempt 1 of 3); retrying in 0.1s" in done.stderr
    assert "failed (attempt 2 of 3); retrying in 0.2s" in done.stderr
    assert "succeeded on attempt 3 of 3, after 2 failure(s)" in done.stderr
    short = project.jug("status", "--short")
    assert "All tasks complete (2 tasks)" in short.stdout
    # Nothing is left marked as failed.
    assert "No task is marked as failed" in project.jug("status", "--failed").stdout


def test_short_summary_counts_retried_tasks(project):
    project.write("jugfile.py", flaky_jugfile(a=1, b=5))
    done = project.jug("execute", "--retries", "1", "--retry-delay", "0", "--keep-going", "--short")
    assert done.returncode == 1
    assert done.stdout.strip() == (
        "Executed 1 tasks, loaded 0, 1 failed; 2 task(s) needed retries "
        "(1 succeeded only after retries, 1 failed after retries)."
    )


def test_a_task_failing_always_runs_retries_plus_one_times(project, parse_summary, hashes):
    project.write("jugfile.py", flaky_jugfile(broken=99))
    done = project.jug("execute", "--retries", "2", "--retry-delay", "0.05", "--keep-failed")
    assert done.returncode == 1
    assert len(attempts(project, "broken")) == 3
    assert parse_summary(done.stdout)["jugfile.flaky"] == [0, 0, 1, 1]
    assert "1 failed after retries" in done.stdout
    assert "failed after 3 attempt(s):" in done.stderr

    # status --failed shows the three attempts, each with its traceback.
    failed = project.jug("status", "--failed").stdout
    assert failed.count("Traceback (most recent call last)") == 3
    for n in (1, 2, 3):
        assert f"attempt {n} of 3 failed at " in failed
        assert f"ConnectionError: broken: attempt {n} failed" in failed
    assert "after 3 attempts" in failed
    assert failed.index("attempt 1 failed") < failed.index("attempt 3 failed")
    short = project.jug("status", "--failed", "--short").stdout
    assert short.rstrip().endswith("after 3 attempts: ConnectionError: broken: attempt 3 failed")

    # status --json: the failed task carries its attempts (schema 1.1).
    doc = json.loads(project.jug("status", "--json").stdout)
    assert doc["version"] == 1 and doc["minor"] >= 1  # attempts came with 1.1
    (entry,) = doc["failed"]
    assert entry["attempts"] == 3
    assert entry["error"] == "ConnectionError: broken: attempt 3 failed"
    assert entry["traceback"].count("Traceback (most recent call last)") == 3

    # The failure mark stops other workers, as without retries.
    again = project.jug("execute", "--retries", "2", "--wait-cycle-time", "0.1")
    assert again.returncode == 1 and "marked as failed" in again.stderr
    assert len(attempts(project, "broken")) == 3


def test_without_retries_the_failure_record_is_one_traceback(project, hashes):
    from jug.backend_registry import open_store

    project.write("jugfile.py", flaky_jugfile(once=1))
    done = project.jug("execute", "--keep-failed")
    assert done.returncode == 1 and "Retried" not in done.stdout
    assert len(attempts(project, "once")) == 1
    (h,) = hashes(project)["jugfile.flaky"]
    info = open_store(str(project.path / "jugfile.jugdata")).lock_infos()[h]
    assert info.error.startswith("Traceback (most recent call last)")
    assert "jug: attempt" not in info.error
    doc = json.loads(project.jug("status", "--json").stdout)
    assert doc["failed"][0]["attempts"] == 1


def test_the_delay_doubles(project):
    project.write("jugfile.py", flaky_jugfile(slow=99))
    done = project.jug("execute", "--retries", "3", "--retry-delay", "0.4", timeout=60)
    assert done.returncode == 1
    times = [t for _, t in attempts(project, "slow")]
    assert len(times) == 4
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    # 0.4, 0.8 and 1.6 s, give or take a loaded machine.
    for gap, expected in zip(gaps, (0.4, 0.8, 1.6), strict=True):
        assert expected - 0.05 <= gap <= expected + 5, gaps
    assert gaps[2] > gaps[0] + 0.6, gaps
    assert "retrying in 1.6s" in done.stderr


def test_several_workers_share_a_store_and_each_retries_its_own_tasks(project, parse_summary):
    project.write("jugfile.py", flaky_jugfile(**{f"t{i}": 2 for i in range(6)}))
    args = ("execute", "--retries", "2", "--retry-delay", "0.3", "--wait-cycle-time", "0.2")
    workers = [project.start(*args) for _ in range(2)]
    outputs = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    retried = 0
    pids = set()
    for i in range(6):
        runs = attempts(project, f"t{i}")
        # Three attempts, all by one worker: it held the lock through the retries.
        assert len(runs) == 3, runs
        assert len({pid for pid, _ in runs}) == 1, runs
        pids.add(runs[0][0])
    for out, _ in outputs:
        rows = parse_summary(out)
        if "jugfile.flaky" in rows:
            executed, loaded, *rest = rows["jugfile.flaky"]
            retried += rest[-1] if rest else 0
    assert retried == 6
    assert "All tasks complete (6 tasks)" in project.jug("status", "--short").stdout


def test_retries_from_a_configuration_file(project, parse_summary):
    project.write("jugfile.py", flaky_jugfile(cfg=1))
    project.write(".jugrc", "[execute]\nretries = 1\nretry-delay = 0.1\n")
    shown = project.jug("config", "--for", "execute").stdout
    assert re.search(r"^\s*retries\s+1\s+\.jugrc \[execute\]$", shown, re.M), shown
    assert re.search(r"^\s*retry-delay\s+0\.1\s+\.jugrc \[execute\]$", shown, re.M), shown
    done = project.jug("execute")
    assert done.returncode == 0, done.stderr
    assert len(attempts(project, "cfg")) == 2
    assert parse_summary(done.stdout)["jugfile.flaky"] == [1, 0, 1]
    # The command line wins over the file.
    project.write("jugfile.py", flaky_jugfile(cfg2=1))
    done = project.jug("execute", "--retries", "0")
    assert done.returncode == 1
    assert len(attempts(project, "cfg2")) == 1


@pytest.mark.parametrize(
    ("args", "rc", "message"),
    [
        (("--retries", "-1"), 2, "not a number of retries"),
        (("--retries", "two"), 2, "not a number of retries"),
        (("--retry-delay", "soon"), 2, "not a duration"),
    ],
)
def test_bad_retry_options_are_usage_errors(project, args, rc, message):
    project.write("jugfile.py", flaky_jugfile(x=0))
    done = project.jug("execute", *args)
    assert done.returncode == rc
    assert message in done.stderr
    assert not (project.path / "x.attempts").exists()


def test_a_bad_retries_value_in_a_configuration_file(project):
    project.write("jugfile.py", flaky_jugfile(x=0))
    project.write(".jugrc", "[execute]\nretries = many\n")
    done = project.jug("execute")
    assert done.returncode == 1
    assert "retries" in done.stderr and "many" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    project.write(".jugrc", "[execute]\nretries = -3\n")
    done = project.jug("execute")
    assert done.returncode == 1
    assert "jug: the number of retries (--retries) must be" in done.stderr
    assert not (project.path / "x.attempts").exists()


def test_a_stop_signal_during_the_wait_stops_at_once_and_records_the_failure(project):
    project.write("jugfile.py", flaky_jugfile(stuck=99, after=0))
    worker = project.start(
        "execute", "--retries", "3", "--retry-delay", "60", "--keep-failed", "--keep-going"
    )
    try:
        wait_until(lambda: len(attempts(project, "stuck")) == 1, timeout=60)
        time.sleep(0.5)  # in the 60 s wait now
        sent = time.monotonic()
        worker.send_signal(signal.SIGUSR1)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert time.monotonic() - sent < 15
    assert worker.returncode == 128 + signal.SIGUSR1, err
    assert len(attempts(project, "stuck")) == 1
    assert not (project.path / "after.attempts").exists()  # no new task was started
    assert "not retried: the run was stopped during the wait (received SIGUSR1)" in err
    # The failure is recorded (the lock became a failure mark: no lock is left running).
    failed = project.jug("status", "--failed").stdout
    assert "attempt 1 of 4 failed at" in failed
    assert "not retried: the run was stopped during the wait" in failed
    doc = json.loads(project.jug("status", "--json").stdout)
    assert doc["totals"]["failed"] == 1 and doc["totals"]["running"] == 0
    assert doc["failed"][0]["attempts"] == 1


def test_sigterm_during_the_wait_releases_the_lock(project):
    project.write("jugfile.py", flaky_jugfile(stuck=99))
    worker = project.start("execute", "--retries", "3", "--retry-delay", "60", "--keep-failed")
    try:
        wait_until(lambda: len(attempts(project, "stuck")) == 1, timeout=60)
        time.sleep(0.5)
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 128 + signal.SIGTERM, err
    assert "lock was released" in err
    doc = json.loads(project.jug("status", "--json").stdout)
    assert doc["totals"]["running"] == 0 and doc["totals"]["ready"] == 1


def test_no_retry_that_would_not_finish_before_the_end_time(project):
    project.write("jugfile.py", flaky_jugfile(late=99))
    started = time.monotonic()
    done = project.jug(
        "execute",
        "--retries",
        "3",
        "--retry-delay",
        "30",
        "--end-time",
        "+20",
        "--time-margin",
        "1",
        "--keep-failed",
    )
    assert time.monotonic() - started < 15
    assert done.returncode == 1
    assert len(attempts(project, "late")) == 1
    assert "would not finish before the end time" in done.stderr
    failed = project.jug("status", "--failed").stdout
    assert "attempt 1 of 4 failed at" in failed and "would not finish" in failed


def test_tasks_exiting_or_interrupted_are_not_retried(project):
    project.write(
        "jugfile.py",
        """
        import os
        from jug import TaskGenerator


        @TaskGenerator
        def leave():
            with open("leave.attempts", "a") as f:
                f.write(f"{os.getpid()} 0.0\\n")
            raise SystemExit(3)


        leave()
        """,
    )
    done = project.jug("execute", "--retries", "3", "--retry-delay", "0")
    assert done.returncode != 0
    assert len(attempts(project, "leave")) == 1
    assert os.path.exists(project.path / "jugfile.jugdata")
    doc = json.loads(project.jug("status", "--json").stdout)
    assert doc["totals"]["running"] == 0  # the lock was released


def test_the_lease_is_renewed_during_the_wait(project):
    # The wait (4 s) is much longer than the lease (1 s): had the lock not been renewed,
    # the second worker would have reclaimed it as stale and run the task itself.
    project.write("jugfile.py", flaky_jugfile(held=1))
    first = project.start("execute", "--retries", "1", "--retry-delay", "4", "--lease", "1")
    try:
        wait_until(lambda: len(attempts(project, "held")) == 1, timeout=60)
        second = project.jug("execute", "--wait-cycle-time", "0.2", "--lease", "1", timeout=60)
        out, err = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert first.returncode == 0, err
    assert second.returncode == 0, second.stderr
    runs = attempts(project, "held")
    assert len(runs) == 2 and {pid for pid, _ in runs} == {first.pid}, runs
    assert runs[1][1] - runs[0][1] >= 3.9
    assert "lost the lock" not in err


def test_submit_passes_the_retry_options_to_every_worker(project):
    project.write("jugfile.py", flaky_jugfile(x=0))
    done = project.jug(
        "submit",
        "--scheduler",
        "slurm",
        "--workers",
        "2",
        "--time",
        "1:00:00",
        "--retries",
        "2",
        "--retry-delay",
        "30",
        "--dry-run",
    )
    assert done.returncode == 0, done.stderr
    (line,) = [line for line in done.stdout.splitlines() if " -m jug execute " in line]
    assert line.endswith("--retries 2 --retry-delay 30.0"), line


def test_retries_with_workers_on_a_redis_store(redis_server, project):
    url = redis_server.url + "?prefix=retries"
    project.write("jugfile.py", flaky_jugfile(r0=1, r1=1, r2=1, never=99))
    args = ("execute", "--jugdir", url, "--retries", "2", "--retry-delay", "0.2")
    args += ("--keep-going", "--keep-failed", "--wait-cycle-time", "0.2")
    workers = [project.start(*args) for _ in range(2)]
    outputs = [w.communicate(timeout=120) for w in workers]
    assert sorted(w.returncode for w in workers) in ([0, 1], [1, 1]), outputs
    for name in ("r0", "r1", "r2"):
        runs = attempts(project, name)
        assert len(runs) == 2 and len({pid for pid, _ in runs}) == 1, runs
    assert len({pid for pid, _ in attempts(project, "never")}) == 1
    assert len(attempts(project, "never")) == 3
    failed = project.jug("status", "--jugdir", url, "--failed").stdout
    assert failed.count("Traceback (most recent call last)") == 3 and "after 3 attempts" in failed
    doc = json.loads(project.jug("status", "--jugdir", url, "--json").stdout)
    assert doc["totals"]["finished"] == 3 and [f["attempts"] for f in doc["failed"]] == [3]


def test_a_retry_is_expected_to_take_as_long_as_the_failed_attempt(project):
    # No duration is recorded for the task's name: the 3 s the failed attempt took are
    # what its retry is expected to take, and 1 + 3 + 1 s do not fit in what is left.
    project.write(
        "jugfile.py",
        """
        import os, time
        from jug import TaskGenerator


        @TaskGenerator
        def slow_failure():
            with open("slow.attempts", "a") as f:
                f.write(f"{os.getpid()} {time.time()!r}\\n")
            time.sleep(3)
            raise TimeoutError("the instrument did not answer")


        slow_failure()
        """,
    )
    done = project.jug(
        "execute", "--retries", "2", "--retry-delay", "1", "--end-time", "+7", "--time-margin", "1"
    )
    assert done.returncode == 1
    assert len(attempts(project, "slow")) == 1
    assert "expected to take 3" in done.stderr and "would not finish" in done.stderr
