"""polars DataFrames in the file store: saved as parquet files, as the original saves them,
and read by either implementation (polars is an optional extra: ``jug-backends[polars]``).

The original is given the test environment's polars (its venv has none) through
``PYTHONPATH`` pointing at a directory that holds only polars' packages.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from jug.backends.dict_store import dict_store
from jug.backends.file_store import file_store

pl = pytest.importorskip("polars")  # in the dev dependency group, so present in CI

JUGFILE = """
import polars as pl
from jug import TaskGenerator

@TaskGenerator
def frame(n):
    return pl.DataFrame({"i": list(range(n)), "sq": [i * i for i in range(n)], "s": ["x"] * n})

@TaskGenerator
def total(df):
    return int(df["sq"].sum())

f = frame(5)
t = total(f)
"""

SHOW = """
import json
import jug
jug.init("jugfile.py", "jugfile.jugdata")
import jugfile
df = jug.value(jugfile.f)
print(json.dumps({"type": type(df).__name__, "rows": df.to_dicts(), "total": jug.value(jugfile.t)}))
"""

EXPECTED = {
    "type": "DataFrame",
    "rows": [{"i": i, "sq": i * i, "s": "x"} for i in range(5)],
    "total": 30,
}


@pytest.fixture
def polars_path(tmp_path_factory):
    """A directory holding (links to) polars and its runtime, for the original's PYTHONPATH."""
    site = os.path.dirname(os.path.dirname(pl.__file__))
    where = tmp_path_factory.mktemp("polars-only")
    for name in os.listdir(site):
        if name.lower().startswith(("polars", "_polars")):
            os.symlink(os.path.join(site, name), where / name)
    return str(where)


def _result_file(project) -> bytes:
    jugdir = project.path / "jugfile.jugdata"
    files = [p for d in jugdir.iterdir() if len(d.name) == 2 for p in d.iterdir()]
    return b"".join(p.read_bytes()[:4] for p in files)


def test_dataframes_are_parquet_files(tmp_path):
    df = pl.DataFrame({"a": [1, 2], "b": [0.5, 1.5]})
    store = file_store(str(tmp_path / "j"))
    store.dump(df, "a" * 40)
    with open(store._getfname("a" * 40), "rb") as f:
        assert f.read(4) == b"PAR1"
    assert store.load("a" * 40).equals(df)
    squeezed = file_store(str(tmp_path / "k"), compress_numpy=True)  # pickled then, as there
    squeezed.dump(df, "a" * 40)
    with open(squeezed._getfname("a" * 40), "rb") as f:
        assert f.read(1) == b"x"  # a zlib stream
    assert squeezed.load("a" * 40).equals(df)
    memory = dict_store()
    memory.dump(df, "a" * 40)
    assert memory.load("a" * 40).equals(df)


def test_the_original_reads_our_dataframes(project, original, polars_path):
    project.write("jugfile.py", JUGFILE)
    done = project.jug("execute")
    assert done.returncode == 0, done.stderr
    assert b"PAR1" in _result_file(project)
    theirs = original.run(SHOW, cwd=project.path, env={"PYTHONPATH": polars_path})
    assert theirs.returncode == 0, theirs.stderr
    assert json.loads(theirs.stdout.strip().splitlines()[-1]) == EXPECTED


def test_we_read_the_originals_dataframes(project, original, polars_path):
    project.write("jugfile.py", JUGFILE)
    done = original.jug("execute", "jugfile.py", cwd=project.path, env={"PYTHONPATH": polars_path})
    assert done.returncode == 0, done.stderr
    assert b"PAR1" in _result_file(project)
    assert project.python(SHOW) == EXPECTED
    assert project.jug("check").returncode == 0


def test_without_polars_a_parquet_result_says_what_to_install(project):
    project.write("jugfile.py", JUGFILE)
    assert project.jug("execute").returncode == 0
    code = """
import sys
sys.modules["polars"] = None  # as if polars were not installed
from jug.backends.file_store import file_store
from jug.errors import MissingPartError
store = file_store("jugfile.jugdata")
keys = sorted(store.list())
for key in keys:
    try:
        store.load(key)
    except MissingPartError as exc:
        print("missing:", exc)
"""
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=project.path,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "missing: this result is a polars DataFrame saved as parquet; install polars to load "
        "it (pip install 'jug-backends[polars]')"
    )
