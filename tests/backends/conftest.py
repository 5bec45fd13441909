"""Fixtures for the store tests: every backend behind one ``store`` fixture, real processes."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from jug.backend_registry import open_store as open_jugdir
from jug.backends.dict_store import dict_store
from jug.backends.file_store import file_store
from jug.testing import store_contract

DATA = Path(__file__).parent / "data"
#: The original jug's interpreter, when installed on this machine (live compatibility tests).
ORIGINAL_PYTHON = Path(os.environ.get("JUG_ORIGINAL_PYTHON", "/tmp/origjug/bin/python"))


def key(name: str) -> str:
    """A task-hash-like key (40 hex characters) derived from *name*."""
    return hashlib.sha1(name.encode()).hexdigest()


@pytest.fixture
def make_key():
    return key


# The redis-protocol servers the redis store is tested against (see _redis_servers.py).
SERVER_KINDS = ["redis7", "valkey"]
BACKENDS = [
    "file",
    "dict",
    "dict_file",
    "memtest",
    *(pytest.param(kind, marks=pytest.mark.requires_redis) for kind in SERVER_KINDS),
]


def open_store(kind: str, tmp_path: Path, request: pytest.FixtureRequest | None = None):
    if kind == "file":
        return file_store(tmp_path / "store.jugdata")
    if kind == "dict":
        return dict_store()
    if kind == "dict_file":
        return dict_store(tmp_path / "store.pickle")
    if kind == "memtest":  # the third-party plugin of tests/plugins, through its entry point
        return open_jugdir(f"memtest:{tmp_path / 'store.sqlite'}")
    if kind in SERVER_KINDS:
        assert request is not None
        server = request.getfixturevalue(f"{kind}_server")
        server.flush()
        # Valkey runs the contract with a key prefix, Redis 7 with the original's bare keys.
        return open_jugdir(server.url + ("?prefix=contract" if kind == "valkey" else ""))
    raise ValueError(kind)


BUILTIN_BACKENDS = [b for b in BACKENDS if b != "memtest"]


@pytest.fixture(params=BUILTIN_BACKENDS)
def builtin_store(request, tmp_path):
    """A fresh, empty store of each kind jug-backends ships (not the plugin)."""
    s = open_store(request.param, tmp_path, request)
    yield s
    s.close()


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    """A fresh, empty store of each kind: file store, ``dict_store``, ``dict_store:FILE``,
    the memtest plugin, and the redis store on Redis 7 and on Valkey."""
    s = open_store(request.param, tmp_path, request)
    yield s
    s.close()


SHARED_BACKENDS = [
    "file",
    "memtest",
    *(pytest.param(kind, marks=pytest.mark.requires_redis) for kind in SERVER_KINDS),
]


@pytest.fixture(params=SHARED_BACKENDS)
def shared_store(request, tmp_path):
    """``(store, jugdir)`` for each backend that several processes can share."""
    s = open_store(request.param, tmp_path, request)
    jugdir = {
        "file": lambda: s.jugdir,
        "memtest": lambda: f"memtest:{s.path}",
    }.get(request.param, lambda: s.jugdir)()
    yield s, jugdir
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


def run_racers(
    tmp_path: Path, code: str, jugdir: str, keys: list[str], nprocs: int, timeout: float = 120
) -> list[Any]:
    """Start *nprocs* processes running *code* over *keys*; return what each printed (JSON).

    *code* gets ``jugdir``, the start file and the keys (comma-separated) as arguments and
    must wait for the start file. Half go through the keys forwards and half backwards, so
    they collide all along.
    """
    go = tmp_path / "go"
    procs = [
        spawn_python(code, jugdir, str(go), ",".join(keys[:: 1 if i % 2 else -1]))
        for i in range(nprocs)
    ]
    time.sleep(0.5)  # let them all import and wait on the start line
    go.write_text("go")
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    return results


@pytest.fixture
def racers(tmp_path):
    """``racers(code, jugdir, keys, nprocs)``: see run_racers (a start file in tmp_path)."""
    return lambda code, jugdir, keys, nprocs: run_racers(tmp_path, code, jugdir, keys, nprocs)


def race_for_locks(tmp_path: Path, jugdir: str, keys: list[str], nprocs: int) -> list[list[str]]:
    """Start *nprocs* processes that all try to take every key; return what each won."""
    return store_contract.race_for_locks(jugdir, keys, nprocs, str(tmp_path / "go"))


@pytest.fixture
def race(tmp_path):
    """``race(jugdir, keys, nprocs)``: see race_for_locks (a start file in tmp_path)."""
    return lambda jugdir, keys, nprocs: race_for_locks(tmp_path, jugdir, keys, nprocs)


RACE_BACKENDS = [
    "file",
    *(pytest.param(kind, marks=pytest.mark.requires_redis) for kind in SERVER_KINDS),
]


@pytest.fixture(params=RACE_BACKENDS)
def race_store(request, tmp_path):
    """``(store, jugdir)``: a file store, and redis stores on Redis 7 and Valkey."""
    s = open_store(request.param, tmp_path, request)
    yield s, str(s.jugdir)
    s.close()
