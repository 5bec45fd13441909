"""Time jug against the original Jug 2.7.0 and against the physical floor.

Scenarios, on the file store, for a jugfile of N trivial tasks (``double(i)``):

* ``status (none run)``  — ``jug status`` on an empty jugdir;
* ``execute (1 worker)`` — ``jug execute`` computing all N tasks;
* ``status (all run)``   — ``jug status`` once every task is done;
* ``execute (all done)`` — ``jug execute`` with nothing left to do.

Each is run with this repository's jug (the development environment's ``jug`` command)
and with the original Jug 2.7.0, installed with uv into ``bench/.venv-orig`` on first use.
The *floor* column is what the machine needs at least: Python's start-up, plus for
execute N atomic file writes (temp file, fsync, rename), and for status one directory
listing of the jugdir.

Results: a Markdown table on stdout, and ``bench/results/bench-N.md`` / ``.json`` (plus
``latest.md`` / ``latest.json``).

Usage: python bench/run.py [--quick] [--tasks N] [--repeat R] [--no-orig]
  --quick   300 tasks, one repetition, and skip the original if it cannot be installed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ORIG_VENV = HERE / ".venv-orig"
ORIG_VERSION = "2.7.0"
RESULTS = HERE / "results"

JUGFILE = """\
from jug import TaskGenerator


@TaskGenerator
def double(x):
    return 2 * x


results = [double(i) for i in range({n})]
"""

SCENARIOS = [
    ("status (none run)", "status", False),
    ("execute (1 worker)", "execute", True),
    ("status (all run)", "status", False),
    ("execute (all done)", "execute", False),
]


def find_uv() -> str | None:
    for candidate in (os.environ.get("JUG_UV"), shutil.which("uv"), str(ROOT / ".tools/bin/uv")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
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
        done = subprocess.run(cmd, env=_env(), capture_output=True, text=True)
        if done.returncode != 0:
            shutil.rmtree(ORIG_VENV, ignore_errors=True)
            raise RuntimeError(f"cannot install jug=={ORIG_VERSION}: {done.stderr.strip()}")
    return jug


def our_jug() -> Path:
    jug = Path(sys.executable).parent / "jug"
    if not jug.exists():
        raise RuntimeError(f"no jug command at {jug}: run through `make bench` (make sync)")
    return jug


def timed(cmd: list[str], cwd: Path, check: bool) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(
        cmd, cwd=cwd, env=_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - t0
    if check and done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} exited {done.returncode}:\n{(done.stdout + done.stderr)[-2000:]}"
        )
    return elapsed


def bench_implementation(jug: Path, n: int, repeat: int, work: Path) -> dict[str, float]:
    """Median wall-clock seconds of each scenario for one implementation."""
    times: dict[str, list[float]] = {label: [] for label, _, _ in SCENARIOS}
    for r in range(repeat):
        project = work / f"{jug.parent.parent.name}-{r}"
        project.mkdir(parents=True)
        (project / "bench.py").write_text(JUGFILE.format(n=n))
        for label, command, _ in SCENARIOS:
            # The original's status exits with the number of finished tasks: don't check it.
            check = command == "execute"
            cmd = [str(jug), command, "bench.py", "--jugdir", "bench.jugdata"]
            times[label].append(timed(cmd, project, check))
        jugdata = project / "bench.jugdata"
        shards = [d for d in jugdata.iterdir() if d.is_dir() and len(d.name) == 2]
        stored = sum(len(os.listdir(d)) for d in shards)
        if stored != n:
            raise RuntimeError(f"{jug}: {stored} results stored, expected {n}")
        shutil.rmtree(project)
    return {label: statistics.median(ts) for label, ts in times.items()}


def floor(n: int, work: Path) -> dict[str, float]:
    """Start-up plus the unavoidable file-system work of each scenario."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    startup = time.perf_counter() - t0
    d = work / "floor"
    d.mkdir()
    t0 = time.perf_counter()
    for i in range(n):
        key = f"{i:040x}"
        shard = d / key[:2]
        shard.mkdir(exist_ok=True)
        tmp = shard / f".{key[2:]}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(b"x" * 16)
            fh.flush()
            os.fsync(fh.fileno())
        os.rename(tmp, shard / key[2:])
    writes = time.perf_counter() - t0
    t0 = time.perf_counter()
    listed = sum(len(os.listdir(s)) for s in d.iterdir())
    listing = time.perf_counter() - t0
    assert listed == n
    return {
        "status (none run)": startup,
        "execute (1 worker)": startup + writes,
        "status (all run)": startup + listing,
        "execute (all done)": startup + listing,
    }


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
    }


def table(
    n: int, ours: dict[str, float], orig: dict[str, float] | None, fl: dict[str, float]
) -> str:
    head = f"| {n:,} trivial tasks, file store | jug (this) | Jug {ORIG_VERSION} | ratio (orig / this) | floor |"
    lines = [head, "|---|---:|---:|---:|---:|"]
    for label, _, _ in SCENARIOS:
        o = orig[label] if orig else None
        ratio = f"{o / ours[label]:.1f}×" if o else "—"
        lines.append(
            f"| {label} | {ours[label]:.2f} s | "
            + (f"{o:.2f} s" if o else "not run")
            + f" | {ratio} | {fl[label]:.2f} s |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 tasks, skip what fails")
    parser.add_argument("--tasks", type=int, help="number of tasks (default 10,000; quick 300)")
    parser.add_argument("--repeat", type=int, help="repetitions, median taken (default 3; quick 1)")
    parser.add_argument("--no-orig", action="store_true", help="do not run the original")
    parser.add_argument(
        "--install-original",
        action="store_true",
        help="only install the original into bench/.venv-orig and print its python",
    )
    args = parser.parse_args(argv)
    if args.install_original:
        print(ensure_original().parent / "python")
        return 0
    n = args.tasks or (300 if args.quick else 10_000)
    repeat = args.repeat or (1 if args.quick else 3)

    orig_jug: Path | None = None
    if not args.no_orig:
        try:
            orig_jug = ensure_original()
        except RuntimeError as exc:
            if not args.quick:
                print(f"bench: {exc}\n(use --no-orig to skip the original)", file=sys.stderr)
                return 1
            print(f"bench: skipping the original: {exc}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="jug-bench-") as tmp:
        work = Path(tmp)
        ours = bench_implementation(our_jug(), n, repeat, work)
        orig = bench_implementation(orig_jug, n, repeat, work) if orig_jug else None
        fl = floor(n, work)
    info = machine()
    md = table(n, ours, orig, fl)
    md += (
        f"\n\nMedian of {repeat} run(s), wall-clock seconds including start-up. Machine: "
        f"{info['cpu']}, {info['cores']} cores, {info['os']}, Python {info['python']}, "
        f"{info['date']}."
    )
    print(md)
    RESULTS.mkdir(exist_ok=True)
    record = {
        "tasks": n,
        "repeat": repeat,
        "machine": info,
        "jug": ours,
        "original": orig,
        "floor": fl,
    }
    for name in (f"bench-{n}", "latest"):
        (RESULTS / f"{name}.md").write_text(md + "\n")
        (RESULTS / f"{name}.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
