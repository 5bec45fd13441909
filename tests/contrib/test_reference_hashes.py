"""Task hashes of jug.mapreduce, jug.utils and jug.io equal Jug 2.7's for the same jugfiles.

The reference jugfiles are tests/contrib/data/reference/*.py; the hashes Jug 2.7 gave them
(every task, and the objects listed in each file's ``__check__``) were computed with
tests/contrib/data/make_reference.py and committed as reference_hashes.json.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
REFERENCE = json.loads((DATA / "reference_hashes.json").read_text())
ORIGINAL = Path(os.environ.get("JUG_ORIGINAL_PYTHON", "/tmp/origjug/bin/python"))


def _probe(jugfile: Path) -> dict:
    spec = importlib.util.spec_from_file_location("make_reference", DATA / "make_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result: dict = module.probe(sys.executable, jugfile)
    return result


# Jug 2.x named the placeholder of a not-yet-run compound task after its internal
# function; ours carries the compound's own name. The hash is the same.
_RENAMED = {"jug.compound.compound_task_execute": "jug.mapreduce.mapreduce"}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_hashes_match_jug_2_7(name):
    ours = _probe(DATA / "reference" / name)
    expected = REFERENCE[name]
    expected_tasks = [[_RENAMED.get(n, n), h] for n, h in expected["tasks"]]
    assert len(ours["tasks"]) == len(expected_tasks)
    for i, (got, want) in enumerate(zip(ours["tasks"], expected_tasks, strict=True)):
        assert got == want, f"task #{i} of {name}"
    for key, want in expected["objects"].items():
        assert ours["objects"][key] == want, f"{key} in {name}"


def test_reference_data_covers_the_contrib_task_names():
    names = {n for data in REFERENCE.values() for n, _ in data["tasks"]}
    for expected in [
        "jug.mapreduce._jug_map",
        "jug.mapreduce._jug_map_curry",
        "jug.mapreduce._jug_map_reduce",
        "jug.mapreduce._jug_reduce",
        "identity",
        "jug.utils.jug_execute",
        "jug.utils.glob_sort",
        "jug.io._do_write_task_out",
    ]:
        assert expected in names


@pytest.mark.skipif(not ORIGINAL.exists(), reason="the original Jug 2.7 is not installed here")
def test_results_computed_by_jug_2_7_are_found(tmp_path, project, parse_status):
    """Live: Jug 2.7 executes the word count; this jug finds every result and its value."""
    shutil.copy(DATA / "reference" / "wordcount.py", project.path / "jugfile.py")
    done = subprocess.run(
        [str(ORIGINAL.parent / "jug"), "execute", "--will-cite", "jugfile.py"],
        cwd=project.path,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    status = project.jug("status")
    assert status.returncode == 0, status.stderr
    rows = parse_status(status.stdout)
    assert rows["Total"][0:2] == [0, 0] and rows["Total"][2] > 0, status.stdout
    counts = project.python(
        """
        import json, jug
        _, ns = jug.init("jugfile.py")
        print(json.dumps([dict(jug.value(ns["plain"])), dict(jug.value(ns["compound"]))]))
        """
    )
    expected = {"banana": 4, "apple": 6, "pear": 3, "football": 2, "waldorf": 1, "salad": 1}
    assert counts == [expected, expected]
