"""engine: ``jug execute`` of many trivial tasks on ``dict_store`` (the engine, no I/O)."""

from __future__ import annotations

import _floor
import _harness as h


def run(ctx: h.Context) -> list[h.Row]:
    n = ctx.size(100_000, 2_000)
    row = h.Row("engine", f"{n:,} trivial tasks, dict_store", "≥ 10× faster than the original")
    args = ["execute", "bench.py", "--jugdir", "dict_store"]

    def sample(impl: h.Impl, r: int) -> float:
        with ctx.scratch("engine") as project:
            h.write_jugfile(project, n)
            return h.run([impl.jug, *args], project).seconds

    times = h.interleave(ctx, sample)
    floor = [ctx.startup_floor + _floor.engine(n) for _ in range(ctx.repeat)]
    h.fill(row, times, floor)
    ratio = row.orig_over_ours
    row.judge(None if ratio is None else ratio >= 10)
    if row.verdict == "MISS" and ctx.profile:
        with ctx.scratch("engine-prof") as project:
            h.write_jugfile(project, n)
            row.profile = h.profile_command(ctx, args, project)
    return [row]
