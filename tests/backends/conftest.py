"""Fixtures for the store tests: every backend behind one ``store`` fixture, real processes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from jug.backends.dict_store import dict_store
from jug.backends.file_store import file_store

DATA = Path(__file__).parent / "data"
#: The original jug's interpreter, when installed on this machine (live compatibility tests).
ORIGINAL_PYTHON = Path(os.environ.get("JUG_ORIGINAL_PYTHON", "/tmp/origjug/bin/python"))


def key(name: str) -> str:
    """A task-hash-like key (40 hex characters) derived from *name*."""
    return hashlib.sha1(name.encode()).hexdigest()


@pytest.fixture
def make_key():
    return key


BACKENDS = ["file", "dict", "dict_file"]


def open_store(kind: str, tmp_path: Path):
    if kind == "file":
        return file_store(tmp_path / "store.jugdata")
    if kind == "dict":
        return dict_store()
    if kind == "dict_file":
        return dict_store(tmp_path / "store.pickle")
    raise ValueError(kind)


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    """A fresh, empty store of each kind: file store, ``dict_store``, ``dict_store:FILE``."""
    s = open_store(request.param, tmp_path)
    yield s
    s.close()


@pytest.fixture
def fstore(tmp_path):
    """A fresh file store."""
    return file_store(tmp_path / "store.jugdata")


def run_python(
    code: str,
    *args: str,
    python: str | os.PathLike[str] = sys.executable,
    timeout: float = 120,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run *code* in a new interpreter with *args* as ``sys.argv[1:]``."""
    proc = subprocess.run(
        [os.fspath(python), "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"subprocess failed ({proc.returncode}):\n{proc.stderr}")
    return proc


@pytest.fixture
def python_run():
    return run_python


def spawn_python(code: str, *args: str) -> subprocess.Popen[str]:
    """Start *code* in a new interpreter (stdout/stderr captured as text)."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def python_spawn():
    return spawn_python
