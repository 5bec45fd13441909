"""Job scripts of ``jug submit`` for SLURM, SGE, PBS and LSF, and submitting them.

One :class:`JobSpec` describes a job (an array of workers, or the single job of
``--then``); :func:`job_script` writes it in the directives of a scheduler, and
:func:`submit` hands the script to the scheduler's submit command on its standard input
(where all four read directives) and returns the job id it prints.

The directives, per scheduler (``N`` workers, limits as given):

========  ==============================================================================
SLURM     ``#SBATCH --array=1-N --time=D-HH:MM:SS --mem=4096M --cpus-per-task=C
          --partition=P --account=A --signal=B:USR1@S --output=DIR/%A_%a.log``;
          after: ``--dependency=afterany:JOB``
SGE       ``#$ -t 1-N -l h_rt=HH:MM:SS,s_rt=...,h_vmem=4096M -pe smp C -q P -A A``
          (``s_rt`` ``S`` seconds before ``h_rt``: SGE's warning, SIGUSR1); after:
          ``-hold_jid JOB``
PBS       ``#PBS -J 1-N -l walltime=HH:MM:SS -l select=1:ncpus=C:mem=4096mb -q P -A A``
          (PBS Pro / OpenPBS); after: ``-W depend=afterany:JOB``
LSF       ``#BSUB -J "NAME[1-N]" -W HH:MM -M 4096MB -R "rusage[mem=4096MB]" -n C -q P
          -P A -wa USR1 -wt MM -o DIR/%J_%I.log``; after: ``-w "ended(JOB)"``
========  ==============================================================================

Each worker writes its output to ``DIR/JOB_INDEX.log`` (the ``--then`` job to
``DIR/JOB.log``), whatever the scheduler.
"""

from __future__ import annotations

import math
import re
import shlex
import shutil

from jug.errors import SubmitError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

__all__ = [
    "SCHEDULERS",
    "JobSpec",
    "detect_scheduler",
    "job_script",
    "parse_job_id",
    "parse_memory",
    "submit",
    "submit_command",
]

#: The schedulers ``jug submit`` writes scripts for.
SCHEDULERS = ("slurm", "sge", "pbs", "lsf")

#: How to follow a job, per scheduler (``{job}`` is its id).
FOLLOW = {
    "slurm": "squeue -j {job}",
    "sge": "qstat -j {job}",
    "pbs": "qstat -t {job}",
    "lsf": "bjobs -A {job}",
}


class JobSpec:
    """A job for :func:`job_script`.

    Parameters
    ----------
    name : str
        The job's name.
    command : list of str
        What each worker runs (``exec``-ed, so that the scheduler's signals reach it).
    workdir : str
        The directory the job runs in (absolute).
    log_dir : str
        Where the logs go (absolute).
    workers : int, optional
        The size of the job array; 0 for a single job (``--then``).
    seconds : float, optional
        The time limit.
    mem_mb : int, optional
        Memory per worker, in MiB.
    cpus : int, optional
        CPUs per worker.
    queue, account : str, optional
        The partition or queue, and the account (or project) to charge.
    extra : list of str, optional
        Raw directives: a line starting with ``#`` is written as it is, any other line
        after the scheduler's prefix (``#SBATCH`` ...).
    warning : float, optional
        Seconds before the time limit at which the scheduler should send SIGUSR1 (SLURM,
        SGE, LSF; 0: none).
    after : str, optional
        Start only once this job (an array) has ended, in whatever state.
    shell_command : str, optional
        For ``--then``: a shell command line, run instead of ``command``.
    check : list of str, optional
        For ``--then``: a command that must succeed first (``jug check``).
    """

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        workdir: str,
        log_dir: str,
        *,
        workers: int = 0,
        seconds: float | None = None,
        mem_mb: int | None = None,
        cpus: int | None = None,
        queue: str | None = None,
        account: str | None = None,
        extra: Sequence[str] = (),
        warning: float = 0.0,
        after: str | None = None,
        shell_command: str | None = None,
        check: Sequence[str] = (),
    ) -> None:
        self.name = name
        self.command = list(command)
        self.workdir = workdir
        self.log_dir = log_dir
        self.workers = workers
        self.seconds = seconds
        self.mem_mb = mem_mb
        self.cpus = cpus
        self.queue = queue
        self.account = account
        self.extra = list(extra)
        self.warning = warning
        self.after = after
        self.shell_command = shell_command
        self.check = list(check)


def parse_memory(text: str) -> int:
    """MiB in a memory size: ``4G``, ``4GB``, ``500M``, ``2T``, ``1048576K`` (a bare number
    is MiB, as SLURM reads it).

    Raises
    ------
    ValueError
        If *text* is not a positive size.
    """
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(?:i?[bB])?\s*", text)
    if not found:
        raise ValueError(f"not a memory size: {text!r} (e.g. 4G, 500M)")
    number, unit = float(found[1]), found[2].upper() or "M"
    mib = number * {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024**2}[unit]
    if mib <= 0:
        raise ValueError(f"not a memory size: {text!r} (e.g. 4G, 500M)")
    return max(1, math.ceil(mib))


def _hms(seconds: float) -> str:
    total = max(1, math.ceil(seconds))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _slurm_time(seconds: float) -> str:
    total = max(1, math.ceil(seconds))
    days, rest = divmod(total, 86400)
    hms = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return f"{days}-{hms}" if days else hms


def _lsf_minutes(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes // 60}:{minutes % 60:02d}"


def _mem(mb: int, unit: str) -> str:
    return f"{mb}{unit}"


def _directives(spec: JobSpec, scheduler: str) -> list[str]:
    """The scheduler's directive lines for *spec* (without the prefix)."""
    out: list[str] = []
    log = spec.log_dir
    array = spec.workers > 0
    if scheduler == "slurm":
        out.append(f"--job-name={spec.name}")
        if array:
            out.append(f"--array=1-{spec.workers}")
            out.append(f"--output={log}/%A_%a.log")
        else:
            out.append(f"--output={log}/%j.log")
        if spec.seconds:
            out.append(f"--time={_slurm_time(spec.seconds)}")
        if spec.mem_mb:
            out.append(f"--mem={spec.mem_mb}M")
        if spec.cpus:
            out.append(f"--cpus-per-task={spec.cpus}")
        if spec.queue:
            out.append(f"--partition={spec.queue}")
        if spec.account:
            out.append(f"--account={spec.account}")
        if array and spec.warning and spec.seconds:
            # B: to the batch shell, which is the worker itself (exec).
            out.append(f"--signal=B:USR1@{max(1, math.ceil(spec.warning))}")
        if spec.after:
            out.append(f"--dependency=afterany:{spec.after}")
    elif scheduler == "sge":
        out += [f"-N {spec.name}", "-S /bin/bash", "-V", "-j y", f"-wd {spec.workdir}"]
        # SGE's own output file; the script sends everything to JOB_INDEX.log.
        out.append(f"-o {log}")
        if array:
            out.append(f"-t 1-{spec.workers}")
        limits = []
        if spec.seconds:
            limits.append(f"h_rt={_hms(spec.seconds)}")
            if array and spec.warning and spec.seconds > spec.warning:
                # The soft limit: SGE sends SIGUSR1 when it is reached.
                limits.append(f"s_rt={_hms(spec.seconds - spec.warning)}")
        if spec.mem_mb:
            limits.append(f"h_vmem={spec.mem_mb}M")
        if limits:
            out.append(f"-l {','.join(limits)}")
        if spec.cpus and spec.cpus > 1:
            out.append(f"-pe smp {spec.cpus}")
        if spec.queue:
            out.append(f"-q {spec.queue}")
        if spec.account:
            out.append(f"-A {spec.account}")
        if spec.after:
            out.append(f"-hold_jid {spec.after}")
    elif scheduler == "pbs":
        out += [f"-N {spec.name}", "-V", "-j oe", f"-o {log}/"]
        if array:
            out.append(f"-J 1-{spec.workers}")
        if spec.seconds:
            out.append(f"-l walltime={_hms(spec.seconds)}")
        select = "select=1"
        if spec.cpus:
            select += f":ncpus={spec.cpus}"
        if spec.mem_mb:
            select += f":mem={spec.mem_mb}mb"
        if select != "select=1":
            out.append(f"-l {select}")
        if spec.queue:
            out.append(f"-q {spec.queue}")
        if spec.account:
            out.append(f"-A {spec.account}")
        if spec.after:
            out.append(f"-W depend=afterany:{spec.after}")
    elif scheduler == "lsf":
        if array:
            out.append(f'-J "{spec.name}[1-{spec.workers}]"')
            out.append(f"-o {log}/%J_%I.log")
        else:
            out.append(f'-J "{spec.name}"')
            out.append(f"-o {log}/%J.log")
        out.append(f"-cwd {spec.workdir}")
        if spec.seconds:
            out.append(f"-W {_lsf_minutes(spec.seconds)}")
            if array and spec.warning:
                # The warning action and its time ([hours:]minutes before the run limit).
                out.append("-wa USR1")
                out.append(f"-wt {max(1, math.ceil(spec.warning / 60))}")
        if spec.mem_mb:
            out.append(f"-M {spec.mem_mb}MB")
            out.append(f'-R "rusage[mem={spec.mem_mb}MB]"')
        if spec.cpus:
            out.append(f"-n {spec.cpus}")
            out.append('-R "span[hosts=1]"')
        if spec.queue:
            out.append(f"-q {spec.queue}")
        if spec.account:
            out.append(f"-P {spec.account}")
        if spec.after:
            out.append(f'-w "ended({spec.after})"')
    else:
        raise SubmitError(f"unknown scheduler {scheduler!r} (choose from {', '.join(SCHEDULERS)})")
    return out


_PREFIX = {"slurm": "#SBATCH", "sge": "#$", "pbs": "#PBS", "lsf": "#BSUB"}

# The per-worker log of schedulers whose output paths cannot name it (SGE, PBS), and the
# end of the job's time limit, for workers that cannot ask their scheduler (LSF).
_LOG = {
    "sge": '"${JOB_ID}_${SGE_TASK_ID}.log"',
    "pbs": '"${PBS_JOBID%%[*}_${PBS_ARRAY_INDEX}.log"',
}
_SINGLE_LOG = {"sge": '"${JOB_ID}.log"', "pbs": '"${PBS_JOBID%%.*}.log"'}


def job_script(spec: JobSpec, scheduler: str) -> str:
    """The job script of *spec* for *scheduler* (``slurm``, ``sge``, ``pbs``, ``lsf``)."""
    prefix = _PREFIX.get(scheduler)
    if prefix is None:
        raise SubmitError(f"unknown scheduler {scheduler!r} (choose from {', '.join(SCHEDULERS)})")
    lines = ["#!/bin/bash"]
    lines += [f"{prefix} {d}" for d in _directives(spec, scheduler)]
    for raw in spec.extra:
        raw = raw.strip()
        if raw:
            lines.append(raw if raw.startswith("#") else f"{prefix} {raw}")
    what = "one jug worker of a job array" if spec.workers else "the job after the workers"
    lines.append(f"# Written by jug submit: {what}.")
    lines.append(f"cd {shlex.quote(spec.workdir)} || exit 1")
    logs = _LOG if spec.workers else _SINGLE_LOG
    if scheduler in logs:
        lines.append(f"exec >>{shlex.quote(spec.log_dir)}/{logs[scheduler]} 2>&1")
    if spec.seconds and spec.workers and scheduler != "slurm":
        # When the job will be killed, for a worker that cannot ask the scheduler.
        lines.append(f"export JUG_END_TIME=$(( $(date +%s) + {math.ceil(spec.seconds)} ))")
    if spec.shell_command is not None:
        if spec.check:
            check = " ".join(shlex.quote(a) for a in spec.check)
            lines.append(
                f"{check} || {{ echo 'jug submit: not every task has its result (jug check "
                "failed): the command was not run' >&2; exit 1; }"
            )
        lines.append(spec.shell_command)
    else:
        lines.append("exec " + " ".join(shlex.quote(a) for a in spec.command))
    return "\n".join(lines) + "\n"


def submit_command(scheduler: str) -> list[str]:
    """The command that submits a job script given on its standard input."""
    return {
        "slurm": ["sbatch", "--parsable"],
        "sge": ["qsub", "-terse"],
        "pbs": ["qsub"],
        "lsf": ["bsub"],
    }[scheduler]


def parse_job_id(scheduler: str, output: str) -> str:
    """The job id in what the submit command printed.

    Raises
    ------
    SubmitError
        If there is none.
    """
    text = output.strip()
    found: str | None = None
    if scheduler == "slurm":
        first = text.splitlines()[0] if text else ""
        found = first.split(";")[0].strip() or None  # "JOBID[;CLUSTER]"
    elif scheduler == "sge":
        # -terse: "42" or, for an array, "42.1-4:1".
        m = re.search(r"^(\d+)", text, re.MULTILINE)
        m = m or re.search(r"Your job(?:-array)? (\d+)", text)
        found = m[1] if m else None
    elif scheduler == "pbs":
        m = re.search(r"^(\d+(?:\[\])?(?:\.\S+)?)\s*$", text, re.MULTILINE)
        found = m[1] if m else None
    elif scheduler == "lsf":
        m = re.search(r"Job <(\d+)>", text)
        found = m[1] if m else None
    if not found:
        raise SubmitError(
            f"could not find the job id in what the {scheduler} submit command printed: {text!r}"
        )
    return found


def submit(
    scheduler: str,
    script: str,
    *,
    run: Callable[..., object] | None = None,
    env: Mapping[str, str] | None = None,
) -> str:
    """Submit *script* to *scheduler*; return the job id.

    Raises
    ------
    SubmitError
        If the submit command is missing or fails (with its message).
    """
    import subprocess

    command = submit_command(scheduler)
    if shutil.which(command[0]) is None:
        raise SubmitError(f"{command[0]} ({scheduler}) is not on PATH")
    try:
        done = subprocess.run(
            command, input=script, capture_output=True, text=True, timeout=120, env=env, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise SubmitError(f"{command[0]} failed: {exc}") from None
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().replace("\n", "; ")
        raise SubmitError(f"{command[0]} refused the job (exit {done.returncode}): {message}")
    return parse_job_id(scheduler, done.stdout)


def detect_scheduler(
    which: Callable[[str], str | None] = shutil.which, environ: Mapping[str, str] | None = None
) -> str | None:
    """The scheduler whose submit command is on PATH: SLURM (``sbatch``), LSF
    (``bsub``), SGE (``qsub`` with ``qconf`` or ``$SGE_ROOT``), PBS (``qsub``)."""
    import os

    env = os.environ if environ is None else environ
    if which("sbatch"):
        return "slurm"
    if which("bsub"):
        return "lsf"
    if which("qsub"):
        if which("qconf") or env.get("SGE_ROOT"):
            return "sge"
        return "pbs"
    return None
