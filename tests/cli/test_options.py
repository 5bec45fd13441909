"""Options and configuration files (jug.options), and sys.argv inside the jugfile."""

from __future__ import annotations

import time

import pytest

from jug.options import ConfigError, expand_jugdir, parse_command
from jug.subcommands._registry import get_subcommand


@pytest.fixture
def cwd(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def _parse(*args):
    name, *rest = args
    return parse_command(get_subcommand(name), rest)


def test_defaults(cwd):
    opts = _parse("execute")
    assert opts.jugfile == "jugfile.py"
    assert opts.jugdir == "jugfile.jugdata"
    assert opts.argv == []
    assert (opts.keep_going, opts.keep_failed, opts.debug, opts.pdb) == (False,) * 4
    assert opts.lease == 600.0
    assert opts.wait_cycle_time == 12.0 and opts.nr_wait_cycles == 150
    assert opts.target == []
    assert opts.verbose == "warning"


def test_jugfile_and_its_arguments(cwd):
    opts = _parse("execute", "--verbose=info", "analysis.py", "argument", "--", "--arg", "-x")
    assert opts.jugfile == "analysis.py"
    assert opts.jugdir == "analysis.jugdata"
    assert opts.argv == ["argument", "--arg", "-x"]
    assert opts.verbose == "info"


def test_options_may_come_after_the_jugfile(cwd):
    opts = _parse("execute", "a.py", "--keep-going", "--target", "f", "--target", "g")
    assert opts.jugfile == "a.py" and opts.keep_going and opts.target == ["f", "g"]


def test_jugfile_without_py(cwd):
    (cwd / "analysis.py").write_text("")
    assert _parse("status", "analysis").jugfile == "analysis.py"


@pytest.mark.parametrize(
    "args, level, jugfile",
    [
        (["--verbose"], "info", "jugfile.py"),
        (["--verbose", "debug"], "debug", "jugfile.py"),
        (["--verbose", "x.py"], "info", "x.py"),
        (["--verbose=error"], "error", "jugfile.py"),
    ],
)
def test_verbose_takes_an_optional_level(cwd, args, level, jugfile):
    opts = _parse("status", *args)
    assert (opts.verbose, opts.jugfile) == (level, jugfile)


def test_jugdir_placeholders(cwd):
    assert _parse("status", "--jugdir", "/data/%(jugfile)s.store", "x.py").jugdir == (
        "/data/x.store"
    )
    assert expand_jugdir("%(date)s", "a.py") == time.strftime("%Y-%m-%d")
    assert expand_jugdir("sub/%(jugfile)s.jugdata", "sub/a.py") == "sub/sub/a.jugdata"


def test_user_config_sets_boolean_flags_and_lease(cwd):
    config = cwd.parent / "home" / ".config"
    config.mkdir()
    (config / "jugrc").write_text(
        "[main]\njugdir = results/%(jugfile)s\n"
        "[execute]\nkeep-going = yes\naggressive_unload = on\nlease = 42\nnr-wait-cycles = 3\n"
        "target = f, g\n"
    )
    opts = _parse("execute", "a.py")
    assert opts.keep_going is True and opts.aggressive_unload is True
    assert opts.lease == 42.0 and opts.nr_wait_cycles == 3
    assert opts.jugdir == "results/a"
    assert opts.target == ["f", "g"]
    # The command line wins, and can switch a configured flag off.
    opts = _parse("execute", "a.py", "--no-keep-going", "--lease", "7")
    assert opts.keep_going is False and opts.lease == 7.0
    # [execute] does not leak into other subcommands; [main] applies to all.
    status = _parse("status", "a.py")
    assert getattr(status, "lease", None) != 42.0 and status.jugdir == "results/a"
    assert "lease" not in status.sources


def test_legacy_and_xdg_config_files(cwd, monkeypatch):
    legacy = cwd.parent / "home" / ".jug"
    legacy.mkdir()
    (legacy / "configrc").write_text("[execute]\nwait-cycle-time = 3\n")
    assert _parse("execute").wait_cycle_time == 3.0
    xdg = cwd.parent / "xdg"
    (xdg / "jug").mkdir(parents=True)
    (xdg / "jug" / "jugrc").write_text("[execute]\nwait-cycle-time = 4\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    assert _parse("execute").wait_cycle_time == 4.0


def test_project_config_beats_user_config(cwd):
    config = cwd.parent / "home" / ".config"
    config.mkdir()
    (config / "jugrc").write_text("[execute]\nlease = 10\nkeep-failed = true\n")
    (cwd / ".jugrc").write_text("[execute]\nlease = 20\n")
    sub = cwd / "sub"
    sub.mkdir()
    (sub / ".jugrc").write_text("[main]\njugdir = elsewhere\n[execute]\nlease = 30\n")
    opts = _parse("execute")
    assert opts.lease == 20.0 and opts.keep_failed is True
    opts = _parse("execute", "sub/jugfile.py")
    assert opts.lease == 30.0 and opts.jugdir == "elsewhere"
    assert opts.config_files[-1].endswith("sub/.jugrc")


def test_config_errors_are_config_errors(cwd):
    (cwd / ".jugrc").write_text("[execute]\nkeep-going = perhaps\n")
    with pytest.raises(ConfigError, match="expected yes or no, got 'perhaps'"):
        _parse("execute")
    (cwd / ".jugrc").write_text("this is not an ini file\n")
    with pytest.raises(ConfigError, match="cannot read configuration file"):
        _parse("execute")


def test_unknown_config_key_warns(cwd, capsys):
    (cwd / ".jugrc").write_text(
        "[status]\ncache = off\ncahce = on\n[main]\nlease = 5\nbogus = 1\n[nosuchcmd]\nx = 1\n"
    )
    opts = _parse("status")
    err = capsys.readouterr().err
    # The spec's own example `[status] cache` is an option now; `lease` is execute's.
    assert "'cache'" not in err and "'lease'" not in err
    assert ".jugrc: unknown option 'cahce' in [status], ignored" in err
    assert ".jugrc: unknown option 'bogus' in [main], ignored" in err
    assert ".jugrc: unknown section [nosuchcmd]" in err
    assert opts.short is False and opts.cache is False


def test_sys_argv_in_jugfile(project):
    project.write(
        "jugfile.py",
        """
        import sys
        print("ARGV", sys.argv)
        """,
    )
    done = project.jug("status")
    assert "ARGV ['jugfile.py']" in done.stdout
    done = project.jug("status", "--verbose=info", "jugfile.py", "argument", "--", "--arg")
    assert "ARGV ['jugfile.py', 'argument', '--arg']" in done.stdout


def test_jugfile_module_is_named_after_the_file(project, parse_status):
    project.write(
        "analysis.py",
        """
        from jug import TaskGenerator

        @TaskGenerator
        def f(x):
            return x

        f(1)
        """,
    )
    done = project.jug("status", "analysis.py")
    assert parse_status(done.stdout)["analysis.f"] == [0, 1, 0, 0, 0, 0]
