"""What every scenario shares: the two implementations, timed runs, rows and verdicts.

A *sample* is one fresh run of one implementation. Scenarios interleave samples (ours,
original, ours, original, ...) so that a slow phase of a noisy machine hits both alike, and
report medians. Wall-clock times of commands include the process start, as a user sees it.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ORIG_VENV = HERE / ".venv-orig"
ORIG_VERSION = "2.7.0"
RESULTS = HERE / "results"

TRIVIAL_JUGFILE = """\
from jug import TaskGenerator


@TaskGenerator
def double(x):
    return 2 * x


results = [double(i) for i in range({n})]
"""


def find_uv() -> str | None:
    for candidate in (os.environ.get("JUG_UV"), shutil.which("uv"), str(ROOT / ".tools/bin/uv")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def clean_env() -> dict[str, str]:
    """The environment for every child: no venv leaking from make/uv into the other one.

    PYTHONDONTWRITEBYTECODE is dropped too: with it, every start recompiles whatever module
    changed since its .pyc was written, which an installed jug never does.
    """
    dropped = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["PYTHONNOUSERSITE"] = "1"
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


def ensure_original() -> Path:
    """The original's ``jug`` command, installing it into bench/.venv-orig if needed."""
    jug = ORIG_VENV / "bin" / "jug"
    if jug.exists() and any(ORIG_VENV.glob("lib/python*/site-packages/redis")):
        return jug
    uv = find_uv()
    if uv is None:
        raise RuntimeError("uv is needed to install the original jug (run through make bench)")
    base = getattr(sys, "_base_executable", None) or sys.executable
    print(f"installing the original jug {ORIG_VERSION} into {ORIG_VENV} ...", file=sys.stderr)
    for cmd in (
        [uv, "venv", "--quiet", "--clear", "--python", base, str(ORIG_VENV)],
        [uv, "pip", "install", "--quiet", "--python", str(ORIG_VENV / "bin" / "python")]
        # redis: the live compatibility tests also run the original against a redis server.
        + [f"jug=={ORIG_VERSION}", "numpy", "redis"],
    ):
        done = subprocess.run(cmd, env=clean_env(), capture_output=True, text=True)
        if done.returncode != 0:
            shutil.rmtree(ORIG_VENV, ignore_errors=True)
            raise RuntimeError(f"cannot install jug=={ORIG_VERSION}: {done.stderr.strip()}")
    return jug


@dataclass(frozen=True)
class Impl:
    """One implementation: its ``jug`` command and the python of its environment."""

    name: str  # "ours" or "original"
    jug: Path

    @property
    def python(self) -> Path:
        return self.jug.parent / "python"


def our_impl() -> Impl:
    jug = Path(sys.executable).parent / "jug"
    if not jug.exists():
        raise RuntimeError(f"no jug command at {jug}: run through `make bench` (make sync)")
    return Impl("ours", jug)


@dataclass
class Run:
    """One finished child process: wall-clock seconds, peak RSS, exit code, output."""

    seconds: float
    maxrss_mb: float
    returncode: int
    output: str


def run(
    cmd: list[str | Path],
    cwd: Path,
    check: bool = True,
    timeout: float = 600,
) -> Run:
    """Run *cmd*, timing it; its own peak RSS comes from ``wait4`` (per-child rusage)."""
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [str(c) for c in cmd],
            cwd=cwd,
            env=clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        rusage = _wait(proc, timeout)
        elapsed = time.perf_counter() - t0
        out.seek(0)
        text = out.read().decode(errors="replace")
    code = proc.returncode
    if check and code != 0:
        shown = " ".join(str(c) for c in cmd)
        raise RuntimeError(f"{shown} exited {code}:\n{text[-2000:]}")
    return Run(elapsed, rusage.ru_maxrss / 1024, code, text)


def _wait(proc: subprocess.Popen[bytes], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return rusage
        if time.monotonic() > deadline:
            proc.kill()
            _, status, rusage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            raise RuntimeError(f"{proc.args} took longer than {timeout:.0f} s: killed")
        time.sleep(0.002)


def python_snippet(python: Path, code: str, cwd: Path, timeout: float = 300) -> str:
    """Run *code* with *python*; return its last output line (the snippet's result)."""
    done = run([python, "-c", code], cwd, timeout=timeout)
    return done.output.strip().splitlines()[-1]


@dataclass
class Row:
    """One line of the results table."""

    scenario: str
    case: str
    target: str
    ours: float | None = None
    original: float | None = None
    floor: float | None = None
    unit: str = "s"
    verdict: str = "INFO"  # PASS, MISS or INFO (no target on this line)
    note: str = ""
    samples: dict[str, list[float]] = field(default_factory=dict)
    profile: str = ""

    def judge(self, ok: bool | None) -> None:
        self.verdict = "INFO" if ok is None else ("PASS" if ok else "MISS")

    @property
    def orig_over_ours(self) -> float | None:
        if self.ours and self.original:
            return self.original / self.ours
        return None

    @property
    def ours_over_floor(self) -> float | None:
        if self.ours and self.floor:
            return self.ours / self.floor
        return None


@dataclass
class Context:
    """What the scenarios get: implementations, sizes, scratch space."""

    ours: Impl
    original: Impl | None
    quick: bool
    repeat: int
    work: Path  # scratch directory on local disk
    shm: Path  # scratch directory on a tmpfs (or on disk if there is none)
    profile: bool = True
    startup_floor: float = 0.0  # median of `python -c pass`, measured once

    @property
    def impls(self) -> list[Impl]:
        return [self.ours] + ([self.original] if self.original else [])

    def size(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    @contextmanager
    def scratch(self, name: str, tmpfs: bool = False) -> Iterator[Path]:
        base = self.shm if tmpfs else self.work
        path = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=base))
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)


def interleave(
    ctx: Context,
    sample: Callable[[Impl, int], float],
    repeat: int | None = None,
) -> dict[str, list[float]]:
    """Call ``sample(impl, r)`` for ours and the original in turn, *repeat* rounds."""
    times: dict[str, list[float]] = {impl.name: [] for impl in ctx.impls}
    for r in range(repeat or ctx.repeat):
        # Alternate who goes first, so neither always runs on a cold or warm cache.
        order = ctx.impls if r % 2 == 0 else list(reversed(ctx.impls))
        for impl in order:
            times[impl.name].append(sample(impl, r))
    return times


def median(values: list[float] | None) -> float | None:
    return statistics.median(values) if values else None


def fill(row: Row, times: dict[str, list[float]], floor: float | list[float] | None) -> Row:
    """Put medians of *times* (and the floor) into *row*."""
    row.samples = {k: [round(v, 4) for v in vs] for k, vs in times.items()}
    row.ours = median(times.get("ours"))
    row.original = median(times.get("original"))
    if isinstance(floor, list):
        row.samples["floor"] = [round(v, 4) for v in floor]
        row.floor = median(floor)
    else:
        row.floor = floor
    return row


def write_jugfile(project: Path, n: int, name: str = "bench.py") -> Path:
    project.mkdir(parents=True, exist_ok=True)
    path = project / name
    path.write_text(TRIVIAL_JUGFILE.format(n=n))
    return path


def count_results(jugdir: Path) -> int:
    """Results in a file-store jugdir (two-letter shard directories)."""
    shards = [d for d in jugdir.iterdir() if d.is_dir() and len(d.name) == 2]
    return sum(1 for d in shards for e in os.listdir(d) if not e.startswith("."))


def profile_command(ctx: Context, args: list[str], cwd: Path, top: int = 15) -> str:
    """cProfile of our ``jug ARGS`` in *cwd*: the top entries by own time."""
    out = cwd / "bench.prof"
    run([sys.executable, "-m", "cProfile", "-o", out, "-m", "jug", *args], cwd, check=False)
    return top_entries(out, top)


def profile_code(code: str, cwd: Path, top: int = 15) -> str:
    """cProfile of a python snippet run with our python."""
    script = cwd / "bench_profiled.py"
    script.write_text(code)
    out = cwd / "bench.prof"
    run([sys.executable, "-m", "cProfile", "-o", out, script], cwd, check=False)
    return top_entries(out, top)


def top_entries(path: Path, top: int = 15) -> str:
    """The *top* entries of a cProfile output file, by own time."""
    import io
    import pstats

    if not path.exists():
        return "(no profile written)"
    buf = io.StringIO()
    stats = pstats.Stats(str(path), stream=buf)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    lines = buf.getvalue().splitlines()
    # Drop pstats' banner (file name, date) down to the totals line.
    start = next((i for i, line in enumerate(lines) if "function calls" in line), 0)
    return "\n".join(line.rstrip() for line in lines[start:] if line.strip())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
