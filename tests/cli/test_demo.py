"""The primes example (examples/primes) and its 4-worker demo script."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "primes"


def _copy_example(project) -> Path:
    target = project.path / "primes"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("*.jugdata", "output.txt"))
    return target


def test_primes_jugfile_runs(project, parse_status, parse_summary):
    work = _copy_example(project)
    env = {**project.env, "PRIMES_DELAY": "0"}
    run = lambda *a: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "jug", *a], cwd=work, env=env, capture_output=True, text=True
    )
    before = parse_status(run("status", "primes.py").stdout)
    assert before["primes.is_prime"] == [0, 99, 0, 0, 0, 0]
    assert before["primes.count_primes"] == [1, 0, 0, 0, 0, 0]
    done = run("execute", "primes.py")
    assert done.returncode == 0, done.stderr
    assert parse_summary(done.stdout)["Total"] == [101, 0]
    assert (work / "output.txt").read_text() == "Found 25 primes <= 100.\n"


def test_demo_script(project, parse_status):
    work = _copy_example(project)
    env = {**project.env, "PRIMES_DELAY": "0.01", "JUG": f"{sys.executable} -m jug"}
    done = subprocess.run(
        ["bash", str(work / "run-demo.sh")],
        cwd=project.path,  # the script finds its files from any directory
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    before, after = out.split("(after)")
    assert parse_status(before)["Total"] == [2, 99, 0, 0, 0, 0]
    assert parse_status(after)["Total"] == [0, 0, 101, 0, 0, 0]
    workers = [line for line in out.splitlines() if line.startswith("worker ")]
    assert len(workers) == 4
    assert sum(int(line.split()[3]) for line in workers) == 101  # "worker i: Executed N tasks"
    assert out.rstrip().endswith("Found 25 primes <= 100.")
