"""Start-up of `jug status` and `jug execute`: what a run imports, and the entry-point
reader (jug.plugins) that lets it skip :mod:`importlib.metadata` while plugins keep working.

Every process start pays for each module imported, eight times over when eight workers
start together; these tests pin the modules that the common runs must not import. They
look at ``sys.modules`` of a real ``jug`` run (not at timings).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from jug.plugins import entry_points as jug_entry_points

ONE_TASK = """
from jug import TaskGenerator


@TaskGenerator
def double(x):
    return 2 * x


results = [double(i) for i in range(1)]
"""

# Runs jug (jug.jug.run) as the console script does, then reports every module imported.
_RUN_AND_LIST = """
import json, sys
from jug.jug import run
code = run(sys.argv[1:])
sys.stdout.flush()
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""

# Never needed to run a built-in subcommand on the file store.
NOT_AT_START = [
    "importlib.metadata",  # entry-point scanning (~15 ms with what it imports)
    "email",
    "jug.backends.redis_store",
    "jug.backends.dict_store",
    "redis",
    "numpy",
    "configparser",  # only when a configuration file exists
    "pathlib",
    "jug.signing",  # only with a secret key (signed results)
    "hmac",
]


def _modules(project, *args: str, code: int = 0) -> set[str]:
    script = project.write("run_and_list.py", _RUN_AND_LIST)
    done = subprocess.run(
        [sys.executable, str(script), *args],
        cwd=project.path,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == code, done.stdout + done.stderr
    return set(report["modules"])


def _offenders(modules: set[str], forbidden: list[str]) -> list[str]:
    return sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in forbidden))


def test_status_of_a_small_jugfile_imports_only_what_it_uses(project):
    project.write("bench.py", ONE_TASK)
    modules = _modules(project, "status", "bench.py", code=1)  # 1: the task has not run
    assert {"jug.subcommands.status", "jug.backends.file_store"} <= modules  # it did run
    # The execution loop is not for plain status; nothing logs at the default level, so
    # logging is not even configured.
    forbidden = [*NOT_AT_START, "jug.execution.executor", "logging"]
    assert _offenders(modules, forbidden) == []


def test_execute_of_a_small_jugfile_imports_only_what_it_uses(project):
    project.write("bench.py", ONE_TASK)
    modules = _modules(project, "execute", "bench.py")
    assert {"jug.execution.executor", "jug.backends.file_store"} <= modules
    # Nothing logs at the default level: logging is imported only once something warns.
    assert _offenders(modules, [*NOT_AT_START, "jug.subcommands.status", "logging"]) == []


def test_a_warning_logged_late_still_says_jug():
    code = (
        "import sys\n"
        "from jug import log\n"
        "log.configure('warning')\n"
        "log.info('not shown')\n"
        "assert 'logging' not in sys.modules\n"
        "log.warning('lost the lock of %s', 'f')\n"
        "log.info('still not shown')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "jug: lost the lock of f\n"
    verbose = subprocess.run(
        [sys.executable, "-c", code.replace("'warning')", "'info')").replace("assert", "#")],
        capture_output=True,
        text=True,
    )
    assert verbose.stderr.splitlines() == [
        "jug: not shown",
        "jug: lost the lock of f",
        "jug: still not shown",
    ]


def test_config_file_still_read_when_present(project):
    """Lazily imported configparser/pathlib: a .jugrc is still found and applied."""
    project.write("bench.py", ONE_TASK)
    project.write(".jugrc", "[status]\nshort = yes\n")
    done = project.jug("status", "bench.py")
    assert done.returncode == 1 and not done.stderr, done.stderr  # 1: the task has not run
    assert done.stdout.strip() == "1 tasks to be run, 0 finished, (none running)."


@pytest.mark.parametrize("group", ["jug.backends", "jug.subcommands", "console_scripts"])
def test_the_entry_point_reader_finds_what_importlib_metadata_finds(group):
    """jug.plugins reads entry_points.txt itself (importlib.metadata costs ~15 ms per
    process): it must find the same entry points."""
    ours = {(ep.name, ep.value) for ep in jug_entry_points(group).values()}
    theirs = {(ep.name, ep.value) for ep in entry_points(group=group)}
    assert ours == theirs
    assert ours  # the comparison is not vacuous


def _fake_distribution(root: Path, name: str, entry_points_txt: str, module: str, source: str):
    """A distribution installed by hand into *root* (for PYTHONPATH), as pip leaves one."""
    root.mkdir(exist_ok=True)
    info = root / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points_txt))
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    return info


PLUGIN = """
    from jug.subcommands import SubCommand

    class Hello(SubCommand):
        "Say hello (a plugin)"

        needs_jugfile = False

        def run(self, *args, **kwargs):
            print("hello from the plugin")


    class FakeStatus(SubCommand):
        "Pretends to be status"

        needs_jugfile = False

        def run(self, *args, **kwargs):
            print("not the real status")
"""


@pytest.mark.parametrize("step", ["installed", "removed"])
def test_plugin_is_seen_as_soon_as_installed_and_gone_once_removed(project, tmp_path, step):
    site = tmp_path / "site"
    info = _fake_distribution(
        site,
        "jug-hello-plugin",
        "[jug.subcommands]\nhello = hello_plugin:Hello\n",
        "hello_plugin",
        PLUGIN,
    )
    env = {"PYTHONPATH": str(site)}
    done = project.jug("hello", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "hello from the plugin"
    assert "hello" in project.jug("--help", env=env).stdout
    if step == "removed":
        shutil.rmtree(info)
        done = project.jug("hello", env=env)
        assert done.returncode == 2
        assert "unknown subcommand 'hello'" in done.stderr
        assert "  hello " not in project.jug("--help", env=env).stdout


def test_plugin_cannot_replace_a_builtin_subcommand(project, tmp_path):
    site = tmp_path / "site"
    _fake_distribution(
        site,
        "jug-fake-status",
        "[jug.subcommands]\nstatus = fake_status:FakeStatus\n",
        "fake_status",
        PLUGIN,
    )
    project.write("jugfile.py", ONE_TASK)
    done = project.jug("status", "--short", env={"PYTHONPATH": str(site)})
    assert done.returncode == 1 and not done.stderr, done.stderr  # the real status
    assert "not the real status" not in done.stdout
    assert done.stdout.strip() == "1 tasks to be run, 0 finished, (none running)."


def test_backend_plugin_installed_by_hand_is_found(project, tmp_path):
    """A ``NAME:`` jugdir that is not built in still goes through the entry points."""
    site = tmp_path / "site"
    _fake_distribution(
        site,
        "jug-alias-backend",
        "[jug.backends]\nmydict = my_backend:from_jugdir\n",
        "my_backend",
        """
        from jug.backends.dict_store import dict_store

        def from_jugdir(jugdir):
            print("my backend opened", jugdir)
            return dict_store()
        """,
    )
    project.write("jugfile.py", ONE_TASK)
    env = {"PYTHONPATH": str(site)}
    done = project.jug("status", "--short", "--jugdir", "mydict:x", env=env)
    assert done.returncode == 1 and not done.stderr, done.stderr  # 1: nothing has run
    assert done.stdout.splitlines()[0] == "my backend opened mydict:x"
    done = project.jug("status", "--jugdir", "mydict:x")  # not installed: an error
    assert done.returncode == 1
    assert "unknown jugdir scheme 'mydict'" in done.stderr


def test_warnings_of_a_backend_imported_at_open_are_formatted_as_jugs(project, tmp_path):
    """Logging is configured late when nothing imported it early: a backend that imports it
    (when the store is opened) and warns while the subcommand runs still gets ``jug:``."""
    site = tmp_path / "site"
    _fake_distribution(
        site,
        "jug-warning-backend",
        "[jug.backends]\nwarns = warning_backend:from_jugdir\n",
        "warning_backend",
        """
        import logging

        from jug.backends.dict_store import dict_store

        log = logging.getLogger("jug")


        class warning_store(dict_store):
            def can_load_many(self, keys):
                log.warning("the warning store was asked")
                return super().can_load_many(keys)


        def from_jugdir(jugdir):
            return warning_store()
        """,
    )
    project.write("jugfile.py", ONE_TASK)
    done = project.jug("status", "--short", "--jugdir", "warns:", env={"PYTHONPATH": str(site)})
    assert done.returncode == 1, done.stderr  # 1: nothing has run
    assert done.stderr.strip() == "jug: the warning store was asked"
