"""status: ``jug status`` over many tasks, with none run and with all run."""

from __future__ import annotations

import _floor
import _harness as h

TARGET = "≥ 4× faster than the original, ≤ 1.5× floor"


def run(ctx: h.Context) -> list[h.Row]:
    n = ctx.size(100_000, 2_000)
    args = ["status", "bench.py", "--jugdir", "bench.jugdata"]
    rows = []
    # On the tmpfs: filling 100,000 results on disk would take minutes of fsyncs, and a
    # listing of a cached directory costs the same on either.
    with ctx.scratch("status", tmpfs=True) as project:
        h.write_jugfile(project, n)
        # "--cache" as each implementation does it: a cache of the jugfile's task graph,
        # written by a first run (not timed), so that the jugfile is not run again.
        for case in ("none run", "all run", "all run, --cache"):
            if case == "all run":
                h.run([ctx.ours.jug, "execute", "bench.py", "--jugdir", "bench.jugdata"], project)
                if h.count_results(project / "bench.jugdata") != n:
                    raise RuntimeError("status: the jugdir is not complete")
            options = ["--cache"] if case.endswith("--cache") else []
            if options:
                for impl in ctx.impls:
                    h.run([impl.jug, *args, *options], project, check=False)
            row = h.Row("status", f"{n:,} tasks, {case}", TARGET)

            def sample(impl: h.Impl, r: int, options: list[str] = options) -> float:
                # status exits 1 while work is left (both implementations): no check.
                return h.run([impl.jug, *args, *options], project, check=False).seconds

            times = h.interleave(ctx, sample)
            jugdir = project / "bench.jugdata"
            floor = [ctx.startup_floor + _floor.status(n, jugdir) for _ in range(ctx.repeat)]
            h.fill(row, times, floor)
            speed, over = row.orig_over_ours, row.ours_over_floor
            row.judge(None if speed is None or over is None else speed >= 4 and over <= 1.5)
            if row.verdict == "MISS" and ctx.profile:
                row.profile = h.profile_command(ctx, [*args, *options], project)
            rows.append(row)
    return rows
