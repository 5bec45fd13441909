"""``jug submit``: run a jugfile's workers as one job array of the cluster's scheduler.

Each element of the array runs ``jug execute`` on the same jugfile, jugdir and options; the
workers share the work through the jugdir, which must therefore be reachable from every
node (a shared file system, or redis). The job script is written for SLURM, SGE, PBS or LSF
(:mod:`._jobscripts`, planned by :mod:`._submission`), and submitted through the scheduler's own command; ``--dry-run``
prints it instead. ``--then`` submits one more job, which runs a command once every worker
has ended and ``jug check`` finds every result.
"""

from __future__ import annotations

import argparse

from . import SubCommand

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["SubmitCommand", "submit"]


class SubmitCommand(SubCommand):
    """Submit workers to the cluster's scheduler (SLURM, SGE, PBS, LSF) as one job array"""

    name = "submit"
    needs_jugfile = False

    def parse(self, parser: Any) -> None:
        parser.add_argument(
            "--workers", type=int, metavar="N", help="how many workers (elements of the job array)"
        )
        parser.add_argument(
            "--time",
            metavar="HH:MM:SS",
            help="time limit of each worker (also D-HH:MM:SS, MM:SS or SECONDS); the workers "
            "start no task that would not finish within it",
        )
        parser.add_argument("--mem", metavar="SIZE", help="memory per worker (e.g. 4G, 500M)")
        parser.add_argument("--cpus", type=int, metavar="C", help="CPUs per worker")
        parser.add_argument(
            "--queue", "--partition", dest="queue", metavar="P", help="queue (or SLURM partition)"
        )
        parser.add_argument("--account", metavar="A", help="account (or project) to charge")
        parser.add_argument(
            "--scheduler",
            choices=("slurm", "sge", "pbs", "lsf"),
            help="the scheduler (default: found from PATH: sbatch, bsub, qsub)",
        )
        parser.add_argument(
            "--extra",
            action="append",
            metavar="DIRECTIVE",
            help="a raw directive for the job script, written after #SBATCH, #$, #PBS or "
            "#BSUB (or a whole '#...' line); may be repeated. One that starts with a dash "
            "needs an =: --extra=--constraint=haswell",
        )
        parser.add_argument(
            "--then",
            metavar="COMMAND",
            help="a shell command to run as one more job once every worker has ended, if "
            "jug check then finds every result (e.g. 'python plot.py')",
        )
        parser.add_argument("--name", metavar="NAME", help="the job's name (default: jug-JUGFILE)")
        parser.add_argument(
            "--log-dir",
            metavar="DIR",
            help="where each worker's log goes, as JOBID_INDEX.log (default: jug-logs)",
        )
        parser.add_argument(
            "--warning",
            type=float,
            metavar="SECONDS",
            help="with --time: the scheduler sends SIGUSR1 this long before the limit (SLURM, "
            "SGE, LSF), on which a worker starts no new task and frees the lock of one that "
            "cannot finish (default: a tenth of --time, at most 60; 0: none)",
        )
        parser.add_argument(
            "--dry-run",
            action=argparse.BooleanOptionalAction,
            help="print the job script(s) instead of submitting",
        )
        from .execute import execute

        # The workers' own options: passed on to `jug execute` when given here.
        execute.parse(parser)

    def parse_defaults(self) -> dict[str, Any]:
        from .execute import execute

        return {
            **execute.parse_defaults(),
            "workers": None,
            "time": None,
            "mem": None,
            "cpus": None,
            "queue": None,
            "account": None,
            "scheduler": None,
            "extra": None,
            "then": None,
            "name": None,
            "log_dir": "jug-logs",
            "warning": None,
            "dry_run": False,
        }

    def run(self, options: Any, *args: Any, **kwargs: Any) -> int:
        from ._submission import run_submit

        return run_submit(options)


# Module-level instance, as the other subcommands have.
submit = SubmitCommand()
