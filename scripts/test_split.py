"""Install the distributions separately from their wheels and check each install works.

1. Build the wheels of all six distributions (``uv build --all-packages --wheel``) into a
   temporary directory (or use ``--dist DIR``).
2. *core only*: a fresh venv with jug-core from its wheel (plus pytest), nothing else.
   numpy, redis, yaml and IPython must be absent, and so must every other jug
   distribution; then ``tests/core`` runs against the installed wheel.
3. *core and backends*: a fresh venv with jug-core and jug-backends only (no command
   line, no contrib): two processes run one jugfile through ``jug.execution.execute`` on one
   file store at the same time, sharing the work: every task runs exactly once.
4. *everything*: a fresh venv with the meta package ``jug`` from the wheels (its
   third-party dependencies from the package index or uv's cache); ``jug --version``, then
   the demo jugfile (``examples/primes``) in a temporary copy: ``jug execute``,
   ``jug status`` and ``jug check``.

Usage: python scripts/test_split.py [--dist DIR] [--keep]
Exits 0 when every step passed; prints what failed otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Packages a jug-core-only install must not have (DESIGN §2).
FORBIDDEN_IN_CORE = ["numpy", "redis", "yaml", "IPython"]
# Other distributions' portions of the namespace, absent from a jug-core-only install.
OTHER_PORTIONS = ["jug.backends", "jug.subcommands", "jug.hooks", "jug.shell"]
# Third-party dependencies of the meta package, installed from the index (or uv's cache).
META_THIRD_PARTY = ["numpy>=1.24", "redis>=4.5", "pyyaml>=6", "ipython>=8"]


class StepFailed(Exception):
    pass


def find_uv() -> str:
    """uv from $JUG_UV (set by the Makefile), PATH, or the Makefile's .tools/ bootstrap."""
    for candidate in (os.environ.get("JUG_UV"), shutil.which("uv"), str(ROOT / ".tools/bin/uv")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise StepFailed("uv not found: run through `make test-split`, or put uv on PATH")


def clean_env() -> dict[str, str]:
    """The environment minus anything pointing at the development venv or the sources."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "CONDA_PREFIX"}
        and not k.startswith("PYTEST_")
    }
    env["PYTHONNOUSERSITE"] = "1"
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env["NO_COLOR"] = "1"
    return env


def run(cmd: list[str], *, cwd: Path | None = None, timeout: float = 300, code: int = 0) -> str:
    """Run *cmd*; return its combined output, or raise StepFailed showing it (unless it
    exits with *code*)."""
    shown = " ".join("'<code>'" if "\n" in str(c) else str(c) for c in cmd)
    print(f"$ {shown}", flush=True)
    try:
        proc = subprocess.run(
            [str(c) for c in cmd],
            cwd=cwd,
            env=clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise StepFailed(f"timed out after {timeout:.0f} s: {shown}") from exc
    if proc.returncode != code:
        raise StepFailed(f"exit code {proc.returncode}: {shown}\n{proc.stdout}")
    return proc.stdout


def base_python() -> str:
    """The interpreter to base the venvs on (the one running this, outside any venv)."""
    return getattr(sys, "_base_executable", None) or sys.executable


def build_wheels(uv: str, out: Path) -> Path:
    run([uv, "build", "--all-packages", "--wheel", "--quiet", "--out-dir", out], cwd=ROOT)
    return out


def wheel_version(dist: Path) -> str:
    wheels = sorted(dist.glob("jug_core-*.whl"))
    if len(wheels) != 1:
        raise StepFailed(f"expected one jug_core wheel in {dist}, found {[w.name for w in wheels]}")
    return wheels[0].name.split("-")[1]


def make_venv(uv: str, path: Path) -> Path:
    run([uv, "venv", "--quiet", "--python", base_python(), path])
    return path / "bin" / "python"


def check_core_only(uv: str, dist: Path, version: str, work: Path) -> None:
    """jug-core alone: no optional packages, no other portions, core tests pass."""
    print("\n== jug-core alone", flush=True)
    py = make_venv(uv, work / "venv-core")
    run([uv, "pip", "install", "--quiet", "--python", py, "pytest>=8", "hypothesis>=6"])
    run(
        [uv, "pip", "install", "--quiet", "--python", py, "--no-index", "--find-links", dist]
        + [f"jug-core=={version}"]
    )
    probe = (
        "import importlib.util as u, sys, jug\n"
        f"forbidden = {FORBIDDEN_IN_CORE + OTHER_PORTIONS!r}\n"
        "present = [m for m in forbidden if u.find_spec(m) is not None]\n"
        "loaded = [m for m in ('numpy', 'redis', 'yaml', 'IPython') if m in sys.modules]\n"
        "print('jug from', jug.__file__)\n"
        "print('present', present)\n"
        "print('loaded', loaded)\n"
    )
    out = run([py, "-c", probe])
    print(out, end="")
    if f"{work / 'venv-core'}" not in out.split("jug from", 1)[1].splitlines()[0]:
        raise StepFailed(f"jug was not imported from the jug-core wheel:\n{out}")
    if "present []" not in out or "loaded []" not in out:
        raise StepFailed(f"the jug-core-only venv has packages it must not have:\n{out}")
    out = run(
        [py, "-m", "pytest", "tests/core", "-q", "-p", "no:cacheprovider", "--no-header"],
        cwd=ROOT,
    )
    summary = out.strip().splitlines()[-1] if out.strip() else ""
    print(summary)
    if not re.search(r"\d+ passed", summary):
        raise StepFailed(f"tests/core ran no test in the jug-core-only venv:\n{out}")
    # The tests must have used the wheel, not the source tree.
    out = run([py, "-c", "import jug.task; print(jug.task.__file__)"], cwd=ROOT)
    if "venv-core" not in out:
        raise StepFailed(f"jug.task came from {out.strip()}, not from the wheel")


# A worker of check_core_and_backends: runs the jugfile with the Python API, and prints
# what it ran once every task is done.
_API_WORKER = """
import json, sys
from jug.execution import execute
result = execute(sys.argv[1], sys.argv[2])
print(json.dumps({"executed": dict(result.executed), "loaded": dict(result.loaded),
                  "end": result.end.value, "code": result.exit_code}))
"""


def check_core_and_backends(uv: str, dist: Path, version: str, work: Path) -> None:
    """jug-core and jug-backends alone: two processes share a jugfile's tasks through the
    Python API, each task runs exactly once."""
    print("\n== jug-core and jug-backends: jug.execution.execute in two processes", flush=True)
    py = make_venv(uv, work / "venv-engine")
    run(
        [uv, "pip", "install", "--quiet", "--python", py, "--no-index", "--find-links", dist]
        + [f"jug-core=={version}", f"jug-backends=={version}"]
    )
    probe = (
        "import importlib.util as u\n"
        "print([m for m in ('jug.subcommands', 'jug.hooks', 'jug.shell', 'yaml', 'numpy') "
        "if u.find_spec(m) is not None])\n"
    )
    out = run([py, "-c", probe])
    if out.strip() != "[]":
        raise StepFailed(f"the core+backends venv has more than those two: {out.strip()}")
    project = work / "engine"
    project.mkdir()
    # Each task marks every execution with a file of its own (O_EXCL: a second run of a
    # task in one process would fail); the tasks take a while so that both processes work.
    (project / "counting.py").write_text(
        "import os, time\n"
        "from jug import TaskGenerator\n"
        "HERE = os.path.dirname(os.path.abspath(__file__))\n"
        "@TaskGenerator\n"
        "def work(i):\n"
        "    os.close(os.open(os.path.join(HERE, 'marks', f'{i}-{os.getpid()}'),\n"
        "                     os.O_CREAT | os.O_EXCL))\n"
        "    time.sleep(0.02)\n"
        "    return i * i\n"
        "@TaskGenerator\n"
        "def total(xs):\n"
        "    return sum(xs)\n"
        "result = total([work(i) for i in range(60)])\n"
    )
    (project / "marks").mkdir()
    procs = [
        subprocess.Popen(
            [str(py), "-c", _API_WORKER, "counting.py", "counting.jugdata"],
            cwd=project,
            env=clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        if proc.returncode != 0:
            raise StepFailed(f"a worker failed ({proc.returncode}):\n{err}")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    for report in reports:
        print(report)
    marks = sorted(p.name.split("-")[0] for p in (project / "marks").iterdir())
    if sorted(marks, key=int) != [str(i) for i in range(60)]:
        raise StepFailed(f"tasks did not run exactly once each: {marks}")
    ran = [r["executed"].get("counting.work", 0) for r in reports]
    if sum(ran) != 60 or min(ran) == 0 or any(r["code"] != 0 for r in reports):
        raise StepFailed(f"the two processes did not share the work: {reports}")
    print(f"jug.execution.execute: 60 tasks, {ran[0]} + {ran[1]} in two processes, each once")


def check_meta(uv: str, dist: Path, version: str, work: Path) -> None:
    """The meta package: the jug command works and runs the demo jugfile."""
    print("\n== jug (meta package, everything)", flush=True)
    venv = work / "venv-all"
    py = make_venv(uv, venv)
    run([uv, "pip", "install", "--quiet", "--python", py, *META_THIRD_PARTY])
    run(
        [uv, "pip", "install", "--quiet", "--python", py, "--no-index", "--find-links", dist]
        + [f"jug=={version}"]
    )
    jug = venv / "bin" / "jug"
    out = run([jug, "--version"])
    print(out, end="")
    if version not in out:
        raise StepFailed(f"`jug --version` does not print {version}: {out!r}")
    example = work / "primes"
    shutil.copytree(
        ROOT / "examples" / "primes",
        example,
        ignore=shutil.ignore_patterns("*.jugdata", "__pycache__", "output.txt"),
    )
    jugfile = _demo_jugfile(example)
    out = run([jug, "status", jugfile.name], cwd=example, code=1)  # 1: work is left
    print(out, end="")
    t0 = time.perf_counter()
    out = run([jug, "execute", jugfile.name], cwd=example, timeout=600)
    print(out.strip().splitlines()[-1] if out.strip() else "(no output)")
    print(f"(jug execute took {time.perf_counter() - t0:.1f} s)")
    out = run([jug, "status", jugfile.name], cwd=example)
    print(out, end="")
    run([jug, "check", jugfile.name], cwd=example)
    print("jug check: all tasks done")


def _demo_jugfile(example: Path) -> Path:
    """The demo's jugfile: jugfile.py, else primes.py, else the only .py file."""
    for name in ("jugfile.py", "primes.py"):
        if (example / name).is_file():
            return example / name
    candidates = sorted(example.glob("*.py"))
    if len(candidates) != 1:
        raise StepFailed(f"cannot tell the demo jugfile among {[c.name for c in candidates]}")
    return candidates[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, help="use the wheels in DIR instead of building")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="jug-split-"))
    try:
        uv = find_uv()
        dist = args.dist.resolve() if args.dist else build_wheels(uv, work / "dist")
        version = wheel_version(dist)
        print(f"wheels of version {version} in {dist}")
        check_core_only(uv, dist, version, work)
        check_core_and_backends(uv, dist, version, work)
        check_meta(uv, dist, version, work)
    except StepFailed as exc:
        print(f"\ntest-split: FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\ntest-split: OK ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
