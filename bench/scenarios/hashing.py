"""hash-list and hash-numpy: hashing a Task whose argument is a big list or array."""

from __future__ import annotations

import json

import _harness as h

TASK_HASH = """\
import json, time
{setup}
from jug import Task


def ident(x):
    return x


t0 = time.perf_counter()
digest = Task(ident, data).hash()
seconds = time.perf_counter() - t0
if isinstance(digest, bytes):
    digest = digest.decode()
print(json.dumps({{"seconds": seconds, "digest": digest}}))
"""

FLOOR = """\
import hashlib, json, pickle, time
{setup}
t0 = time.perf_counter()
digest = hashlib.sha1({what}).hexdigest()
print(json.dumps({{"seconds": time.perf_counter() - t0, "digest": digest}}))
"""

LIST_SETUP = "data = [i % 1000 for i in range({n})]"
NUMPY_SETUP = "import numpy as np\ndata = np.arange({n}, dtype=np.float64)"


def _measure(
    ctx: h.Context, setup: str, floor_what: str
) -> tuple[dict[str, list[float]], list[float], dict[str, str]]:
    digests: dict[str, str] = {}
    floor: list[float] = []

    def sample(impl: h.Impl, r: int) -> float:
        with ctx.scratch("hash") as cwd:
            out = json.loads(h.python_snippet(impl.python, TASK_HASH.format(setup=setup), cwd))
            if impl is ctx.ours:
                # The floor right after ours, in the same conditions: a hash of 200 MB is
                # memory-bound, and the machine's memory speed drifts between runs.
                code = FLOOR.format(setup=setup, what=floor_what)
                floor.append(float(json.loads(h.python_snippet(impl.python, code, cwd))["seconds"]))
        digests[impl.name] = out["digest"]
        return float(out["seconds"])

    # Each sample is short (a process and one hash): more of them steady the medians.
    times = h.interleave(ctx, sample, repeat=max(ctx.repeat, 5))
    return times, floor, digests


def _profile(ctx: h.Context, row: h.Row, setup: str) -> None:
    if row.verdict == "MISS" and ctx.profile:
        with ctx.scratch("hash-prof") as cwd:
            row.profile = h.profile_code(TASK_HASH.format(setup=setup), cwd)


def run_list(ctx: h.Context) -> list[h.Row]:
    n = ctx.size(1_000_000, 100_000)
    row = h.Row(
        "hash-list",
        f"Task hash, list of {n:,} small ints",
        "≥ 5× faster than the original, same digest",
    )
    setup = LIST_SETUP.format(n=n)
    times, floor, digests = _measure(ctx, setup, "pickle.dumps(data)")
    h.fill(row, times, floor)
    same = None if "original" not in digests else digests["original"] == digests["ours"]
    row.note = "floor: sha1 of the pickled list; " + (
        "digest not compared" if same is None else ("same digest" if same else "DIGESTS DIFFER")
    )
    ratio = row.orig_over_ours
    row.judge(None if ratio is None else ratio >= 5 and bool(same))
    _profile(ctx, row, setup)
    return [row]


def run_numpy(ctx: h.Context) -> list[h.Row]:
    n = ctx.size(25_000_000, 2_500_000)  # float64: 200 MB (quick: 20 MB)
    row = h.Row(
        "hash-numpy",
        f"Task hash, {n * 8 / 1e6:.0f} MB float64 array",
        "≥ 0.95× hashlib's sha1 speed",
    )
    setup = NUMPY_SETUP.format(n=n)
    times, floor, digests = _measure(ctx, setup, "data")
    h.fill(row, times, floor)
    same = None if "original" not in digests else digests["original"] == digests["ours"]
    row.note = "floor: hashlib.sha1 over the array's buffer; " + (
        "digest not compared" if same is None else ("same digest" if same else "digest differs")
    )
    over = row.ours_over_floor
    row.judge(None if over is None else 1 / over >= 0.95)
    _profile(ctx, row, setup)
    return [row]
