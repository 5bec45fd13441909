"""What ``jug submit`` does with its options: check them, plan the job array (and the
``--then`` job), and print or submit their scripts (:mod:`._jobscripts`).

Kept apart from :mod:`.submit`, whose source ``jug --help`` reads for its one line.
"""

from __future__ import annotations

import os
import sys

from jug.errors import SubmitError, UsageError

from . import _jobscripts
from ._jobscripts import FOLLOW, SCHEDULERS, JobSpec, detect_scheduler, job_script, parse_memory

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["LOCAL_DIRS", "check_jugdir", "plan_submission", "run_submit"]

#: Directories that are usually private to each machine of a cluster.
LOCAL_DIRS = ("/tmp", "/var/tmp", "/dev/shm")

#: Options of ``jug execute`` that the workers get when ``jug submit`` is given them.
_COMMON_FORWARDED = ("verbose", "debug", "aggressive_unload", "short")


def run_submit(options: Any) -> int:
    """Do what ``jug submit`` with *options* says: print the scripts (``--dry-run``) or
    submit them, and say how to follow the jobs; return the exit code."""
    plan = plan_submission(options)
    scheduler = plan["scheduler"]
    array: JobSpec = plan["array"]
    then: JobSpec | None = plan["then"]
    if options.dry_run:
        print(f"# {scheduler}: submitted with `{' '.join(_submit_words(scheduler))} < SCRIPT`")
        print(job_script(array, scheduler), end="")
        if then is not None:
            then.after = "JOBID"
            print("\n# then, with JOBID the job id of the array above:")
            print(job_script(then, scheduler), end="")
        return 0
    os.makedirs(array.log_dir, exist_ok=True)
    job = _jobscripts.submit(scheduler, job_script(array, scheduler))
    log_dir = (
        os.path.relpath(array.log_dir) if not options.log_dir.startswith("/") else array.log_dir
    )
    print(f"Submitted {array.workers} worker(s) as {scheduler} job array {job} ({array.name}).")
    print(f"  logs:   {log_dir}/{_job_stem(scheduler, job)}_<1..{array.workers}>.log")
    jugfile = options.jugfile
    print(f"  follow: jug status {jugfile} --watch   ({FOLLOW[scheduler].format(job=job)})")
    if then is not None:
        then.after = job
        try:
            then_job = _jobscripts.submit(scheduler, job_script(then, scheduler))
        except SubmitError as exc:
            raise SubmitError(
                f"the workers were submitted (job array {job}), but not the job after them: {exc}"
            ) from None
        print(
            f"Then job {then_job} runs `{then.shell_command}` once the array has ended "
            f"(log {log_dir}/{_job_stem(scheduler, then_job)}.log)."
        )
    return 0


def _submit_words(scheduler: str) -> list[str]:
    return _jobscripts.submit_command(scheduler)


def _job_stem(scheduler: str, job: str) -> str:
    """The part of a job id that names its log files."""
    if scheduler == "pbs":
        return job.split("[", maxsplit=1)[0].split(".", maxsplit=1)[0]
    return job


def _forwarded(options: Any) -> list[str]:
    """The ``jug execute`` options given to ``jug submit`` (command line or files), as
    arguments for the workers."""
    from .execute import execute

    sources = getattr(options, "sources", {})
    names = list(execute.parse_defaults()) + list(_COMMON_FORWARDED)
    out: list[str] = []
    for name in names:
        if sources.get(name, "default") == "default":
            continue
        value = getattr(options, name, None)
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            out.append(flag if value else f"--no-{flag[2:]}")
        elif isinstance(value, list):
            for item in value:
                out += [flag, str(item)]
        elif value is not None:
            out += [flag, repr(value) if isinstance(value, float) else str(value)]
    return out


def _seconds(text: Any, what: str) -> float | None:
    if text is None:
        return None
    from jug.execution.timelimit import parse_duration

    try:
        value = parse_duration(str(text))
    except ValueError:
        raise UsageError(
            f"{what}: not a duration: {text!r} (give HH:MM:SS, D-HH:MM:SS or SECONDS)"
        ) from None
    if value <= 0:
        raise UsageError(f"{what}: must be positive, not {text!r}")
    return value


def check_jugdir(jugdir: str, stream: Any = None) -> None:
    """Refuse a jugdir that workers on several machines cannot share; warn for one that
    is probably local to this machine.

    Raises
    ------
    SubmitError
        For a ``dict_store`` (in-memory, or a file rewritten by each process).
    """
    out = sys.stderr if stream is None else stream
    scheme = jugdir.split(":", 1)[0] if ":" in jugdir else ""
    if scheme == "dict_store" or jugdir == "dict_store":
        raise SubmitError(
            f"the jugdir {jugdir!r} is a dict_store, which lives in one process: workers of "
            "a job array cannot share it. Use a directory on a shared file system or a "
            "redis:// URL"
        )
    if scheme in ("redis", "rediss"):
        host = jugdir.split("//", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
        if host.split(":")[0] in ("", "localhost", "127.0.0.1", "::1"):
            print(
                f"jug: warning: the jugdir {jugdir} names this machine (localhost): workers on "
                "other nodes would look for redis on their own machine; give its host name",
                file=out,
            )
        return
    if scheme and len(scheme) > 1:
        return  # a plugin's backend: its business
    path = os.path.realpath(jugdir)
    for local in LOCAL_DIRS:
        if path == local or path.startswith(local + "/"):
            print(
                f"jug: warning: the jugdir {path} is under {local}, which is usually private to "
                "each machine: workers on other nodes would not see each other's results (use "
                "a shared file system)",
                file=out,
            )
            return


def plan_submission(options: Any) -> dict[str, Any]:
    """What ``jug submit`` with *options* would submit: ``scheduler``, ``array`` (the
    workers' :class:`JobSpec`) and ``then`` (the ``--then`` job's, or None).

    Raises
    ------
    UsageError, SubmitError
    """
    workers = options.workers
    if workers is None:
        raise UsageError(
            "how many workers? give --workers N (or workers = N in the [submit] section of "
            "a configuration file)"
        )
    workers = _int(workers, "--workers")
    if workers < 1:
        raise UsageError(f"--workers must be at least 1, not {workers}")
    jugfile = options.jugfile
    if not os.path.exists(jugfile):
        raise SubmitError(
            f"no jugfile {jugfile!r} here (jug submit runs the workers in this directory)"
        )
    jugdir = str(options.jugdir)
    scheduler = options.scheduler or detect_scheduler()
    if scheduler is None:
        raise SubmitError(
            "no scheduler found on PATH (sbatch, bsub or qsub): give --scheduler "
            f"({', '.join(SCHEDULERS)}), e.g. with --dry-run to see the job script"
        )
    if scheduler not in SCHEDULERS:
        raise UsageError(f"unknown scheduler {scheduler!r} (choose from {', '.join(SCHEDULERS)})")
    seconds = _seconds(options.time, "--time")
    mem_mb = None
    if options.mem is not None:
        try:
            mem_mb = parse_memory(str(options.mem))
        except ValueError as exc:
            raise UsageError(f"--mem: {exc}") from None
    cpus = _int(options.cpus, "--cpus") if options.cpus is not None else None
    if cpus is not None and cpus < 1:
        raise UsageError(f"--cpus must be at least 1, not {cpus}")
    if options.warning is None:
        # Early enough to matter, late enough that SLURM's resolution (it may signal up to
        # a minute early) leaves short jobs most of their time.
        warning = min(60.0, seconds / 10) if seconds else 0.0
    else:
        warning = _float(options.warning, "--warning")
    extra = options.extra or []
    if isinstance(extra, str):  # from a configuration file: one directive per line
        extra = [line for line in extra.splitlines() if line.strip()]
    check_jugdir(jugdir)  # last: a warning only once the command line is known to be right
    stem = os.path.splitext(os.path.basename(jugfile))[0]
    name = options.name or f"jug-{stem}"
    workdir = os.getcwd()
    log_dir = os.path.join(workdir, os.path.expanduser(options.log_dir))
    python = sys.executable or "python3"
    common = ["--jugdir", jugdir]
    worker = [python, "-m", "jug", "execute", jugfile, *common, *_forwarded(options)]
    if options.argv:
        worker += ["--", *options.argv]
    limits = {
        "seconds": seconds,
        "mem_mb": mem_mb,
        "cpus": cpus,
        "queue": options.queue,
        "account": options.account,
        "extra": extra,
    }
    array = JobSpec(name, worker, workdir, log_dir, workers=workers, warning=warning, **limits)
    then = None
    if options.then:
        check = [python, "-m", "jug", "check", jugfile, *common]
        if options.argv:
            check += ["--", *options.argv]
        then = JobSpec(
            f"{name}-then",
            [],
            workdir,
            log_dir,
            shell_command=str(options.then),
            check=check,
            **limits,
        )
    return {"scheduler": scheduler, "array": array, "then": then}


def _float(value: Any, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{what}: not a number: {value!r}") from None
    if not 0 <= number < float("inf"):
        raise UsageError(f"{what}: must be a positive number, not {value!r}")
    return number


def _int(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UsageError(f"{what}: not a whole number: {value!r}") from None
