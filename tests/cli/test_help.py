"""`jug --help`, `jug SUBCOMMAND --help`, `--version`, `python -m jug`, and start-up cost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import jug

SUBCOMMAND_OPTIONS = {
    "execute": [
        "--wait-cycle-time",
        "--nr-wait-cycles",
        "--keep-going",
        "--keep-failed",
        "--aggressive-unload",
        "--target",
        "--debug",
        "--pdb",
        "--short",
        "--lease",
        "--verbose",
        "--jugdir",
    ],
    "status": ["--short", "--jugdir", "--verbose", "--debug", "--cache", "--cache-file"]
    + ["--clear", "--failed"],
    "check": ["--jugdir"],
    "sleep-until": ["--poll-interval", "--jugdir"],
    "invalidate": ["--target", "--invalid", "--short"],
    "cleanup": ["--locks-only", "--failed-only", "--keep-locks", "--force"],
    "graph": ["--output", "--format"],
    "count": ["--short"],
    "demo": ["--verbose"],
    "config": ["--for"],
    "shell": ["--jugdir"],
}


def test_main_help_lists_subcommands_and_backends(project):
    done = project.jug("--help")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("usage: jug SUBCOMMAND")
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    for name in SUBCOMMAND_OPTIONS:
        assert name in lines, out
        # A one-line description follows the name.
        assert len(lines[name].split()) > 2, lines[name]
    assert "Execute the tasks" in lines["execute"]
    backends = next(line for line in out.splitlines() if line.startswith("installed backends"))
    assert "file" in backends and "dict_store" in backends


@pytest.mark.parametrize("name", sorted(SUBCOMMAND_OPTIONS))
def test_subcommand_help_lists_its_options(project, name):
    done = project.jug(name, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: jug {name}")
    for option in [*SUBCOMMAND_OPTIONS[name], "--show-config"]:
        assert option in done.stdout, (name, option)
    # A subcommand's help does not advertise another's options.
    if name != "execute":
        assert "--keep-failed" not in done.stdout


def test_version(project):
    done = project.jug("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"jug {jug.__version__}"


def test_console_script_and_python_m_are_the_same_program(project):
    script = Path(sys.executable).parent / "jug"
    assert script.exists()
    via_script = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, env=project.env, check=True
    )
    assert via_script.stdout == project.jug("--help").stdout


def test_no_arguments_is_a_usage_error(project):
    done = project.jug()
    assert done.returncode == 2
    assert "no subcommand given" in done.stderr


def test_options_before_subcommand_are_a_usage_error(project):
    done = project.jug("--jugdir", "x", "status")
    assert done.returncode == 2
    assert "the subcommand comes first" in done.stderr


def _imported(stderr: str) -> set[str]:
    return {
        line.rsplit("|", 1)[1].strip()
        for line in stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


@pytest.mark.parametrize("argv", [["--help"], ["--version"]])
def test_help_and_version_import_no_subcommand(project, argv):
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "jug", *argv],
        capture_output=True,
        text=True,
        env=project.env,
    )
    assert done.returncode == 0
    modules = _imported(done.stderr)
    assert "jug.jug" in modules  # the report is real
    heavy = ("numpy", "redis", "yaml", "IPython", "jug.backends.file_store")
    builtin = ("execute", "status", "check")
    bad = [
        m
        for m in modules
        if m.split(".")[0] in heavy
        or m in heavy
        or m in {f"jug.subcommands.{b}" for b in builtin}
        or m.startswith("jug.execution.executor")
    ]
    assert bad == []
    if argv == ["--version"]:
        assert "importlib.metadata" not in modules
