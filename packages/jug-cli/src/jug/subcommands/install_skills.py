"""``jug install-skills --output DIR``: install the jug skill (for AI coding assistants).

The skill is a directory, ``DIR/jug``: ``SKILL.md`` (what jug is, how to write a jugfile,
how to run it, with a ``name``/``description`` header that assistants read), and
``references/`` and ``examples/`` it points to. It ships with jug-cli, in ``jug/skills``.
"""

from __future__ import annotations

import os
import shutil

from jug.errors import JugError, UsageError

from . import SubCommand

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "SKILL_NAME",
    "InstallSkillsCommand",
    "bundled_skill_path",
    "install_skill",
    "install_skills",
]

#: The skill's name, and the directory it is installed as.
SKILL_NAME = "jug"


def bundled_skill_path() -> str:
    """Where the skill shipped with jug is (a directory)."""
    return os.path.join(os.path.dirname(os.path.dirname(__file__)), "skills", SKILL_NAME)


def install_skill(output: str, force: bool = False) -> str:
    """Copy the skill to ``OUTPUT/jug`` and return that path (absolute).

    Parameters
    ----------
    output : str
        The skills directory (created if missing).
    force : bool, optional
        Replace an existing ``OUTPUT/jug``.

    Raises
    ------
    JugError
        If ``OUTPUT/jug`` exists (without *force*) or cannot be written; nothing is left
        half-copied.
    """
    source = bundled_skill_path()
    if not os.path.isdir(source):
        raise JugError(f"the jug skill is missing from this installation ({source})")
    output = os.path.abspath(os.path.expanduser(output))
    target = os.path.join(output, SKILL_NAME)
    if os.path.lexists(target) and not force:
        raise JugError(f"{target} exists already (--force replaces it)")
    staging = os.path.join(output, f".{SKILL_NAME}.{os.getpid()}.tmp")
    try:
        os.makedirs(output, exist_ok=True)
        shutil.copytree(source, staging, ignore=shutil.ignore_patterns("__pycache__"))
        if os.path.lexists(target):
            if os.path.isdir(target) and not os.path.islink(target):
                shutil.rmtree(target)
            else:
                os.unlink(target)
        os.rename(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        reason = exc.strerror or str(exc)
        raise JugError(f"cannot install the jug skill into {output}: {reason}") from exc
    return target


class InstallSkillsCommand(SubCommand):
    """Install the jug skill (for AI coding assistants) into a skills directory"""

    name = "install-skills"
    needs_jugfile = False

    def parse(self, parser: Any) -> None:
        parser.add_argument(
            "--output",
            dest="install_skills_output",
            metavar="DIR",
            help="the skills directory: the skill goes into DIR/jug "
            "(e.g. ~/.claude/skills or .agents/skills)",
        )
        parser.add_argument(
            "--force",
            action="store_const",
            const=True,
            dest="install_skills_force",
            help="replace DIR/jug if it exists",
        )

    def parse_defaults(self) -> dict[str, Any]:
        return {"install_skills_output": "", "install_skills_force": False}

    def run(self, options: Any, *args: Any, **kwargs: Any) -> int:
        if not options.install_skills_output:
            raise UsageError("say where to install the skill: --output DIR")
        target = install_skill(options.install_skills_output, force=options.install_skills_force)
        print(f"Installed the jug skill into {target}")
        return 0


# The original's module-level instances (jug.subcommands.X.X(...) from Python).
install_skills = InstallSkillsCommand()
