"""Code fingerprints through the real ``jug``: ``execute --code-hash`` records them,
``status`` (table, ``--short``, ``--json``) counts results whose code changed, and
``invalidate --code-changed`` removes those and what was computed from them."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from jug.testing import parse_status_table

JUGFILE = """
from jug import TaskGenerator
from helpers import smooth

OFFSET = 1


def tidy(x):
    return x * 2


@TaskGenerator
def load(i):
    return [i, i + 1, i + 2]


@TaskGenerator
def clean(data):
    result = [tidy(v) for v in data]
    return result


@TaskGenerator
def fit(data):
    return smooth(data) + OFFSET


@TaskGenerator
def report(fits):
    return sum(fits)


loaded = [load(i) for i in range(3)]
cleaned = [clean(d) for d in loaded]
fits = [fit(d) for d in cleaned]
final = report(fits)
"""

HELPERS = """
def smooth(values):
    return sum(values) / len(values)
"""

ORIGINAL = os.environ.get("JUG_ORIGINAL_PYTHON", "/tmp/origjug/bin/python")
needs_original = pytest.mark.skipif(
    not os.path.exists(ORIGINAL), reason="the original jug is not installed here"
)


def code_table(stdout: str) -> dict[str, list[int]]:
    """The rows of the "code" table below `jug status`'s: name → [changed, unchanged,
    unknown]."""
    rows: dict[str, list[int]] = {}
    below = stdout.split("against the fingerprints recorded", 1)
    if len(below) < 2:
        return rows
    for line in below[1].splitlines():
        parts = line.split()
        if len(parts) == 4 and all(p.isdigit() for p in parts[:3]):
            rows[parts[3]] = [int(p) for p in parts[:3]]
    return rows


def status_json(project) -> dict:
    done = project.jug("status", "--json")
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def edit(project, name: str, old: str, new: str) -> None:
    path = project.path / name
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


@pytest.fixture
def hashed(project):
    project.write("jugfile.py", JUGFILE)
    project.write("helpers.py", HELPERS)
    done = project.jug("execute", "--code-hash")
    assert done.returncode == 0, done.stderr
    return project


def test_plain_status_does_not_compare(hashed):
    """Comparing reads every result's record: `jug status` does it when asked."""
    edit(hashed, "jugfile.py", "OFFSET = 1", "OFFSET = 2")
    plain = hashed.jug("status")
    assert plain.returncode == 0 and "Changed" not in plain.stdout
    assert parse_status_table(plain.stdout)["Total"] == [0, 0, 10, 0, 0, 0]
    cached = hashed.jug("status", "--cache", "--code-hash")
    cached = hashed.jug("status", "--cache", "--code-hash")  # now from the cache
    assert "Changed" not in cached.stdout and "--cache does not load" in cached.stderr
    # --json always compares (it reads the records anyway).
    assert {t["name"]: t["code"]["changed"] for t in status_json(hashed)["tasks"]} == {
        "jugfile.clean": 0,
        "jugfile.fit": 3,
        "jugfile.load": 0,
        "jugfile.report": 0,
    }


def test_nothing_changed_right_after_a_run(hashed):
    status = hashed.jug("status", "--code-hash")
    assert code_table(status.stdout) == {
        "jugfile.clean": [0, 3, 0],
        "jugfile.fit": [0, 3, 0],
        "jugfile.load": [0, 3, 0],
        "jugfile.report": [0, 1, 0],
        "Total": [0, 10, 0],
    }
    assert "changed since" not in status.stdout
    assert status.returncode == 0
    # One context per task function in the record log, each with its fingerprint.
    logs = list((hashed.path / "jugfile.jugdata" / "packs").glob("records.*.jsonl"))
    contexts = [
        json.loads(line)[1]
        for log in logs
        for line in log.read_text().splitlines()
        if isinstance(json.loads(line)[1], dict)
    ]
    assert len(contexts) == 4
    assert len({c["code"] for c in contexts}) == 4


def test_an_edited_body_shows_as_changed_for_that_name_only(hashed):
    edit(hashed, "jugfile.py", "return [i, i + 1, i + 2]", "return [i, i + 1, i + 3]")
    status = hashed.jug("status", "--code-hash")
    assert code_table(status.stdout)["jugfile.load"] == [3, 0, 0]
    assert {n: r[0] for n, r in code_table(status.stdout).items()} == {
        "jugfile.clean": 0,
        "jugfile.fit": 0,
        "jugfile.load": 3,
        "jugfile.report": 0,
        "Total": 3,
    }
    assert "3 result(s) computed by code that changed since" in status.stdout
    # Task hashes do not depend on code: every task is still finished.
    assert parse_status_table(status.stdout)["Total"] == [0, 0, 10, 0, 0, 0]
    doc = status_json(hashed)
    assert doc["version"] == 1 and doc["minor"] >= 1
    assert {t["name"]: t["code"] for t in doc["tasks"]}["jugfile.load"] == {
        "changed": 3,
        "unchanged": 0,
        "unknown": 0,
    }
    short = hashed.jug("status", "--short", "--code-hash")
    assert "Code changed since 3 result(s) were computed" in short.stdout


def test_a_helper_in_the_same_module_and_a_constant(hashed):
    edit(hashed, "jugfile.py", "return x * 2", "return x * 3")
    rows = code_table(hashed.jug("status", "--code-hash").stdout)
    assert rows["jugfile.clean"] == [3, 0, 0]  # calls tidy()
    assert rows["Total"][0] == 3
    edit(hashed, "jugfile.py", "return x * 3", "return x * 2")  # back as it was
    assert code_table(hashed.jug("status", "--code-hash").stdout)["Total"] == [0, 10, 0]
    edit(hashed, "jugfile.py", "OFFSET = 1", "OFFSET = 2")
    rows = code_table(hashed.jug("status", "--code-hash").stdout)
    assert rows["jugfile.fit"] == [3, 0, 0] and rows["Total"][0] == 3


def test_a_helper_in_a_module_beside_the_jugfile(hashed):
    edit(hashed, "helpers.py", "sum(values) / len(values)", "sum(values) / max(len(values), 1)")
    rows = code_table(hashed.jug("status", "--code-hash").stdout)
    assert rows["jugfile.fit"] == [3, 0, 0] and rows["Total"][0] == 3


def test_renaming_a_local_variable_is_no_change(hashed):
    edit(
        hashed,
        "jugfile.py",
        "result = [tidy(v) for v in data]\n    return result",
        "cleaned_values = [tidy(v) for v in data]\n    return cleaned_values",
    )
    edit(
        hashed,
        "jugfile.py",
        "def report(fits):\n    return sum(fits)",
        "def report(fits):\n    # adds them up\n    return sum(fits)",
    )
    assert code_table(hashed.jug("status", "--code-hash").stdout)["Total"] == [0, 10, 0]


def test_results_without_a_fingerprint_are_unknown(project):
    project.write("jugfile.py", JUGFILE)
    project.write("helpers.py", HELPERS)
    assert project.jug("execute", "--target", "load").returncode == 0  # without --code-hash
    status = project.jug("status", "--code-hash")
    assert code_table(status.stdout) == {}  # nothing fingerprinted: no code table at all
    assert [t["code"] for t in status_json(project)["tasks"]] == [None] * 4
    assert project.jug("execute", "--code-hash").returncode == 0
    edit(project, "jugfile.py", "return [i, i + 1, i + 2]", "return [i, i + 1, i + 3]")
    rows = code_table(project.jug("status", "--code-hash").stdout)
    assert rows["jugfile.load"] == [0, 0, 3]  # changed, but computed without a fingerprint
    assert rows["Total"] == [0, 7, 3]
    assert {t["name"]: t["code"] for t in status_json(project)["tasks"]}["jugfile.load"] == {
        "changed": 0,
        "unchanged": 0,
        "unknown": 3,
    }
    nothing = project.jug("invalidate", "--code-changed")
    assert nothing.returncode == 0
    assert "Nothing to invalidate" in nothing.stdout and "3 result(s) without" in nothing.stdout
    assert parse_status_table(project.jug("status", "--code-hash").stdout)["Total"][2] == 10


def test_invalidate_code_changed_removes_those_and_their_dependents(hashed):
    edit(hashed, "helpers.py", "sum(values) / len(values)", "max(values)")
    done = hashed.jug("invalidate", "--code-changed")
    assert done.returncode == 0, done.stderr
    assert "3 result(s) were computed by code that changed since" in done.stdout
    removed = {
        parts[1]: int(parts[0])
        for parts in map(str.split, done.stdout.splitlines())
        if len(parts) == 2 and parts[0].isdigit()
    }
    assert removed == {"jugfile.fit": 3, "jugfile.report": 1, "Total": 4}
    table = parse_status_table(hashed.jug("status", "--code-hash").stdout)
    assert table["jugfile.load"][2] == 3 and table["jugfile.clean"][2] == 3
    assert table["jugfile.fit"][1] == 3 and table["jugfile.report"][0] == 1
    again = hashed.jug("invalidate", "--code-changed")
    assert "Nothing to invalidate" in again.stdout
    rerun = hashed.jug("execute", "--code-hash")
    assert rerun.returncode == 0
    ran = {
        parts[2]: (int(parts[0]), int(parts[1]))
        for parts in map(str.split, rerun.stdout.splitlines())
        if len(parts) == 3 and parts[0].isdigit()
    }
    assert ran["jugfile.fit"] == (3, 0) and ran["jugfile.load"] == (0, 3)
    assert code_table(hashed.jug("status", "--code-hash").stdout)["Total"] == [0, 10, 0]


def test_invalidate_code_changed_with_a_target(hashed):
    edit(hashed, "jugfile.py", "return x * 2", "return x * 3")  # clean
    edit(hashed, "jugfile.py", "OFFSET = 1", "OFFSET = 2")  # fit
    done = hashed.jug("invalidate", "--code-changed", "--target", "fit")
    assert done.returncode == 0, done.stderr
    rows = code_table(hashed.jug("status", "--code-hash").stdout)
    assert rows["jugfile.clean"] == [3, 0, 0]  # not targeted: left as it was
    assert "jugfile.fit" not in rows and "jugfile.report" not in rows


def test_the_option_from_a_configuration_file_and_from_python(project):
    project.write("jugfile.py", JUGFILE)
    project.write("helpers.py", HELPERS)
    project.write(".jugrc", "[main]\ncode-hash = on\n")  # execute and status
    done = project.jug("execute", "--target", "load")
    assert done.returncode == 0 and "warning" not in done.stderr, done.stderr
    assert code_table(project.jug("status").stdout)["jugfile.load"] == [0, 3, 0]
    assert code_table(project.jug("status", "--no-code-hash").stdout) == {}
    assert project.jug("execute", "--no-code-hash", "--target", "clean").returncode == 0
    assert code_table(project.jug("status", "--code-hash").stdout)["jugfile.clean"] == [0, 0, 3]
    (project.path / ".jugrc").unlink()
    counts = project.python(
        """
        import json
        from jug.execution import execute
        from jug.execution.codehash import code_changes
        from jug.task import alltasks

        execute("jugfile.py", code_hash=True)
        changes = code_changes(alltasks, __import__("jug").task.Task.store)
        print(json.dumps({n: dict(c) for n, c in changes.counts.items()}))
        """
    )
    assert counts["jugfile.fit"] == {"same": 3, "changed": 0, "unknown": 0}
    assert counts["jugfile.clean"] == {"same": 0, "changed": 0, "unknown": 3}


def test_on_a_dict_store_file(project):
    project.write("jugfile.py", JUGFILE)
    project.write("helpers.py", HELPERS)
    jugdir = "dict_store:" + str(project.path / "results.pickle")
    assert project.jug("execute", "--code-hash", "--jugdir", jugdir).returncode == 0
    edit(project, "jugfile.py", "OFFSET = 1", "OFFSET = 2")
    rows = code_table(project.jug("status", "--code-hash", "--jugdir", jugdir).stdout)
    assert rows["jugfile.fit"] == [3, 0, 0] and rows["Total"] == [3, 7, 0]


def test_on_redis(project, redis_server):
    project.write("jugfile.py", JUGFILE)
    project.write("helpers.py", HELPERS)
    jugdir = redis_server.url
    assert project.jug("execute", "--code-hash", "--jugdir", jugdir).returncode == 0
    edit(project, "helpers.py", "sum(values) / len(values)", "max(values)")
    rows = code_table(project.jug("status", "--code-hash", "--jugdir", jugdir).stdout)
    assert rows["jugfile.fit"] == [3, 0, 0] and rows["Total"] == [3, 7, 0]
    done = project.jug("invalidate", "--code-changed", "--jugdir", jugdir)
    assert done.returncode == 0 and "3  jugfile.fit" in done.stdout, done.stdout + done.stderr
    table = parse_status_table(project.jug("status", "--jugdir", jugdir).stdout)
    assert table["Total"] == [1, 3, 6, 0, 0, 0]


@needs_original
def test_the_original_reads_a_project_run_with_code_hash(hashed):
    theirs = os.path.join(os.path.dirname(ORIGINAL), "jug")
    status = subprocess.run(
        [theirs, "status", "jugfile.py"],
        cwd=hashed.path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert status.returncode == 0, status.stdout + status.stderr
    assert "10" in status.stdout
    value = subprocess.run(
        [
            ORIGINAL,
            "-c",
            "import jug; _, ns = jug.init('jugfile.py', 'jugfile.jugdata'); "
            "print(jug.value(ns['final']))",
        ],
        cwd=hashed.path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert value.returncode == 0, value.stderr
    assert value.stdout.strip() == str(sum(2 * (3 * i + 3) / 3 + 1 for i in range(3)))
