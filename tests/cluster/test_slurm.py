"""``jug submit`` and workers under a real SLURM cluster (one node, started by conftest.py).

Each test submits a job array with ``jug submit``, waits for SLURM to run it, and looks at
what happened: which task ran where (marks written by the tasks, provenance records), the
job states and exit codes SLURM recorded, the logs, and the store's locks.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest

from jug.testing import JugProject

pytestmark = pytest.mark.slow


def running_jobs(project: JugProject, jugfile: str) -> list[dict]:
    done = project.jug("status", jugfile, "--json")
    return json.loads(done.stdout)["running"]


def test_four_workers_share_200_tasks_then_a_job_after_them(
    slurm, jobs, project: JugProject
) -> None:
    project.write("sweep.py", jobs.marked.format(sleep=0.05, n=200))
    project.write("summary.py", jobs.summary)
    # The scheduler is found on PATH (sbatch); the time limit is generous.
    done = project.jug(
        "submit", "sweep.py", "--workers", "4", "--time", "10:00",
        "--then", f"{sys.executable} summary.py",
        env=slurm.env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    job, then = jobs.submitted(done, "slurm")
    assert then is not None
    assert f"jug-logs/{job}_<1..4>.log" in done.stdout
    assert "jug status sweep.py --watch" in done.stdout and f"squeue -j {job}" in done.stdout

    states = slurm.wait(job, then, timeout=240)
    assert {states[f"{job}_{k}"] for k in range(1, 5)} == {("COMPLETED", "0:0")}, states
    assert states[then] == ("COMPLETED", "0:0"), states

    # Every task ran exactly once, and the project is complete.
    ran = sorted(i for i, _, _ in jobs.marks(project, "end"))
    assert ran == list(range(200))
    assert project.jug("check", "sweep.py").returncode == 0

    # One log per worker, in the predictable place, with its summary.
    executed = 0
    for k in range(1, 5):
        log = (project.path / "jug-logs" / f"{job}_{k}.log").read_text()
        table = re.findall(r"^\s+(\d+)\s+\d+\s+Total$", log, re.MULTILINE)
        assert table, log
        executed += int(table[-1])
    assert executed == 201  # 200 work + 1 total, each by one worker

    # The provenance of each result names the array element that computed it.
    records = project.python(jobs.provenance, "sweep.py")
    assert len(records) == 201
    seen = {r["job"] for r in records.values()}
    assert {r["scheduler"] for r in records.values()} == {"slurm"}
    assert seen <= {f"{job}_{k}" for k in range(1, 5)} and len(seen) >= 2, seen

    # The --then job ran after every worker had finished, with every result there.
    answer, when = (project.path / "summary.txt").read_text().split()
    assert int(answer) == sum(i * i for i in range(200))
    assert float(when) >= max(r["ended"] for r in records.values())
    assert (project.path / "jug-logs" / f"{then}.log").exists()


def test_one_minute_limit_cuts_no_task_and_leaves_no_lock(slurm, jobs, project: JugProject) -> None:
    # 20-second tasks in 1-minute jobs: a worker runs two, and does not start a third that
    # would be killed mid-way (it learns the duration from the first).
    project.write("slow.py", jobs.marked.format(sleep=20, n=8))
    done = project.jug(
        "submit", "slow.py", "--workers", "2", "--time", "1:00",
        "--then", "touch then-ran",
        env=slurm.env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    job, then = jobs.submitted(done, "slurm")
    assert then is not None
    states = slurm.wait(job, then, timeout=240)

    # The workers ended on their own, before the limit (not TIMEOUT), with exit code 0.
    assert states[f"{job}_1"] == ("COMPLETED", "0:0"), states
    assert states[f"{job}_2"] == ("COMPLETED", "0:0"), states
    started = sorted(i for i, _, _ in jobs.marks(project, "start"))
    ended = sorted(i for i, _, _ in jobs.marks(project, "end"))
    assert started == ended, "a task was cut mid-way"
    assert 2 <= len(ended) <= 6, ended  # about two per worker
    for k in (1, 2):
        log = (project.path / "jug-logs" / f"{job}_{k}.log").read_text()
        assert "not started, as they would not finish before" in log, log
        assert "slow.work is expected to take 2" in log, log  # 20 s, learnt from its runs

    # No lock is left: neither running nor stale.
    status = json.loads(project.jug("status", "slow.py", "--json").stdout)
    assert status["running"] == [] and status["stale"] == []
    assert status["totals"]["finished"] == len(ended)

    # The job after them found work left: its command did not run, and it says why.
    assert states[then][0] == "FAILED", states
    assert not (project.path / "then-ran").exists()
    assert "jug check failed" in (project.path / "jug-logs" / f"{then}.log").read_text()


def test_killed_and_warned_workers_leave_the_work_to_the_others(
    slurm, jobs, project: JugProject
) -> None:
    # Three workers over 2-second tasks, with 6-second leases. Element 1 is killed
    # (SIGKILL: its lock goes stale, and another worker takes the task over once the lease
    # has run out); element 2 gets the scheduler's warning signal, SIGUSR1 (it finishes its
    # task and stops); element 3 finishes the work.
    project.write("sweep.py", jobs.marked.format(sleep=2, n=16))
    done = project.jug(
        "submit", "sweep.py", "--workers", "3", "--time", "10:00", "--lease", "6",
        env=slurm.env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (
        "--lease 6.0"
        in project.jug("submit", "sweep.py", "--workers", "3", "--lease", "6", "--dry-run").stdout
    )
    job, _ = jobs.submitted(done, "slurm")

    # Wait until elements 1 and 2 each hold a task: the lock names the array element.
    deadline = time.monotonic() + 120
    holders: set[str] = set()
    while not {f"{job}_1", f"{job}_2"} <= holders:
        assert time.monotonic() < deadline, holders
        running = running_jobs(project, "sweep.py")
        assert all(r["scheduler"] == "slurm" for r in running)
        holders = {r["job"] for r in running}
        time.sleep(0.3)
    # `jug status --watch` follows the run, naming the jobs of the running tasks.
    watcher = project.start("status", "sweep.py", "--watch", "1")
    slurm.run("scancel", "--signal=KILL", f"{job}_1")
    slurm.run("scancel", "--batch", "--signal=USR1", f"{job}_2")

    states = slurm.wait(job, timeout=240)
    watched, _ = watcher.communicate(timeout=60)
    assert watcher.returncode == 0 and "Everything is finished." in watched
    assert re.search(rf"\d running \(on [^;]+; slurm jobs? {job}_[123]", watched), watched
    assert states[f"{job}_1"][0] == "CANCELLED", states
    assert states[f"{job}_2"] == ("FAILED", f"{128 + 10}:0"), states  # 128 + SIGUSR1
    assert states[f"{job}_3"] == ("COMPLETED", "0:0"), states

    assert project.jug("check", "sweep.py").returncode == 0
    ended = [i for i, _, _ in jobs.marks(project, "end")]
    assert sorted(set(ended)) == list(range(16))
    # Only the task killed mid-way ran twice.
    started = [i for i, _, _ in jobs.marks(project, "start")]
    assert len(started) - len(set(started)) <= 1

    warned = (project.path / "jug-logs" / f"{job}_2.log").read_text()
    assert "stopped early (received SIGUSR1)" in warned, warned
    # The warned worker finished the task it was running (its end mark is there).
    warned_starts = {i for i, index, _ in jobs.marks(project, "start") if index == "2"}
    warned_ends = {i for i, index, _ in jobs.marks(project, "end") if index == "2"}
    assert warned_starts == warned_ends and warned_ends

    status = json.loads(project.jug("status", "sweep.py", "--json").stdout)
    assert status["running"] == [] and status["stale"] == []
    # The task element 1 was running when killed was taken over by element 3, after the
    # lease: its result's provenance names element 3.
    records = project.python(jobs.provenance, "sweep.py")
    assert {r["job"] for r in records.values()} <= {f"{job}_{k}" for k in (1, 2, 3)}
    assert any(r["job"] == f"{job}_3" for r in records.values())


def test_end_time_is_found_from_squeue(slurm, jobs, project: JugProject) -> None:
    # Inside a job, the engine asks SLURM when the job ends (22.05 sets no
    # SLURM_JOB_END_TIME): squeue's EndTime is start + the time limit.
    project.write(
        "probe.py",
        """
        import json, time
        from jug.execution.timelimit import find_end_time
        found = find_end_time()
        with open("found.json", "w") as f:
            json.dump({"end": found.end, "source": found.source, "now": time.time()}, f)
        """,
    )
    script = f"#!/bin/bash\n#SBATCH --time=7:00\n#SBATCH --array=1-1\n{sys.executable} probe.py\n"
    job = slurm.run("sbatch", "--parsable", f"--chdir={project.path}", input_text=script).strip()
    states = slurm.wait(job, timeout=120)
    assert set(states.values()) == {("COMPLETED", "0:0")}, states
    found = json.loads((project.path / "found.json").read_text())
    assert found["source"] == "squeue"
    assert 6 * 60 - 5 <= found["end"] - found["now"] <= 7 * 60 + 1


def test_dry_run_script_is_valid_for_sbatch(slurm, project: JugProject) -> None:
    project.write("sweep.py", "from jug import Task\n")
    done = project.jug(
        "submit", "sweep.py", "--scheduler", "slurm", "--workers", "3", "--time", "5:00",
        "--mem", "100M", "--cpus", "1", "--partition", "debug", "--extra=--comment=jug",
        "--then", "true", "--dry-run",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    array, then = done.stdout.split("#!/bin/bash")[1:]
    for script in ("#!/bin/bash" + array, "#!/bin/bash" + then.replace("JOBID", "1")):
        # sbatch checks the script and says when it would start, without submitting it.
        checked = subprocess.run(
            ["sbatch", "--test-only"], input=script, env=slurm.env, capture_output=True,
            text=True, timeout=60,
        )  # fmt: skip
        assert checked.returncode == 0 and "to start at" in checked.stderr, checked.stderr


def test_slurm_signals_the_warning_before_the_limit(slurm, jobs, project: JugProject) -> None:
    # --time 2:00 --warning 50 asks SLURM for SIGUSR1 (#SBATCH --signal=B:USR1@50) seventy
    # seconds in. SLURM checks signals on a timer and documents that one may come up to 60 s
    # early, so it arrives between 10 and 70 seconds in: after the first 4-second task has
    # started, long before the limit. The worker finishes the task it is running and stops.
    project.write("sweep.py", jobs.marked.format(sleep=4, n=40))
    done = project.jug(
        "submit", "sweep.py", "--workers", "1", "--time", "2:00", "--warning", "50",
        env=slurm.env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    job, _ = jobs.submitted(done, "slurm")
    states = slurm.wait(job, timeout=200)
    assert states == {f"{job}_1": ("FAILED", f"{128 + 10}:0")}, states
    log = (project.path / "jug-logs" / f"{job}_1.log").read_text()
    assert "stopped early (received SIGUSR1)" in log, log
    started = sorted(i for i, _, _ in jobs.marks(project, "start"))
    ended = sorted(i for i, _, _ in jobs.marks(project, "end"))
    assert started == ended and 1 <= len(ended) <= 20, ended  # 10 to 70 seconds' worth
    status = json.loads(project.jug("status", "sweep.py", "--json").stdout)
    assert status["running"] == [] and status["stale"] == []
