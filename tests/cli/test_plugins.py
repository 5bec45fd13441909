"""Subcommand plugins: the installed test distribution (tests/plugins/jug-testcmd-plugin)
registered through the ``jug.subcommands`` entry-point group, and broken plugins."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

JUGFILE = """
from jug import TaskGenerator

@TaskGenerator
def double(x):
    return 2 * x

values = [double(i) for i in range(3)]
"""


def test_plugin_is_listed_with_its_docstring_and_options(project):
    done = project.jug("--help")
    assert "  testcmd         Write a report on the jugfile's tasks (a test plugin)" in done.stdout
    done = project.jug("testcmd", "--help")
    assert done.returncode == 0
    for option in ("--greeting", "--report", "--shout", "--jugdir"):
        assert option in done.stdout


def test_plugin_runs_with_options_store_and_jugspace(project):
    project.write("jugfile.py", JUGFILE)
    project.jug("execute", "--target", "double")
    done = project.jug("testcmd")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "testcmd: wrote testcmd-report.txt"
    # The default greeting comes from parse_defaults().
    assert (project.path / "testcmd-report.txt").read_text() == "hello: 3 tasks, 3 finished\n"


def test_plugin_default_overridden_by_jugrc_then_command_line(project):
    project.write("jugfile.py", JUGFILE)
    project.write(".jugrc", "[testcmd]\ngreeting = bonjour\nshout = yes\nreport = r.txt\n")
    assert project.jug("testcmd").returncode == 0
    assert (project.path / "r.txt").read_text() == "BONJOUR: 3 tasks, 0 finished\n"
    # `[main]` applies to plugins too; the command line wins over the files.
    project.write(".jugrc", "[main]\ntestcmd_greeting = hallo\n")
    assert project.jug("testcmd").returncode == 0
    assert (project.path / "testcmd-report.txt").read_text().startswith("hallo:")
    assert project.jug("testcmd", "--greeting", "hi").returncode == 0
    assert (project.path / "testcmd-report.txt").read_text().startswith("hi:")
    rows = project.jug("config", "--for", "testcmd").stdout
    assert "testcmd-greeting" in rows and ".jugrc [main]" in rows


def test_exception_in_a_plugin_is_reported_as_that(project):
    project.write("jugfile.py", JUGFILE)
    done = project.jug("testcmd", "--raise")
    assert done.returncode == 1
    assert "usage:" not in done.stderr
    assert "Traceback" in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last == (
        "jug: the subcommand 'testcmd' (the plugin jug-testcmd-plugin) raised "
        "TypeError: testcmd was asked to raise"
    )


def _fake_distribution(root: Path, name: str, entry_points: str, modules: dict[str, str]) -> str:
    """A distribution installed by hand into *root* (a directory for PYTHONPATH):
    its modules and a ``.dist-info`` with entry points, as pip would leave them."""
    root.mkdir(exist_ok=True)
    info = root / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))
    for module, source in modules.items():
        (root / f"{module}.py").write_text(textwrap.dedent(source))
    return str(root)


@pytest.fixture
def broken_plugins(tmp_path):
    return _fake_distribution(
        tmp_path / "site",
        "jug-broken-plugin",
        """
        [jug.subcommands]
        crashes-on-import = broken_on_import:Command
        needs-missing = needs_missing:Command
        not-a-command = not_a_command:Command
        """,
        {
            "broken_on_import": """
                from jug.subcommands import SubCommand

                class Command(SubCommand):
                    "I never load"
                    name = "crashes-on-import"

                raise RuntimeError("plugin bug at import time")
            """,
            "needs_missing": """
                import no_such_module_for_jug_tests

                from jug.subcommands import SubCommand

                class Command(SubCommand):
                    "I need a missing module"
            """,
            "not_a_command": """
                class Command:
                    "Not derived from SubCommand"
            """,
        },
    )


def test_broken_plugins_give_clear_messages_and_break_nothing_else(project, broken_plugins):
    project.write("jugfile.py", JUGFILE)
    env = {"PYTHONPATH": broken_plugins}
    done = project.jug("--help", env=env)
    assert done.returncode == 0
    assert "crashes-on-import  I never load" in done.stdout  # listed without importing it

    done = project.jug("crashes-on-import", env=env)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "jug: the jug subcommand 'crashes-on-import' from the plugin jug-broken-plugin is "
        "broken: loading broken_on_import:Command raised RuntimeError: plugin bug at import "
        "time"
    )
    done = project.jug("needs-missing", env=env)
    assert done.returncode == 1
    assert "'needs-missing' (from jug-broken-plugin) cannot be imported" in done.stderr
    assert "No module named 'no_such_module_for_jug_tests'" in done.stderr
    done = project.jug("not-a-command", env=env)
    assert done.returncode == 1
    assert "is not a jug.subcommands.SubCommand" in done.stderr

    # Everything else works, configuration checks included.
    assert project.jug("execute", env=env).returncode == 0
    assert project.jug("status", env=env).returncode == 0
    project.write(".jugrc", "[main]\nnonsense = 1\n")
    done = project.jug("status", env=env)
    assert done.returncode == 0
    assert "unknown option 'nonsense' in [main]" in done.stderr


def test_missing_shell_distribution_names_what_to_install(project, tmp_path):
    """Without jug-shell's entry point (simulated by hiding the distribution's metadata)."""
    import subprocess
    import sys

    script = (
        "import sys, jug.plugins as plugins\n"
        "real = plugins._all_entry_points()\n"
        "hidden = {g: [e for e in eps if e.name != 'shell'] for g, eps in real.items()}\n"
        "plugins._all_entry_points = lambda: hidden\n"
        "from jug.jug import run\n"
        "sys.exit(run(['shell']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=project.env
    )
    assert done.returncode == 2
    assert "the subcommand 'shell' is not installed: it comes with jug-shell" in done.stderr
    assert "pip install jug-shell" in done.stderr
