"""Time jug against the original Jug 2.7.0 and against the floor, scenario by scenario.

The scenarios (issue 6) live in ``bench/scenarios``; the shared machinery in
``bench/_harness.py``; the floors (plain loops doing only the unavoidable work) in
``bench/_floor.py``. Each scenario runs ours and the original interleaved, with fresh state
per run, and reports medians, the ratios original/ours and ours/floor, and PASS or MISS
against its target (with a cProfile of ours where it misses). Results: a Markdown table on
stdout and in ``bench/results/latest.md``, all numbers in ``bench/results/latest.json``
(also saved under a dated name).

Usage: python bench/run.py [--quick] [--repeat R] [--no-orig] [--only NAME ...]
  --quick   small sizes, one repetition (seconds; CI runs it to keep the harness working).
Timings never make the command fail: it reports.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h  # noqa: E402
from scenarios import ALL  # noqa: E402


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "load": load,
    }


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value:.0f} MB" if unit == "MB" else f"{value:.3f} s"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def table(rows: list[h.Row]) -> str:
    lines = [
        f"| scenario | case | jug (this) | Jug {h.ORIG_VERSION} | floor | orig / this "
        "| this / floor | target | result |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        note = f" ({r.note})" if r.note else ""
        lines.append(
            f"| {r.scenario} | {r.case}{note} | {_num(r.ours, r.unit)} | "
            f"{_num(r.original, r.unit)} | {_num(r.floor, r.unit)} | {_ratio(r.orig_over_ours)} | "
            f"{_ratio(r.ours_over_floor)} | {r.target} | {r.verdict} |"
        )
    return "\n".join(lines)


def profiles(rows: list[h.Row]) -> str:
    parts = []
    for r in rows:
        if r.profile:
            parts.append(f"### MISS: {r.scenario}, {r.case}\n\n```text\n{r.profile}\n```")
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repetition")
    parser.add_argument("--repeat", type=int, help="runs per implementation (default 3; quick 1)")
    parser.add_argument("--no-orig", action="store_true", help="do not run the original")
    parser.add_argument("--no-profile", action="store_true", help="no cProfile on a MISS")
    parser.add_argument("--only", nargs="+", choices=sorted(ALL), help="these scenarios only")
    parser.add_argument(
        "--install-original",
        action="store_true",
        help="only install the original into bench/.venv-orig and print its python",
    )
    args = parser.parse_args(argv)
    if args.install_original:
        print(h.ensure_original().parent / "python")
        return 0
    repeat = args.repeat or (1 if args.quick else 3)

    original: h.Impl | None = None
    if not args.no_orig:
        try:
            original = h.Impl("original", h.ensure_original())
        except RuntimeError as exc:
            if not args.quick:
                print(f"bench: {exc}\n(use --no-orig to skip the original)", file=sys.stderr)
                return 1
            print(f"bench: skipping the original: {exc}", file=sys.stderr)

    shm_base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    names = args.only or list(ALL)
    rows: list[h.Row] = []
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="jug-bench-") as tmp,
        tempfile.TemporaryDirectory(prefix="jug-bench-", dir=shm_base) as shm,
    ):
        ours = h.our_impl()
        work = Path(tmp)
        # Byte-compile our sources (an installed jug has its .pyc files; the original's do).
        sources = [str(p) for p in h.ROOT.glob("packages/*/src")]
        h.run([ours.python, "-m", "compileall", "-q", *sources], work, check=False)
        startup = [h.run([ours.python, "-c", "pass"], work).seconds for _ in range(5)]
        ctx = h.Context(
            ours=ours,
            original=original,
            quick=args.quick,
            repeat=repeat,
            work=work,
            shm=Path(shm),
            profile=not args.no_profile,
            startup_floor=statistics.median(startup),
        )
        for name in names:
            t0 = time.perf_counter()
            try:
                got = ALL[name](ctx)
            except Exception as exc:  # one broken scenario must not hide the others
                got = [
                    h.Row(name, "failed", "", verdict="ERROR", note=f"{type(exc).__name__}: {exc}")
                ]
            for row in got:
                print(
                    f"{row.verdict:5} {row.scenario:18} {row.case}: this {_num(row.ours, row.unit)}, "
                    f"original {_num(row.original, row.unit)}, floor {_num(row.floor, row.unit)}, "
                    f"orig/this {_ratio(row.orig_over_ours)}, this/floor {_ratio(row.ours_over_floor)}"
                    + (f"; {row.note}" if row.note else "")
                    + (f"  [target: {row.target}]" if row.target else ""),
                    flush=True,
                )
                if row.profile:
                    print("      profile of this jug (top by own time):")
                    print("\n".join("      " + line for line in row.profile.splitlines()))
            print(f"      ({name}: {time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
            rows.extend(got)
    info = machine()
    total = time.perf_counter() - started
    md = table(rows)
    md += (
        f"\n\nMedians of {repeat} run(s) per implementation, interleaved; wall-clock seconds "
        f"including process start. Machine: {info['cpu']}, {info['cores']} cores, {info['os']}, "
        f"Python {info['python']}, {info['date']}, load average {info['load']} at the end. "
        f"Whole run: {total:.0f} s."
    )
    prof = profiles(rows)
    if prof:
        md += "\n\n" + prof
    print()
    print(md)
    missed = [f"{r.scenario} ({r.case})" for r in rows if r.verdict in {"MISS", "ERROR"}]
    if missed:
        print("\ntargets missed: " + "; ".join(missed))
    h.RESULTS.mkdir(exist_ok=True)
    record = {
        "quick": args.quick,
        "repeat": repeat,
        "machine": info,
        "seconds": round(total, 1),
        "startup_floor": ctx.startup_floor,
        "rows": [
            {
                "scenario": r.scenario,
                "case": r.case,
                "unit": r.unit,
                "ours": r.ours,
                "original": r.original,
                "floor": r.floor,
                "original_over_ours": r.orig_over_ours,
                "ours_over_floor": r.ours_over_floor,
                "target": r.target,
                "verdict": r.verdict,
                "note": r.note,
                "samples": r.samples,
                "profile": r.profile,
            }
            for r in rows
        ],
    }
    stamp = ("quick-" if args.quick else "full-") + time.strftime("%Y%m%d-%H%M%S")
    for name in (stamp, "latest-quick" if args.quick else "latest"):
        (h.RESULTS / f"{name}.md").write_text(md + "\n")
        (h.RESULTS / f"{name}.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
