"""execute-file, execute-file-tmpfs, execute-redis, execute-signed and rerun: trivial tasks on
real stores."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import _floor
import _harness as h


def _execute_row(
    ctx: h.Context, scenario: str, case: str, target: str, tmpfs: bool
) -> tuple[h.Row, int]:
    n = ctx.size(10_000, 200)
    row = h.Row(scenario, case.format(n=n), target)

    floor: list[float] = []

    def sample(impl: h.Impl, r: int) -> float:
        with ctx.scratch(scenario, tmpfs) as project:
            h.write_jugfile(project, n)
            # Each sample starts on a settled disk: the previous one's files (and their
            # deletion) are written out first, not while this one fsyncs.
            os.sync()
            seconds = h.run([impl.jug, "execute", "bench.py", "--jugdir", "bench.jugdata"], project)
            stored = h.count_results(project / "bench.jugdata")
            if stored != n:
                raise RuntimeError(f"{impl.name}: {stored} results stored, expected {n}")
        if impl is ctx.ours:
            # The floor right after ours: a disk's fsync latency drifts from minute to
            # minute (by a factor of 1.5 on this machine), and the row compares the two.
            with ctx.scratch(scenario + "-floor", tmpfs) as d:
                os.sync()
                floor.append(ctx.startup_floor + _floor.file_execute(n, d / "jugdata"))
        return seconds.seconds

    times = h.interleave(ctx, sample)
    h.fill(row, times, floor)
    return row, n


def _profile_execute(ctx: h.Context, row: h.Row, n: int, tmpfs: bool, jugdir: str = "") -> None:
    if row.verdict != "MISS" or not ctx.profile:
        return
    with ctx.scratch("prof", tmpfs) as project:
        h.write_jugfile(project, n)
        row.profile = h.profile_command(
            ctx, ["execute", "bench.py", "--jugdir", jugdir or "bench.jugdata"], project
        )


def run_file(ctx: h.Context) -> list[h.Row]:
    row, n = _execute_row(
        ctx,
        "execute-file",
        "{n:,} trivial tasks, file store, local disk",
        "≤ 1.15× the fsync floor",
        False,
    )
    ratio = row.ours_over_floor
    row.judge(None if ratio is None else ratio <= 1.15)
    _profile_execute(ctx, row, n, False)
    return [row]


def run_tmpfs(ctx: h.Context) -> list[h.Row]:
    row, n = _execute_row(
        ctx,
        "execute-file-tmpfs",
        "{n:,} trivial tasks, file store on tmpfs",
        "≥ 3× faster than the original",
        True,
    )
    ratio = row.orig_over_ours
    row.judge(None if ratio is None else ratio >= 3)
    _profile_execute(ctx, row, n, True)
    return [row]


class RedisServer:
    """A throw-away redis-server on a free loopback port, no persistence."""

    def __init__(self, work: Path) -> None:
        exe = next(
            (
                p
                for p in ("/usr/bin/redis-server", "/usr/local/bin/redis-server")
                if Path(p).exists()
            ),
            None,
        )
        if exe is None:
            import shutil

            exe = shutil.which("redis-server") or shutil.which("valkey-server")
        if exe is None:
            raise RuntimeError("no redis-server on this machine")
        self.port = h.free_port()
        self.url = f"redis://127.0.0.1:{self.port}/"
        self.proc = subprocess.Popen(
            [
                exe,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        self.client = redis.Redis(host="127.0.0.1", port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def run_redis(ctx: h.Context) -> list[h.Row]:
    n = ctx.size(10_000, 200)
    row = h.Row("execute-redis", f"{n:,} trivial tasks, redis", "≥ 2× faster than the original")
    try:
        server = RedisServer(ctx.work)
    except (RuntimeError, ImportError) as exc:
        row.note = f"not run: {exc}"
        return [row]
    try:

        def sample(impl: h.Impl, r: int) -> float:
            server.client.flushall()
            with ctx.scratch("redis") as project:
                h.write_jugfile(project, n)
                seconds = h.run([impl.jug, "execute", "bench.py", "--jugdir", server.url], project)
            # Every task stored something: at least n keys (plus bookkeeping).
            keys = server.client.dbsize()
            if keys < n:
                raise RuntimeError(f"{impl.name}: {keys} keys in redis, expected >= {n}")
            return seconds.seconds

        def floor_sample() -> float:
            server.client.flushall()
            return ctx.startup_floor + _floor.redis_execute(n, server.client)

        times = h.interleave(ctx, sample)
        floor = [floor_sample() for _ in range(ctx.repeat)]
        h.fill(row, times, floor)
        ratio = row.orig_over_ours
        row.judge(None if ratio is None else ratio >= 2)
        if row.verdict == "MISS" and ctx.profile:
            server.client.flushall()
            with ctx.scratch("redis-prof") as project:
                h.write_jugfile(project, n)
                row.profile = h.profile_command(
                    ctx, ["execute", "bench.py", "--jugdir", server.url], project
                )
    finally:
        server.stop()
    return [row]


def run_rerun(ctx: h.Context) -> list[h.Row]:
    n = ctx.size(10_000, 200)
    row = h.Row("rerun", f"`jug execute`, all {n:,} tasks done", "≥ 4× faster than the original")
    args = ["execute", "bench.py", "--jugdir", "bench.jugdata"]
    with ctx.scratch("rerun") as project:
        # Both implementations share one finished jugdir (the formats are compatible and a
        # rerun with nothing to do writes nothing).
        h.write_jugfile(project, n)
        h.run([ctx.ours.jug, *args], project)

        def sample(impl: h.Impl, r: int) -> float:
            return h.run([impl.jug, *args], project).seconds

        times = h.interleave(ctx, sample)
        if h.count_results(project / "bench.jugdata") != n:
            raise RuntimeError("rerun: the jugdir changed")
        floor = [
            ctx.startup_floor + _floor.status(n, project / "bench.jugdata")
            for _ in range(ctx.repeat)
        ]
        h.fill(row, times, floor)
        ratio = row.orig_over_ours
        row.judge(None if ratio is None else ratio >= 4)
        if row.verdict == "MISS" and ctx.profile:
            row.profile = h.profile_command(ctx, args, project)
    return [row]


def run_signed(ctx: h.Context) -> list[h.Row]:
    """Our ``jug execute`` with a secret key against ours without one (signed results):
    the cost of signing every result, on tmpfs so that fsync does not hide it."""
    n = ctx.size(10_000, 200)
    row = h.Row(
        "execute-signed",
        f"{n:,} trivial tasks, file store on tmpfs, with a secret key",
        "≤ 1.10× ours without a key",
    )
    with ctx.scratch("signed-key", True) as keydir:
        key = keydir / "jug.key"
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, os.urandom(32).hex().encode())
        os.close(fd)

        def sample(keyed: bool) -> float:
            with ctx.scratch("execute-signed", True) as project:
                h.write_jugfile(project, n)
                args: list[str | Path] = [ctx.ours.jug, "execute", "bench.py"]
                args += ["--jugdir", "bench.jugdata"]
                if keyed:
                    args += ["--secret-file", key]
                seconds = h.run(args, project)
                stored = h.count_results(project / "bench.jugdata")
                if stored != n:
                    raise RuntimeError(f"execute-signed: {stored} results stored, expected {n}")
            return seconds.seconds

        times: dict[str, list[float]] = {"ours": [], "without a key": []}
        for r in range(ctx.repeat):
            # Alternate who goes first, as interleave does.
            for keyed in (True, False) if r % 2 == 0 else (False, True):
                times["ours" if keyed else "without a key"].append(sample(keyed))
    row.samples = {k: [round(v, 4) for v in vs] for k, vs in times.items()}
    row.ours = h.median(times["ours"])
    without = h.median(times["without a key"])
    if row.ours and without:
        ratio = row.ours / without
        row.note = f"without a key {without:.3f} s: {ratio:.2f}×"
        row.judge(ratio <= 1.10)
    return [row]
