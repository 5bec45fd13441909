"""Bad input gives one clear message and a non-zero exit code, never the usage text."""

from __future__ import annotations

TRIVIAL = """
from jug import TaskGenerator

@TaskGenerator
def double(x):
    return 2 * x

values = [double(i) for i in range(3)]
"""


def _no_usage(done):
    assert "usage:" not in done.stdout + done.stderr


def test_missing_jugfile(project):
    done = project.jug("status", "nothere.py")
    assert done.returncode == 1
    assert done.stderr.strip() == "jug: jugfile 'nothere.py' not found"
    _no_usage(done)
    # Nothing was created for it.
    assert not (project.path / "nothere.jugdata").exists()


def test_missing_default_jugfile(project):
    done = project.jug("execute")
    assert done.returncode == 1
    assert "jugfile 'jugfile.py' not found" in done.stderr
    _no_usage(done)


def test_jugfile_raising_shows_its_own_traceback(project):
    project.write(
        "broken.py",
        """
        from jug import TaskGenerator
        x = 1
        raise RuntimeError("the jugfile's own problem")
        """,
    )
    done = project.jug("execute", "broken.py")
    assert done.returncode == 1
    assert "Traceback" in done.stderr
    assert 'broken.py", line 4' in done.stderr
    assert "RuntimeError: the jugfile's own problem" in done.stderr
    # jug's loading machinery is not part of the user's traceback.
    assert "runtime.py" not in done.stderr
    _no_usage(done)


def test_unknown_subcommand_lists_subcommands(project):
    done = project.jug("exceute")
    assert done.returncode == 2
    assert "unknown subcommand 'exceute'" in done.stderr
    for name in ("execute", "status", "check", "sleep-until"):
        assert name in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_unknown_jugdir_scheme_is_one_line(project):
    project.write("jugfile.py", TRIVIAL)
    done = project.jug("status", "--jugdir", "nosuchbackend:somewhere")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "unknown jugdir scheme 'nosuchbackend'" in lines[0]
    assert "file" in lines[0]  # names the installed backends
    assert not list(project.path.glob("nosuchbackend*"))
    _no_usage(done)


def test_type_error_in_task_is_a_task_error(project):
    project.write(
        "jugfile.py",
        """
        from jug import TaskGenerator

        @TaskGenerator
        def f(x):
            return len(x, 3)

        f(1)
        """,
    )
    done = project.jug("execute")
    assert done.returncode == 1
    assert "task jugfile.f" in done.stderr
    assert "TypeError: len() takes exactly one argument" in done.stderr
    assert 'jugfile.py", line 6, in f' in done.stderr
    # The traceback starts in the user's code, not in jug's.
    assert "executor.py" not in done.stderr
    _no_usage(done)


def test_debug_shows_jug_frames_of_task_errors(project):
    project.write(
        "jugfile.py",
        """
        from jug import TaskGenerator

        @TaskGenerator
        def f(x):
            raise ValueError("boom")

        f(1)
        """,
    )
    done = project.jug("execute", "--debug")
    assert done.returncode == 1
    assert "ValueError: boom" in done.stderr
    assert "task.py" in done.stderr


def test_bad_option_value_in_config_file(project):
    project.write("jugfile.py", TRIVIAL)
    project.write(".jugrc", "[execute]\nlease = soon\n")
    done = project.jug("execute")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "jug: .jugrc: [execute] lease: expected a float, got 'soon'"
    ]
    _no_usage(done)


def test_non_positive_lease_is_rejected(project):
    project.write("jugfile.py", TRIVIAL)
    done = project.jug("execute", "--lease", "0")
    assert done.returncode == 1
    assert "lease must be a positive number" in done.stderr
    assert "Executed" not in done.stdout


def test_unknown_option_is_a_usage_error(project):
    project.write("jugfile.py", TRIVIAL)
    done = project.jug("status", "--no-such-option")
    assert done.returncode == 2
    assert "unrecognized arguments: --no-such-option" in done.stderr


def test_broken_user_command_file_is_a_warning(project):
    project.write("jugfile.py", TRIVIAL)
    project.write("home/.config/jug/jug_user_commands.py", "raise ImportError('oops')\n")
    done = project.jug("nosuch")
    assert done.returncode == 2
    assert "warning: ignoring" in done.stderr and "oops" in done.stderr
