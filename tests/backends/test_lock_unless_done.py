"""``Store.lock_unless_done`` on every backend: file store, dict_store, dict_store:FILE, the
memtest plugin, and the redis store on Redis 7 and on Valkey (one server-side script there).

What a worker does before running a task: take its lock unless its result is stored. The
outcomes (locked, done, held), stale leases, failed marks, and the property that matters:
of workers racing over the same tasks, each task is locked (so computed) exactly once.
"""

from __future__ import annotations

import hashlib
import time

import pytest

from jug.store import LockOutcome


def k(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


def test_free_task_is_locked(store):
    lock = store.getlock(k("t"))
    assert store.lock_unless_done(k("t"), lock) == LockOutcome.LOCKED
    assert lock.is_locked() and lock.refresh()
    assert not store.can_load(k("t"))
    # Anyone else now finds it held, whichever way they ask.
    assert store.lock_unless_done(k("t"), store.getlock(k("t"))) == LockOutcome.HELD
    assert not store.getlock(k("t")).get()
    lock.release()
    assert not store.getlock(k("t")).is_locked()


def test_stored_result_means_done_and_no_lock(store):
    store.dump(7, k("t"))
    lock = store.getlock(k("t"))
    assert store.lock_unless_done(k("t"), lock) == LockOutcome.DONE
    assert not lock.is_locked()
    assert not lock.refresh()  # the lock object holds nothing
    assert store.listlocks() == []
    assert store.load(k("t")) == 7


def test_done_after_the_holder_saved(store):
    first = store.getlock(k("t"))
    assert store.lock_unless_done(k("t"), first) == LockOutcome.LOCKED
    store.dump_and_release("r", k("t"), first)
    second = store.getlock(k("t"))
    assert store.lock_unless_done(k("t"), second) == LockOutcome.DONE
    assert store.listlocks() == []
    assert store.load(k("t")) == "r"


def test_lock_held_by_get_is_held(store):
    holder = store.getlock(k("t"))
    assert holder.get()
    assert store.lock_unless_done(k("t"), store.getlock(k("t"))) == LockOutcome.HELD
    assert holder.refresh()  # still the holder's
    # A lock object that holds the lock cannot take it a second time.
    assert store.lock_unless_done(k("t"), holder) == LockOutcome.HELD
    assert holder.refresh()


def test_failed_mark_is_held_and_kept(store):
    lock = store.getlock(k("t"))
    assert store.lock_unless_done(k("t"), lock) == LockOutcome.LOCKED
    assert lock.fail("boom")
    assert store.lock_unless_done(k("t"), store.getlock(k("t"))) == LockOutcome.HELD
    assert store.getlock(k("t")).is_failed()
    info = store.lock_infos()[k("t")]
    assert info.failed and "boom" in info.error
    store.getlock(k("t")).force_release()
    assert store.lock_unless_done(k("t"), store.getlock(k("t"))) == LockOutcome.LOCKED


def test_stale_lease_is_reclaimed(store):
    store.lease = 0.2
    dead = store.getlock(k("t"))
    assert store.lock_unless_done(k("t"), dead) == LockOutcome.LOCKED
    time.sleep(0.45)  # the holder stopped refreshing: its lease ran out
    store.lease = 30.0
    heir = store.getlock(k("t"))
    assert store.lock_unless_done(k("t"), heir) == LockOutcome.LOCKED
    assert not dead.refresh()  # the dead holder lost it
    dead.release()  # and releasing does not touch the heir's lock
    assert heir.refresh()
    assert store.lock_unless_done(k("t"), store.getlock(k("t"))) == LockOutcome.HELD


def test_two_stores_on_one_jugdir(shared_store):
    """A second process-like opener of the same jugdir sees the first one's lock and result."""
    from jug.backend_registry import open_store

    store, jugdir = shared_store
    other = open_store(jugdir)
    try:
        mine = store.getlock(k("t"))
        assert store.lock_unless_done(k("t"), mine) == LockOutcome.LOCKED
        assert other.lock_unless_done(k("t"), other.getlock(k("t"))) == LockOutcome.HELD
        store.dump_and_release(1, k("t"), mine)
        assert other.lock_unless_done(k("t"), other.getlock(k("t"))) == LockOutcome.DONE
        assert other.listlocks() == []
    finally:
        other.close()


_WORKER = """
import json, os, sys, time
from jug.backend_registry import open_store
from jug.store import LockOutcome
jugdir, go, keys = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
store = open_store(jugdir)
while not os.path.exists(go):
    time.sleep(0.002)
ran, pending, deadline = [], keys, time.monotonic() + 120
while pending and time.monotonic() < deadline:
    if pending is not keys:
        # Wait a moment before trying the held ones again, as jug execute does: busy
        # retries can starve the holders' releases (SQLite's write lock, say).
        time.sleep(0.005)
    held = []
    for i, key in enumerate(pending):
        lock = store.getlock(key)
        outcome = store.lock_unless_done(key, lock)
        if outcome == LockOutcome.LOCKED:
            ran.append(key)
            if i % 7 == 0:
                time.sleep(0.002)  # a task that takes a while: others find it held
            store.dump_and_release(os.getpid(), key, lock)
        elif outcome == LockOutcome.HELD:
            held.append(key)
        else:
            assert outcome == LockOutcome.DONE, outcome
    pending = held
print(json.dumps({"pid": os.getpid(), "ran": ran, "pending": pending}))
"""


def test_racing_workers_lock_each_task_once(shared_store, racers):
    """Workers going through the same tasks (half forwards, half backwards), each locking a
    task unless it is done, computing it and saving it: every task is locked by exactly one
    worker, and its stored result is that worker's."""
    store, jugdir = shared_store
    keys = [k(str(i)) for i in range(150)]
    reports = racers(_WORKER, jugdir, keys, 4)
    assert all(r["pending"] == [] for r in reports)
    ran = [key for r in reports for key in r["ran"]]
    assert sorted(ran) == sorted(keys), "a task was locked by two workers, or by none"
    for r in reports:
        for key in r["ran"]:
            assert store.load(key) == r["pid"]
    assert store.listlocks() == []


@pytest.mark.parametrize("done", [False, True])
def test_lock_of_another_store_goes_the_generic_way(store, tmp_path, done):
    """A lock object from elsewhere (here: a dict store's) is taken by the generic protocol,
    lock first and check after, never by a store-specific shortcut that ignores it."""
    from jug.backends.dict_store import dict_store

    foreign = dict_store().getlock(k("t"))
    if done:
        store.dump(1, k("t"))
    outcome = store.lock_unless_done(k("t"), foreign)
    assert outcome == (LockOutcome.DONE if done else LockOutcome.LOCKED)
    assert foreign.is_locked() == (not done)
    assert store.listlocks() == []  # nothing was locked in *store*
