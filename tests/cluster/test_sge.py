"""``jug submit --scheduler sge`` and workers under a real Grid Engine cell (conftest.py)."""

from __future__ import annotations

import re
import sys

import pytest

from jug.testing import JugProject

pytestmark = pytest.mark.slow


def test_sge_array_shares_the_work_then_runs_the_job_after_it(
    sge, jobs, project: JugProject
) -> None:
    project.write("sweep.py", jobs.marked.format(sleep=0.2, n=40))
    project.write("summary.py", jobs.summary)
    done = project.jug(
        "submit", "sweep.py", "--scheduler", "sge", "--workers", "2", "--time", "10:00",
        "--then", f"{sys.executable} summary.py",
        env=sge.env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    job, then = jobs.submitted(done, "sge")
    assert then is not None and f"qstat -j {job}" in done.stdout
    states = sge.wait(job, 2, timeout=180)
    assert states == {f"{job}.1": ("0", "0"), f"{job}.2": ("0", "0")}, states
    assert sge.wait(then, 1, timeout=120) == {f"{then}.0": ("0", "0")}

    assert sorted(i for i, _, _ in jobs.marks(project, "end")) == list(range(40))
    assert project.jug("check", "sweep.py").returncode == 0
    for k in (1, 2):  # one log per worker, named as under every scheduler
        assert "Total" in (project.path / "jug-logs" / f"{job}_{k}.log").read_text()
    records = project.python(jobs.provenance, "sweep.py")
    assert {r["scheduler"] for r in records.values()} == {"sge"}
    assert {r["job"] for r in records.values()} <= {f"{job}.1", f"{job}.2"}
    answer, when = (project.path / "summary.txt").read_text().split()
    assert int(answer) == sum(i * i for i in range(40))
    assert float(when) >= max(r["ended"] for r in records.values())


def test_sge_soft_limit_warning_stops_the_worker_cleanly(sge, jobs, project: JugProject) -> None:
    # --time 1:00 with --warning 45: h_rt=60, s_rt=15. At the soft limit SGE sends SIGUSR1;
    # the worker finishes the 6-second task it runs (it fits before h_rt) and stops.
    project.write("slow.py", jobs.marked.format(sleep=6, n=8))
    done = project.jug(
        "submit", "slow.py", "--scheduler", "sge", "--workers", "1", "--time", "1:00",
        "--warning", "45", "--verbose", "info",
        env=sge.env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    job, _ = jobs.submitted(done, "sge")
    states = sge.wait(job, 1, timeout=180)
    assert states == {f"{job}.1": ("0", str(128 + 10))}, states  # exit 128 + SIGUSR1

    log = (project.path / "jug-logs" / f"{job}_1.log").read_text()
    assert "stopped early (received SIGUSR1)" in log, log
    assert re.search(r"the batch job ends at \S+ \(from qstat\)", log), log
    started = sorted(i for i, _, _ in jobs.marks(project, "start"))
    ended = sorted(i for i, _, _ in jobs.marks(project, "end"))
    assert started == ended and 1 <= len(ended) < 8, (started, ended)
    status = project.jug("status", "slow.py", "--json")
    assert '"running": []' in status.stdout and '"stale": []' in status.stdout


def test_dry_run_script_is_valid_for_qsub(sge, project: JugProject) -> None:
    project.write("sweep.py", "from jug import Task\n")
    done = project.jug(
        "submit", "sweep.py", "--scheduler", "sge", "--workers", "3", "--time", "5:00",
        "--mem", "100M", "--queue", "all.q", "--account", "lab42", "--dry-run",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    script = "#!/bin/bash" + done.stdout.split("#!/bin/bash")[1]
    # -w v: qsub checks the job against the cell's queues without submitting it.
    out = sge.run("qsub", "-w", "v", input_text=script)
    assert "verification: found suitable queue(s)" in out, out
