"""memory: one worker runs many tasks each returning a 1 MB array; peak RSS must stay flat."""

from __future__ import annotations

import _harness as h

JUGFILE = """\
import numpy as np

from jug import TaskGenerator


@TaskGenerator
def block(i):
    return np.full(131072, float(i))  # 1 MB of float64


results = [block(i) for i in range({n})]
"""


def run(ctx: h.Context) -> list[h.Row]:
    big = ctx.size(2_000, 100)
    small = big // 4
    rows: dict[int, h.Row] = {}
    peaks: dict[int, dict[str, list[float]]] = {}
    for n in (small, big):

        def sample(impl: h.Impl, r: int, n: int = n) -> float:
            # tmpfs: 2 GB of fsynced writes on disk would time the disk, not the memory.
            with ctx.scratch("memory", tmpfs=True) as project:
                (project / "bench.py").write_text(JUGFILE.format(n=n))
                done = h.run(
                    [impl.jug, "execute", "bench.py", "--jugdir", "bench.jugdata"], project
                )
                if h.count_results(project / "bench.jugdata") != n:
                    raise RuntimeError(f"memory {impl.name}: results missing")
                return done.maxrss_mb

        peaks[n] = h.interleave(ctx, sample, repeat=1)
        rows[n] = h.fill(
            h.Row(
                "memory",
                f"peak RSS, {n:,} tasks × 1 MB",
                "flat as tasks grow, ≤ ¼ of the original's" if n == big else "",
                unit="MB",
            ),
            peaks[n],
            None,
        )
    row = rows[big]
    small_ours = rows[small].ours or 0.0
    assert row.ours is not None
    # Flat: quadrupling the tasks adds less than 10 % (plus 10 MB of slack for noise).
    flat = row.ours <= small_ours * 1.10 + 10
    quarter = None if row.original is None else row.ours <= row.original / 4
    row.note = f"{small:,} → {big:,} tasks: {small_ours:.0f} → {row.ours:.0f} MB"
    if rows[big].original and rows[small].original:
        row.note += f" (original {rows[small].original:.0f} → {rows[big].original:.0f} MB)"
    row.judge(flat and (quarter is None or quarter))
    return [rows[small], row]
