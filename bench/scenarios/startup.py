"""startup: ``jug --version`` and ``jug status`` on a 1-task jugfile against bare python."""

from __future__ import annotations

import _harness as h


def run(ctx: h.Context) -> list[h.Row]:
    rows = []
    repeat = max(ctx.repeat * 3, 3)
    for case, args in (
        ("`jug --version`", ["--version"]),
        ("`jug status`, 1-task jugfile", ["status", "bench.py", "--jugdir", "bench.jugdata"]),
    ):
        row = h.Row("startup", case, "≤ `python -c pass` + 50 ms")
        with ctx.scratch("startup") as project:
            h.write_jugfile(project, 1)

            def sample(impl: h.Impl, r: int, args: list[str] = args) -> float:
                return h.run([impl.jug, *args], project, check=False).seconds

            times = h.interleave(ctx, sample, repeat=repeat)
            floor = [h.run([ctx.ours.python, "-c", "pass"], project).seconds for _ in range(repeat)]
            h.fill(row, times, floor)
            assert row.ours is not None and row.floor is not None
            row.note = f"+{(row.ours - row.floor) * 1000:.0f} ms over bare python"
            row.judge(row.ours <= row.floor + 0.050)
            if row.verdict == "MISS" and ctx.profile:
                row.profile = h.profile_command(ctx, args, project)
        rows.append(row)
    return rows
