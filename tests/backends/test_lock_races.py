"""Two workers racing for the same locks, 10,000 times: never do both hold one.

The contract tests race a few processes over a hundred keys; here two processes go through
the same 10,000 keys from opposite ends, so that they meet and then try every key the other
one has just taken, first on fresh keys (acquire) and then on keys whose lease has expired
(reclaim). (Going in the same order, the first to start can stay ahead all the way: a lock
costs a few microseconds.)
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from jug.store import as_key

pytestmark = pytest.mark.slow

N = 10_000

_RACER = """
import json, os, sys, time
from jug.backend_registry import open_store
jugdir, go, keys = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().split()
if sys.argv[4] == "backwards":
    keys.reverse()
store = open_store(jugdir)
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.001)
won = [k for k in keys if store.getlock(k).get()]
print(json.dumps(won))
"""


def _race(spawn, tmp_path: Path, jugdir: str, keys: list[str]) -> list[set[str]]:
    """Two processes try every key, from opposite ends; return the keys each one won."""
    (tmp_path / "keys").write_text("\n".join(keys))
    go = tmp_path / "go"
    procs = [
        spawn(_RACER, jugdir, str(go), str(tmp_path / "keys"), order)
        for order in ("forwards", "backwards")
    ]
    for proc in procs:  # both imported and connected: start them together
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    go.write_text("go")
    won = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        won.append(set(json.loads(out)))
    return won


def test_racing_for_fresh_locks(race_store, tmp_path, python_spawn, make_key):
    store, jugdir = race_store
    keys = [make_key(f"fresh{i}") for i in range(N)]
    a, b = _race(python_spawn, tmp_path, jugdir, keys)
    assert not a & b, f"{len(a & b)} locks were taken by both workers"
    assert a | b == set(keys)
    assert a and b, "one worker took every lock: the race did not happen"
    assert sorted(map(as_key, store.listlocks())) == sorted(keys)


def test_racing_to_reclaim_stale_locks(race_store, tmp_path, python_spawn, make_key):
    store, jugdir = race_store
    store.lease = 0.5
    keys = [make_key(f"stale{i}") for i in range(N)]
    for k in keys:
        assert store.getlock(k).get()  # held by a "worker" that then dies: never refreshed
    time.sleep(0.7)
    a, b = _race(python_spawn, tmp_path, jugdir, keys)
    assert not a & b, f"{len(a & b)} stale locks were reclaimed by both workers"
    assert a | b == set(keys)
    assert a and b, "one worker reclaimed every lock: the race did not happen"
    infos = store.lock_infos()
    assert sorted(infos) == sorted(keys)
    assert all(i.state() == "running" and i.lease == 600.0 for i in infos.values())
