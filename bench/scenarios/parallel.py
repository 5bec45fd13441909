"""parallel: 200 tasks of 50 ms sleep, 1/2/4/8 workers started together on the file store."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import _harness as h

JUGFILE = """\
import time

from jug import TaskGenerator


@TaskGenerator
def nap(i):
    time.sleep({pause})
    return i


results = [nap(i) for i in range({n})]
"""


def run(ctx: h.Context) -> list[h.Row]:
    n = ctx.size(200, 24)
    pause = 0.05
    rows = []
    for workers in (1, 2, 4, 8):
        ideal = n * pause / workers
        row = h.Row(
            "parallel",
            f"{n} × {pause * 1000:.0f} ms, {workers} worker(s)",
            "≥ 85 % of ideal at 8 workers" if workers == 8 else "",
        )

        def sample(
            impl: h.Impl, r: int, workers: int = workers, row: h.Row = row, profiled: bool = False
        ) -> float:
            with ctx.scratch("parallel") as project:
                (project / "bench.py").write_text(JUGFILE.format(n=n, pause=pause))
                cmd = [str(impl.jug), "execute", "bench.py", "--jugdir", "bench.jugdata"]
                # Profiling: the first worker runs under cProfile, the others as usual.
                prof = [sys.executable, "-m", "cProfile", "-o", str(project / "bench.prof")]
                prof += ["-m", "jug", *cmd[1:]]
                os.sync()  # a settled disk: earlier samples' files written out first
                t0 = time.perf_counter()
                procs = [
                    subprocess.Popen(
                        prof if profiled and k == 0 else cmd,
                        cwd=project,
                        env=h.clean_env(),
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                    for k in range(workers)
                ]
                codes = [p.wait(300) for p in procs]
                elapsed = time.perf_counter() - t0
                if any(codes) or h.count_results(project / "bench.jugdata") != n:
                    raise RuntimeError(f"parallel {impl.name}: exit codes {codes}")
                if profiled:
                    row.profile = h.top_entries(project / "bench.prof")
                return elapsed

        # The 1- and 2-worker cases are long and predictable: fewer rounds. The judged
        # 8-worker case is short and noisy (eight processes start on few cores): more.
        if workers <= 2:
            rounds = max(1, min(ctx.repeat, 2))
        else:
            rounds = max(ctx.repeat, 5) if workers == 8 else ctx.repeat
        times = h.interleave(ctx, sample, repeat=rounds)
        h.fill(row, times, ctx.startup_floor + ideal)
        assert row.ours is not None
        eff = ideal / row.ours
        orig_eff = f", original {ideal / row.original:.0%}" if row.original else ""
        row.note = f"efficiency {eff:.0%} of ideal ({ideal:.2f} s){orig_eff}"
        row.judge(eff >= 0.85 if workers == 8 else None)
        if row.verdict == "MISS" and ctx.profile:
            sample(ctx.ours, 0, profiled=True)
        rows.append(row)
    return rows
