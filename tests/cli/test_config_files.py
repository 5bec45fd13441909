"""Configuration files through the real ``jug`` command: which files, in which order,
booleans, placeholders, unknown keys, and ``jug config`` / ``--show-config``."""

from __future__ import annotations

import time

import pytest

JUGFILE = """
from jug import TaskGenerator

@TaskGenerator
def double(x):
    return 2 * x

values = [double(i) for i in range(3)]
"""


def _effective(done) -> dict[str, tuple[str, str]]:
    """``jug config`` rows: option → (value, source)."""
    rows = {}
    lines = done.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Effective options"))
    for line in lines[start + 2 :]:
        if not line.startswith("  "):
            break
        parts = line.split(None, 2)
        if len(parts) == 3:
            rows[parts[0]] = (parts[1], parts[2])
        elif len(parts) == 2:  # an empty value
            rows[parts[0]] = ("", parts[1])
    return rows


def test_precedence_user_then_project_tree_then_command_line(project):
    sub = project.path / "analysis"
    project.write("analysis/jugfile.py", JUGFILE)
    user = project.write("home/.config/jug/jugrc", "[execute]\nlease = 10\nnr-wait-cycles = 1\n")
    top = project.write(".jugrc", "[execute]\nlease = 20\nwait-cycle-time = 3\n")
    mid = project.write("analysis/jugrc", "[execute]\nlease = 30\n")
    done = project.jug("config", "analysis/jugfile.py")
    assert done.returncode == 0, done.stderr
    files = done.stdout.split("Effective options")[0]
    # Read in this order: the user's file, then the project tree from the top down.
    assert files.index(str(user)) < files.index(".jugrc") < files.index("analysis/jugrc")
    rows = _effective(done)
    assert rows["lease"] == ("30.0", "analysis/jugrc [execute]")
    assert rows["wait-cycle-time"] == ("3.0", ".jugrc [execute]")
    assert rows["nr-wait-cycles"] == ("1", f"{user} [execute]")
    assert rows["keep-going"] == ("False", "default")
    rows = _effective(project.jug("config", "analysis/jugfile.py", "--jugdir", "x"))
    assert rows["jugdir"] == ("x", "command line")
    # The same through a real run: the command line wins over every file.
    done = project.jug(
        "execute", "analysis/jugfile.py", "--lease", "40", "--show-config", cwd=project.path
    )
    assert done.returncode == 0
    assert _effective(done)["lease"] == ("40.0", "command line")
    assert "Executed" not in done.stdout  # --show-config only shows
    del sub, top, mid


def test_legacy_user_files_only_when_the_new_one_is_missing(project):
    project.write("jugfile.py", JUGFILE)
    legacy = project.write("home/.jug/configrc", "[execute]\nlease = 5\n")
    assert _effective(project.jug("config"))["lease"] == ("5.0", f"{legacy} [execute]")
    older = project.write("home/.config/jugrc", "[execute]\nlease = 6\n")
    assert _effective(project.jug("config"))["lease"] == ("6.0", f"{older} [execute]")
    new = project.write("home/.config/jug/jugrc", "[execute]\nkeep-going = on\n")
    done = project.jug("config")
    rows = _effective(done)
    assert rows["lease"] == ("600.0", "default")  # the legacy files are not read at all
    assert rows["keep-going"] == ("True", f"{new} [execute]")
    assert f"(not read: {older};" in done.stdout and f"(not read: {legacy};" in done.stdout


@pytest.mark.parametrize(
    "word, expected",
    [("true", True), ("On", True), ("yes", True), ("1", True), ("false", False), ("off", False)]
    + [("NO", False), ("0", False)],
)
def test_booleans_from_files(project, word, expected):
    project.write("jugfile.py", JUGFILE)
    project.write(".jugrc", f"[execute]\nkeep-going = {word}\n[main]\nshort = {word}\n")
    rows = _effective(project.jug("config"))
    assert rows["keep-going"][0] == str(expected)
    assert rows["short"][0] == str(expected)


def test_boolean_flags_set_in_a_file_take_effect(project):
    project.write(
        "jugfile.py",
        """
        from jug import TaskGenerator

        @TaskGenerator
        def bad(x):
            raise ValueError(x)

        @TaskGenerator
        def good(x):
            return x

        bad(1)
        good(2)
        """,
    )
    project.write(".jugrc", "[main]\nshort = yes\n[execute]\nkeep-going = yes\nkeep-failed = 1\n")
    done = project.jug("execute")
    assert done.returncode == 1
    assert done.stdout.strip() == "Executed 1 tasks, loaded 0, 1 failed."  # short, kept going
    assert "1 failed" in project.jug("status").stdout  # keep-failed recorded it
    # ... and the command line can switch them off again.
    done = project.jug("execute", "--no-short", "--no-keep-going")
    assert "Task name" in done.stdout


def test_jugdir_placeholders_from_a_file(project):
    project.write("analysis.py", JUGFILE)
    project.write(".jugrc", "[main]\njugdir = results/%(jugfile)s-%(date)s\n")
    done = project.jug("execute", "analysis.py")
    assert done.returncode == 0, done.stderr
    assert (project.path / "results" / f"analysis-{time.strftime('%Y-%m-%d')}").is_dir()


def test_jugfile_named_in_a_project_file(project):
    project.write("analysis.py", JUGFILE)
    project.write(".jugrc", "[main]\njugfile = analysis.py\n")
    done = project.jug("execute", "--short")
    assert done.returncode == 0, done.stderr
    assert (project.path / "analysis.jugdata").is_dir()


def test_unknown_keys_warn_with_file_and_key(project):
    project.write("jugfile.py", JUGFILE)
    project.write(".jugrc", "[execute]\nkeep-gonig = yes\n[main]\nverbosity = 3\n")
    done = project.jug("status")
    assert done.returncode == 1  # not an error: nothing has run yet
    assert "jug: warning: .jugrc: unknown option 'verbosity' in [main], ignored" in done.stderr
    # A typo in [execute] is reported when execute runs, and by `jug config`.
    assert "keep-gonig" not in done.stderr
    done = project.jug("execute")
    assert "jug: warning: .jugrc: unknown option 'keep-gonig' in [execute], ignored" in done.stderr
    done = project.jug("config", "--for", "status")
    assert "Problems:" in done.stdout
    assert ".jugrc: unknown option 'keep-gonig' in [execute]" in done.stdout


def test_config_for_another_subcommand(project):
    project.write("jugfile.py", JUGFILE)
    project.write(".jugrc", "[status]\ncache = yes\n")
    rows = _effective(project.jug("config", "--for", "status"))
    assert rows["cache"] == ("True", ".jugrc [status]")
    assert "lease" not in rows
    done = project.jug("config", "--for=nosuch")
    assert done.returncode == 2
    assert "unknown subcommand 'nosuch'" in done.stderr


def test_bad_value_in_a_file_is_one_line(project):
    project.write("jugfile.py", JUGFILE)
    project.write(".jugrc", "[execute]\nkeep-going = maybe\n")
    done = project.jug("execute")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "jug: .jugrc: [execute] keep-going: expected yes or no, got 'maybe' "
        "(true/false, on/off and 1/0 work too)"
    ]
