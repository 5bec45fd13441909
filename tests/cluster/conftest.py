"""Real batch schedulers for the tests of ``jug submit`` and of workers under a scheduler.

``slurm``: a one-node SLURM cluster (Debian's slurm-wlm, with munge), started as root with
free ports and a scratch state directory, and shut down after the session. ``sge``: Grid
Engine (Debian's gridengine-master/-exec/-client) in a cell of its own under a scratch
directory, with free ports. Without the packages (or without root) the tests skip, unless
``JUG_REQUIRE_SLURM=1`` / ``JUG_REQUIRE_SGE=1`` (CI) makes that a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jug.testing import JugProject

MARKED = """\
import os
import time
from jug import TaskGenerator

MARKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "marks")
os.makedirs(MARKS, exist_ok=True)


def mark(what, i):
    job = os.environ.get("SLURM_ARRAY_TASK_ID") or os.environ.get("SGE_TASK_ID", "none")
    name = f"{{what}}-{{i}}-{{job}}-{{os.getpid()}}-{{time.time():.3f}}"
    open(os.path.join(MARKS, name), "w").close()


@TaskGenerator
def work(i):
    mark("start", i)
    time.sleep({sleep})
    mark("end", i)
    return i * i


@TaskGenerator
def total(xs):
    return sum(xs)


results = [work(i) for i in range({n})]
answer = total(results)
"""

PROVENANCE = """
import json, sys
import jug
from jug.execution import provenances
from jug.task import alltasks
jug.init(sys.argv[1])
found = provenances(alltasks)
print(json.dumps({h: p.to_dict() for h, p in found.items()}))
"""


#: A script for ``--then``: it writes the jugfile's answer and the time it ran.
SUMMARY = """
import time
import jug
_, ns = jug.init("sweep.py")
with open("summary.txt", "w") as f:
    f.write(f"{jug.value(ns['answer'])} {time.time()}")
"""


def submitted(result: object, scheduler: str) -> tuple[str, str | None]:
    """The array's job id (and the --then job's) in what ``jug submit`` printed."""
    out = result.stdout  # type: ignore[attr-defined]
    array = re.search(rf"as {scheduler} job array (\d+)", out)
    assert array, out + result.stderr  # type: ignore[attr-defined]
    then = re.search(r"Then job (\d+)", out)
    return array[1], then[1] if then else None


def run_with(
    env: dict[str, str], args: tuple[str, ...], check: bool, input_text: str | None
) -> str:
    """Run a scheduler command in *env*; with *check*, a failure fails the test."""
    done = subprocess.run(
        list(args), env=env, input=input_text, capture_output=True, text=True, timeout=60
    )
    if check and done.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({done.returncode}): {done.stderr}{done.stdout}"
        )
    return done.stdout


def read_marks(project: JugProject, what: str) -> list[tuple[int, str, float]]:
    """(task index, array index, time) of each mark *what* the tasks left."""
    out = []
    for path in (project.path / "marks").iterdir():
        kind, i, index, _pid, when = path.name.split("-")
        if kind == what:
            out.append((int(i), index, float(when)))
    return out


class Jobs:
    """What the scheduler tests share: the jugfile template, the provenance reader, marks."""

    marked = MARKED
    provenance = PROVENANCE
    summary = SUMMARY
    submitted = staticmethod(submitted)
    marks = staticmethod(read_marks)


@pytest.fixture
def jobs() -> type[Jobs]:
    return Jobs


#: How long a cluster may take to come up, in seconds.
START_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _missing(kind: str, why: str) -> None:
    variable = f"JUG_REQUIRE_{kind.upper()}"
    if os.environ.get(variable) == "1":
        pytest.fail(f"{kind} required ({variable}=1) but it cannot run here: {why}")
    pytest.skip(f"no {kind} cluster: {why}")


def _pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie of ours is not alive
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _stop_pid(pid: int | None, timeout: float = 10.0) -> None:
    """Stop one process we started, by its id: SIGTERM, then SIGKILL."""
    if not _alive(pid):
        return
    assert pid is not None
    os.kill(pid, 15)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, 9)


def _ensure_munged() -> int | None:
    """Start munged if it is not running; return its pid if this started it."""
    pidfile = Path("/run/munge/munged.pid")
    if _alive(_pid(pidfile)) and Path("/run/munge/munge.socket.2").exists():
        return None
    for d in ("/run/munge", "/var/log/munge", "/var/lib/munge"):
        os.makedirs(d, exist_ok=True)
        shutil.chown(d, "munge", "munge")
    if not Path("/etc/munge/munge.key").exists():
        subprocess.run(["mungekey", "--create"], check=True, capture_output=True)
        shutil.chown("/etc/munge/munge.key", "munge", "munge")
    subprocess.run(
        ["runuser", "-u", "munge", "--", "munged", "--force"], check=True, capture_output=True
    )
    deadline = time.monotonic() + 10
    while not Path("/run/munge/munge.socket.2").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    return _pid(pidfile)


class SlurmCluster:
    """A running one-node SLURM cluster: :meth:`run` runs a SLURM command against it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.conf = root / "slurm.conf"
        self.env = {**os.environ, "SLURM_CONF": str(self.conf)}
        self.node = socket.gethostname().split(".")[0]

    def write_conf(self) -> None:
        for d in ("state", "spool", "log"):
            (self.root / d).mkdir(parents=True, exist_ok=True)
        mem = 2048
        try:
            with open("/proc/meminfo") as f:
                kib = int(re.search(r"MemTotal:\s+(\d+)", f.read())[1])  # type: ignore[index]
            mem = max(1024, kib // 1024 * 3 // 4)
        except (OSError, TypeError):
            pass
        r = self.root
        self.conf.write_text(
            f"""ClusterName=jugtest
SlurmctldHost={self.node}
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
AuthType=auth/munge
CryptoType=crypto/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
StateSaveLocation={r}/state
SlurmdSpoolDir={r}/spool
SlurmctldPidFile={r}/slurmctld.pid
SlurmdPidFile={r}/slurmd.pid
SlurmctldLogFile={r}/log/slurmctld.log
SlurmdLogFile={r}/log/slurmd.log
SlurmUser=root
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MaxArraySize=1001
KillWait=10
MinJobAge=600
NodeName={self.node} CPUs={os.cpu_count() or 1} RealMemory={mem} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
"""
        )

    def run(self, *args: str, check: bool = True, input_text: str | None = None) -> str:
        return run_with(self.env, args, check, input_text)

    def start(self) -> None:
        self.write_conf()
        subprocess.run(["slurmctld", "-f", str(self.conf)], env=self.env, check=True)
        subprocess.run(["slurmd", "-f", str(self.conf)], env=self.env, check=True)
        deadline = time.monotonic() + START_TIMEOUT
        state = ""
        while time.monotonic() < deadline:
            state = self.run("sinfo", "-h", "-o", "%t", check=False).strip()
            if state in ("idle", "mix", "alloc"):
                return
            time.sleep(0.5)
        raise RuntimeError(f"the SLURM node did not come up (state {state!r}): {self.logs()}")

    def logs(self) -> str:
        out = []
        for name in ("slurmctld.log", "slurmd.log"):
            path = self.root / "log" / name
            if path.exists():
                out.append(f"--- {name}\n" + "\n".join(path.read_text().splitlines()[-15:]))
        return "\n".join(out)

    def stop(self) -> None:
        self.run("scontrol", "shutdown", check=False)
        for name in ("slurmd.pid", "slurmctld.pid"):
            pid = _pid(self.root / name)
            deadline = time.monotonic() + 15
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            _stop_pid(pid)

    # -- jobs -----------------------------------------------------------------------------

    def job_states(self, job: str) -> dict[str, tuple[str, str]]:
        """Each job (array element: ``JOB_INDEX``) of *job* → (state, exit code)."""
        out = self.run("scontrol", "-o", "show", "job", job, check=False)
        states = {}
        for line in out.splitlines():
            fields = dict(
                item.split("=", 1)
                for item in line.split()
                if "=" in item and not item.startswith("=")
            )
            array, index = fields.get("ArrayJobId"), fields.get("ArrayTaskId")
            key = f"{array}_{index}" if array and index else fields.get("JobId", "?")
            states[key] = (fields.get("JobState", "?"), fields.get("ExitCode", "?"))
        return states

    def wait(self, *jobs: str, timeout: float = 300.0) -> dict[str, tuple[str, str]]:
        """Wait until every job of *jobs* has ended; return their states."""
        deadline = time.monotonic() + timeout
        while True:
            states: dict[str, tuple[str, str]] = {}
            for job in jobs:
                states.update(self.job_states(job))
            active = {"PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED"}
            if states and not any(s in active for s, _ in states.values()):
                return states
            if time.monotonic() > deadline:
                raise AssertionError(f"jobs {jobs} did not end in {timeout}s: {states}")
            time.sleep(1.0)


@pytest.fixture(scope="session")
def slurm() -> Iterator[SlurmCluster]:
    """A running one-node SLURM cluster for the session."""
    for tool in ("slurmctld", "slurmd", "sbatch", "munged"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            _missing("slurm", f"{tool} is not installed (apt-get install slurm-wlm munge)")
    if os.geteuid() != 0:
        _missing("slurm", "starting slurmd needs root")
    started_munged = None
    root = Path(tempfile.mkdtemp(prefix="jug-slurm-"))
    cluster = SlurmCluster(root)
    try:
        started_munged = _ensure_munged()
        cluster.start()
    except Exception as exc:
        cluster.stop()
        _stop_pid(started_munged)
        _missing("slurm", f"the cluster did not start: {exc}")
    try:
        yield cluster
    finally:
        cluster.stop()
        _stop_pid(started_munged)
        shutil.rmtree(root, ignore_errors=True)


# -- Grid Engine ------------------------------------------------------------------------------

SGE_HOME = Path("/var/lib/gridengine")  # Debian's SGE_ROOT: binaries and helpers


class SgeCluster:
    """Grid Engine with a cell of its own: ``SGE_ROOT`` is a scratch directory linking to
    Debian's binaries, the spool and the configuration live in it, the ports are free
    ones, and the daemons run as root (``admin_user none``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cell = "jug"
        self.env = {
            **os.environ,
            "SGE_ROOT": str(root),
            "SGE_CELL": self.cell,
            "SGE_QMASTER_PORT": str(_free_port()),
            "SGE_EXECD_PORT": str(_free_port()),
        }
        self.common = root / self.cell / "common"

    def run(self, *args: str, check: bool = True, input_text: str | None = None) -> str:
        return run_with(self.env, args, check, input_text)

    def start(self) -> None:
        r = self.root
        for name in ("bin", "lib", "util", "utilbin"):
            (r / name).symlink_to(SGE_HOME / name)
        for d in (self.common, r / "qmaster" / "job_scripts", r / "execd"):
            d.mkdir(parents=True)
        (r / "spooldb").mkdir()
        host = socket.gethostname()
        # This machine's name and "localhost" are one host to SGE (127.0.0.1 resolves back to
        # "localhost" in some sandboxes, which SGE would otherwise refuse as a different host).
        names = dict.fromkeys(["localhost", host, host.split(".")[0]])
        (self.common / "host_aliases").write_text(" ".join(names) + "\n")
        (self.common / "act_qmaster").write_text("localhost\n")
        (self.common / "bootstrap").write_text(
            f"""admin_user              none
default_domain          none
ignore_fqdn             true
spooling_method         berkeleydb
spooling_lib            libspoolb
spooling_params         {r}/spooldb
binary_path             /usr/sbin
qmaster_spool_dir       {r}/qmaster
security_mode           none
listener_threads        2
worker_threads          2
scheduler_threads       1
"""
        )
        config = (Path("/usr/share/gridengine/default-configuration")).read_text()
        config = re.sub(r"(?m)^execd_spool_dir\s+.*$", f"execd_spool_dir {r}/execd", config)
        config = re.sub(r"(?m)^min_uid\s+.*$", "min_uid 0", config)
        config = re.sub(r"(?m)^min_gid\s+.*$", "min_gid 0", config)
        (r / "global").write_text(config)
        lib = "/usr/lib/gridengine"
        self.run(f"{lib}/spoolinit", "berkeleydb", "libspoolb", f"{r}/spooldb", "init")
        self.run(f"{lib}/spooldefaults", "configuration", f"{r}/global")
        self.run(f"{lib}/spooldefaults", "complexes", "/usr/share/gridengine/util/resources/centry")
        self.run(
            f"{lib}/spooldefaults", "usersets", "/usr/share/gridengine/util/resources/usersets"
        )
        self.run(f"{lib}/spooldefaults", "managers", "root")
        subprocess.run(["/usr/sbin/sge_qmaster"], env=self.env, check=True)
        self._until(lambda: self.run("qconf", "-sh", check=False).strip() != "", "qmaster")
        self.run("qconf", "-as", "localhost")
        (r / "exechost").write_text(
            "hostname localhost\nload_scaling NONE\ncomplex_values NONE\n"
            "user_lists NONE\nxuser_lists NONE\nprojects NONE\n"
            "xprojects NONE\nusage_scaling NONE\nreport_variables NONE\n"
        )
        self.run("qconf", "-Ae", str(r / "exechost"))
        sched = self.run("qconf", "-ssconf")
        sched = re.sub(r"(?m)^schedule_interval\s+.*$", "schedule_interval 0:0:1", sched)
        (r / "sched").write_text(sched)
        self.run("qconf", "-Msconf", str(r / "sched"))
        queue = self.run("qconf", "-sq")  # the template
        for key, value in (
            ("qname", "all.q"),
            ("hostlist", "localhost"),
            ("slots", "4"),
            ("pe_list", "NONE"),
            ("shell", "/bin/bash"),
        ):
            queue = re.sub(rf"(?m)^{key}\s+.*$", f"{key} {value}", queue)
        (r / "queue").write_text(queue)
        self.run("qconf", "-Aq", str(r / "queue"))
        subprocess.run(["/usr/sbin/sge_execd"], env=self.env, check=True)
        self._until(
            lambda: (
                re.search(
                    r"all\.q@\S+\s+\S+\s+\S+\s+[\d.]+\s", self.run("qstat", "-f", check=False)
                )
                is not None
            ),
            "execd",
        )

    def _until(self, ready: Any, what: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not ready():
            if time.monotonic() > deadline:
                messages = self.root / "qmaster" / "messages"
                tail = messages.read_text()[-2000:] if messages.exists() else ""
                raise RuntimeError(f"SGE's {what} did not come up: {tail}")
            time.sleep(0.5)

    def stop(self) -> None:
        self.run("qconf", "-ke", "localhost", check=False)
        self.run("qconf", "-km", check=False)
        for pidfile in (
            self.root / "qmaster" / "qmaster.pid",
            *self.root.glob("execd/*/execd.pid"),
        ):
            pid = _pid(pidfile)
            deadline = time.monotonic() + 15
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            _stop_pid(pid)

    def job_states(self, job: str) -> dict[str, tuple[str, str]]:
        """Each finished task of *job* (``JOB.INDEX``) → (failed, exit status), from the
        accounting file; running or waiting tasks are not listed."""
        out = {}
        acct = self.root / self.cell / "common" / "accounting"
        if acct.exists():
            for line in acct.read_text().splitlines():
                f = line.split(":")
                if len(f) > 12 and f[5] == job:
                    out[f"{job}.{f[35] if len(f) > 35 else '0'}"] = (f[11], f[12])
        return out

    def wait(self, job: str, count: int, timeout: float = 300.0) -> dict[str, tuple[str, str]]:
        """Wait until *count* tasks of *job* have ended; return (failed, exit status) of each."""
        deadline = time.monotonic() + timeout
        while True:
            states = self.job_states(job)
            if len(states) >= count:
                return states
            if time.monotonic() > deadline:
                raise AssertionError(f"SGE job {job} did not end in {timeout}s: {states}")
            time.sleep(1.0)


@pytest.fixture(scope="session")
def sge() -> Iterator[SgeCluster]:
    """A running Grid Engine cell (one host, four slots) for the session."""
    for tool in ("/usr/sbin/sge_qmaster", "/usr/sbin/sge_execd"):
        if not Path(tool).exists() or shutil.which("qsub") is None:
            _missing(
                "sge",
                "Grid Engine is not installed (apt-get install gridengine-master "
                "gridengine-exec gridengine-client)",
            )
    if os.geteuid() != 0:
        _missing("sge", "starting sge_execd needs root")
    root = Path(tempfile.mkdtemp(prefix="jug-sge-"))
    os.chmod(root, 0o755)
    cluster = SgeCluster(root)
    try:
        cluster.start()
    except Exception as exc:
        cluster.stop()
        _missing("sge", f"the cell did not start: {exc}")
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
