"""Start-up stays cheap: `import jug` and `jug --help` import no optional package.

Measured in fresh processes with ``-X importtime`` (the list of every module a process
imports), as DESIGN §2 says, so nothing a test imported earlier can hide a regression.
"""

from __future__ import annotations

import os
import sys

import pytest

HEAVY = ["numpy", "redis", "yaml", "IPython"]


def _imported(stderr: str) -> set[str]:
    """Module names from the ``-X importtime`` report."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.add(name)
    return names


def _offenders(modules: set[str], forbidden: list[str]) -> list[str]:
    return sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in forbidden))


def test_import_jug_is_core_only(run):
    done = run([sys.executable, "-X", "importtime", "-c", "import jug; jug.TaskGenerator"])
    assert done.returncode == 0, done.stderr
    modules = _imported(done.stderr)
    assert "jug.task" in modules  # the report is real
    forbidden = [*HEAVY, "jug.backends", "jug.subcommands", "jug.hooks", "jug.shell", "jug.jug"]
    assert _offenders(modules, forbidden) == []


def _cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPROFILEIMPORTTIME"] = "1"
    env.pop("PYTHONPATH", None)
    return env


@pytest.mark.parametrize(
    "argv, runs",
    [
        (["--help"], None),
        (["--version"], None),
        (["status", "--help"], "status"),
        (["execute", "--help"], "execute"),
    ],
)
def test_cli_imports_only_what_runs(run, jug_script, argv, runs):
    done = run([jug_script, *argv], env=_cli_env())
    assert done.returncode == 0, done.stdout + done.stderr
    modules = _imported(done.stderr)
    assert any(m.startswith("jug") for m in modules)  # the report is real
    commands = {"execute", "status", "check", "shell"} - {runs}
    forbidden = [
        *HEAVY,
        "jug.backends.file_store",
        "jug.backends.dict_store",
        "jug.backends.redis_store",
        "jug.shell",
        *(f"jug.subcommands.{c}" for c in commands),
    ]
    assert _offenders(modules, forbidden) == []
