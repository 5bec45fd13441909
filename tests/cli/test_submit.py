"""``jug submit``: the job scripts of each scheduler (``--dry-run``), checked against the
directive syntax the schedulers document, its defaults from ``[submit]`` sections, and
the jugdirs it refuses or warns about. (Submitting for real: tests/cluster.)"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest

from jug.testing import JugProject

JUGFILE = """
from jug import TaskGenerator

@TaskGenerator
def double(x):
    return 2 * x

results = [double(i) for i in range(4)]
"""

# Each scheduler's directives as its documentation gives them; every directive line jug
# writes must match one of these (prefix, then the option and its value).
SYNTAX = {
    "slurm": (
        "#SBATCH",
        [
            r"--job-name=[\w.-]+",
            r"--array=1-\d+",
            r"--output=/\S+/(%A_%a|%j)\.log",
            r"--time=(\d+-)?\d\d:\d\d:\d\d",
            r"--mem=\d+M",
            r"--cpus-per-task=\d+",
            r"--partition=\S+",
            r"--account=\S+",
            r"--signal=B:USR1@\d+",
            r"--dependency=afterany:\w+",
        ],
    ),
    "sge": (
        "#$",
        [
            r"-N [\w.-]+",
            r"-S /bin/bash",
            r"-V",
            r"-j y",
            r"-wd /\S+",
            r"-o /\S+",
            r"-t 1-\d+",
            r"-l ((h_rt|s_rt)=\d\d+:\d\d:\d\d|h_vmem=\d+M)(,((h_rt|s_rt)=\d\d+:\d\d:\d\d|h_vmem=\d+M))*",
            r"-pe smp \d+",
            r"-q \S+",
            r"-A \S+",
            r"-hold_jid \w+",
        ],
    ),
    "pbs": (
        "#PBS",
        [
            r"-N [\w.-]+",
            r"-V",
            r"-j oe",
            r"-o /\S+/",
            r"-J 1-\d+",
            r"-l walltime=\d\d+:\d\d:\d\d",
            r"-l select=1(:ncpus=\d+)?(:mem=\d+mb)?",
            r"-q \S+",
            r"-A \S+",
            r"-W depend=afterany:\S+",
        ],
    ),
    "lsf": (
        "#BSUB",
        [
            r'-J "[\w.-]+\[1-\d+\]"',
            r'-J "[\w.-]+"',
            r"-o /\S+/(%J_%I|%J)\.log",
            r"-cwd /\S+",
            r"-W \d+:\d\d",
            r"-wa USR1",
            r"-wt \d+",
            r"-M \d+MB",
            r'-R "rusage\[mem=\d+MB\]"',
            r'-R "span\[hosts=1\]"',
            r"-n \d+",
            r"-q \S+",
            r"-P \S+",
            r'-w "ended\(\w+\)"',
        ],
    ),
}


@pytest.fixture
def sweep(project: JugProject) -> JugProject:
    project.write("sweep.py", JUGFILE)
    return project


def scripts(out: str) -> list[str]:
    """The job scripts in what ``--dry-run`` printed."""
    return ["#!/bin/bash" + part for part in out.split("#!/bin/bash")[1:]]


def directives(script: str, prefix: str) -> dict[str, str]:
    """Option → whole directive line, for each directive of *script*."""
    out = {}
    for line in script.splitlines():
        if line.startswith(prefix + " "):
            body = line[len(prefix) + 1 :]
            out[re.split(r"[ =]", body, maxsplit=1)[0]] = body
    return out


@pytest.mark.parametrize("scheduler", ["slurm", "sge", "pbs", "lsf"])
def test_dry_run_scripts_follow_each_schedulers_syntax(sweep: JugProject, scheduler: str) -> None:
    done = sweep.jug(
        "submit", "sweep.py", "--scheduler", scheduler, "--workers", "8",
        "--time", "1-02:03:04", "--mem", "4G", "--cpus", "2", "--queue", "long",
        "--account", "proj42", "--then", "python plot.py --dpi 300", "--dry-run",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    array, then = scripts(done.stdout)
    prefix, patterns = SYNTAX[scheduler]
    for script in (array, then):
        checked = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr  # valid bash, whatever the directives
        lines = [ln for ln in script.splitlines() if ln.startswith(prefix + " ")]
        assert lines
        for line in lines:
            body = line[len(prefix) + 1 :]
            assert any(re.fullmatch(p, body) for p in patterns), (scheduler, line)
    a, t = directives(array, prefix), directives(then, prefix)
    seconds = 86400 + 2 * 3600 + 3 * 60 + 4
    if scheduler == "slurm":
        assert a["--array"] == "--array=1-8" and a["--time"] == "--time=1-02:03:04"
        assert a["--mem"] == "--mem=4096M" and a["--cpus-per-task"] == "--cpus-per-task=2"
        assert a["--partition"] == "--partition=long" and a["--account"] == "--account=proj42"
        assert a["--signal"] == "--signal=B:USR1@60"
        assert t["--dependency"] == "--dependency=afterany:JOBID" and "--array" not in t
    elif scheduler == "sge":
        assert a["-t"] == "-t 1-8" and a["-q"] == "-q long" and a["-A"] == "-A proj42"
        assert a["-l"] == "-l h_rt=26:03:04,s_rt=26:02:04,h_vmem=4096M"
        assert a["-pe"] == "-pe smp 2"
        assert t["-hold_jid"] == "-hold_jid JOBID" and "-t" not in t
        assert "s_rt" not in t["-l"]  # no warning for the job after the array
    elif scheduler == "pbs":
        assert a["-J"] == "-J 1-8" and a["-q"] == "-q long" and a["-A"] == "-A proj42"
        lines = [ln for ln in array.splitlines() if ln.startswith("#PBS -l")]
        assert lines == ["#PBS -l walltime=26:03:04", "#PBS -l select=1:ncpus=2:mem=4096mb"]
        assert t["-W"] == "-W depend=afterany:JOBID" and "-J" not in t
    else:
        assert a["-J"] == '-J "jug-sweep[1-8]"' and t["-J"] == '-J "jug-sweep-then"'
        assert a["-W"] == f"-W {seconds // 3600}:04"  # [hours:]minutes, rounded up
        assert a["-M"] == "-M 4096MB" and a["-n"] == "-n 2"
        assert a["-q"] == "-q long" and a["-P"] == "-P proj42"
        assert a["-wa"] == "-wa USR1" and a["-wt"] == "-wt 1"
        assert t["-w"] == '-w "ended(JOBID)"'
    # The workers: jug execute on the same jugfile and jugdir, exec-ed (signals reach it).
    worker = next(ln for ln in array.splitlines() if ln.startswith("exec ") and ">>" not in ln)
    assert worker.startswith(f"exec {shlex.quote(sys.executable)} -m jug execute sweep.py")
    assert "--jugdir sweep.jugdata" in worker
    assert f"cd {shlex.quote(str(sweep.path))}" in array
    # Schedulers that cannot ask for their time limit get it from the script.
    assert ("JUG_END_TIME=$(( $(date +%s) + 93784 ))" in array) == (scheduler != "slurm")
    # The job after the array checks that every result is there, then runs the command.
    assert "-m jug check sweep.py --jugdir sweep.jugdata ||" in then
    assert then.strip().splitlines()[-1] == "python plot.py --dpi 300"


def test_logs_go_to_one_file_per_worker(sweep: JugProject) -> None:
    logs = {
        "slurm": "#SBATCH --output={}/%A_%a.log",
        "lsf": "#BSUB -o {}/%J_%I.log",
        "sge": 'exec >>{}/"${{JOB_ID}}_${{SGE_TASK_ID}}.log" 2>&1',
        "pbs": 'exec >>{}/"${{PBS_JOBID%%[*}}_${{PBS_ARRAY_INDEX}}.log" 2>&1',
    }
    for scheduler, line in logs.items():
        done = sweep.jug("submit", "sweep.py", "--scheduler", scheduler, "--workers", "2",
                         "--log-dir", "out/logs", "--dry-run")  # fmt: skip
        assert line.format(sweep.path / "out" / "logs") in done.stdout, done.stdout


def test_worker_options_and_jugfile_arguments_are_passed_on(sweep: JugProject) -> None:
    done = sweep.jug(
        "submit", "sweep.py", "--scheduler", "slurm", "--workers", "2", "--dry-run",
        "--keep-going", "--lease", "120", "--task-time", "10:00", "--target", "double",
        "--verbose", "info", "--jugdir", "/shared/x.jugdata", "--extra=--constraint=haswell",
        "--extra", "#SBATCH --qos=long", "--", "--n", "3",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    worker = done.stdout.strip().splitlines()[-1]
    args = shlex.split(worker)
    assert args[:5] == ["exec", sys.executable, "-m", "jug", "execute"]
    assert args[args.index("--jugdir") + 1] == "/shared/x.jugdata"
    for flag, value in (("--lease", "120.0"), ("--task-time", "600.0"), ("--target", "double"),
                        ("--verbose", "info")):  # fmt: skip
        assert args[args.index(flag) + 1] == value, worker
    assert "--keep-going" in args and args[-3:] == ["--", "--n", "3"]
    assert "#SBATCH --constraint=haswell\n" in done.stdout
    assert "#SBATCH --qos=long\n" in done.stdout
    # Options not given are left to the workers' own configuration.
    assert "--wait-cycle-time" not in args and "--keep-failed" not in args


def test_defaults_come_from_the_submit_section(sweep: JugProject) -> None:
    sweep.write(
        ".jugrc",
        """
        [submit]
        workers = 6
        time = 2:00:00
        partition = short
        scheduler = slurm
        extra =
            --qos=fast
            --constraint=skylake
        lease = 300

        [execute]
        keep-going = yes
        """,
    )
    done = sweep.jug("submit", "sweep.py", "--dry-run")
    assert done.returncode == 0, done.stderr
    d = directives(done.stdout, "#SBATCH")
    assert d["--array"] == "--array=1-6" and d["--time"] == "--time=02:00:00"
    assert d["--partition"] == "--partition=short"
    assert d["--qos"] == "--qos=fast" and d["--constraint"] == "--constraint=skylake"
    worker = done.stdout.strip().splitlines()[-1]
    assert "--lease 300.0" in worker
    assert "--keep-going" not in worker  # [execute] is read by the workers themselves
    # The command line wins over the file.
    done = sweep.jug("submit", "sweep.py", "--dry-run", "--workers", "2", "--partition", "x")
    d = directives(done.stdout, "#SBATCH")
    assert d["--array"] == "--array=1-2" and d["--partition"] == "--partition=x"


def test_a_dict_store_is_refused(sweep: JugProject) -> None:
    for jugdir in ("dict_store", "dict_store:results.pickle"):
        done = sweep.jug("submit", "sweep.py", "--workers", "2", "--scheduler", "slurm",
                         "--jugdir", jugdir, "--dry-run")  # fmt: skip
        assert done.returncode == 1
        assert done.stderr.startswith("jug: ") and "dict_store" in done.stderr
        assert "cannot share it" in done.stderr and done.stdout == ""


def test_a_jugdir_local_to_this_machine_is_warned_about(sweep: JugProject, tmp_path) -> None:
    done = sweep.jug("submit", "sweep.py", "--workers", "2", "--scheduler", "slurm",
                     "--jugdir", "/tmp/mine.jugdata", "--dry-run")  # fmt: skip
    assert done.returncode == 0
    assert "warning: the jugdir /tmp/mine.jugdata is under /tmp" in done.stderr
    done = sweep.jug("submit", "sweep.py", "--workers", "2", "--scheduler", "slurm",
                     "--jugdir", "redis://localhost:6379/1", "--dry-run")  # fmt: skip
    assert "names this machine (localhost)" in done.stderr
    done = sweep.jug("submit", "sweep.py", "--workers", "2", "--scheduler", "slurm",
                     "--jugdir", "/shared/x.jugdata", "--dry-run")  # fmt: skip
    assert "warning" not in done.stderr


def test_mistakes_get_one_line(sweep: JugProject) -> None:
    cases = [
        (["--scheduler", "slurm"], 2, "how many workers?"),
        (["--scheduler", "slurm", "--workers", "0"], 2, "at least 1"),
        (["--scheduler", "slurm", "--workers", "2", "--time", "soon"], 2, "not a duration"),
        (["--scheduler", "slurm", "--workers", "2", "--mem", "lots"], 2, "not a memory size"),
        (["--scheduler", "condor", "--workers", "2"], 2, "invalid choice"),
        (["missing.py", "--scheduler", "slurm", "--workers", "2"], 1, "no jugfile"),
    ]
    for args, code, message in cases:
        if args[0] != "missing.py":
            args = ["sweep.py", *args]
        done = sweep.jug("submit", *args, "--dry-run")
        assert done.returncode == code, (args, done.stderr)
        assert message in done.stderr, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 or code == 2, done.stderr


def test_no_scheduler_on_path(sweep: JugProject, tmp_path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    done = sweep.jug("submit", "sweep.py", "--workers", "2", env={"PATH": str(empty)})
    assert done.returncode == 1
    assert "no scheduler found on PATH (sbatch, bsub or qsub)" in done.stderr


def test_the_scheduler_is_found_on_path(sweep: JugProject, tmp_path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, expected in (
        ("qsub", "#PBS"),
        ("qconf", "#$"),
        ("bsub", "#BSUB"),
        ("sbatch", "#SBATCH"),
    ):
        tool = bin_dir / name
        tool.write_text("#!/bin/sh\nexit 1\n")
        tool.chmod(0o755)
        done = sweep.jug(
            "submit", "sweep.py", "--workers", "2", "--dry-run", env={"PATH": str(bin_dir)}
        )
        assert done.returncode == 0, done.stderr
        assert f"\n{expected} " in done.stdout, (name, done.stdout)


def test_a_scheduler_refusing_the_job_is_an_error(sweep: JugProject, tmp_path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "sbatch"
    tool.write_text(
        "#!/bin/sh\necho 'sbatch: error: invalid partition specified: nope' >&2\nexit 1\n"
    )
    tool.chmod(0o755)
    done = sweep.jug("submit", "sweep.py", "--workers", "2", "--partition", "nope",
                     env={"PATH": f"{bin_dir}:/usr/bin:/bin"})  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "jug: sbatch refused the job (exit 1): sbatch: error: invalid partition specified: nope"
    )
