"""The store contract, run against every backend: file store, dict_store, dict_store:FILE,
the memtest plugin (a third-party backend), and the redis store on Redis 7 and on Valkey."""

from __future__ import annotations

import hashlib
import time

import numpy as np
import pytest

from jug.store import DEFAULT_LEASE


def k(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


def same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return (
            type(a) is type(b)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and bool(np.array_equal(a, b) if a.dtype != object else list(a.flat) == list(b.flat))
        )
    return type(a) is type(b) and a == b


ROUND_TRIP = {
    "none": None,
    "int": 42,
    "float": 2.5,
    "str": "héllo",
    "bytes": b"\x00\x01",
    "dict": {"a": [1, 2, (3, None)], 4: {"x"}},
    "empty_list": [],
    "array": np.arange(10),
    "array_0d": np.array(3.5),
    "array_object": np.array([1, "a", None], dtype=object),
    "array_noncontiguous": np.arange(40).reshape(5, 8)[::2, 1::3],
    "array_fortran": np.asfortranarray(np.arange(12.0).reshape(3, 4)),
    "array_empty": np.zeros((0, 3)),
    "array_record": np.array([(1, 2.0)], dtype=[("a", "<i4"), ("b", "<f8")]),
    "array_bool": np.array([True, False]),
    "array_str": np.array(["ab", "c"]),
}


@pytest.mark.parametrize("name", sorted(ROUND_TRIP))
def test_round_trip(store, name):
    obj = ROUND_TRIP[name]
    store.dump(obj, k(name))
    assert store.can_load(k(name))
    assert same(obj, store.load(k(name)))


def test_round_trip_keeps_array_layout_values(store):
    arr = np.arange(40).reshape(5, 8)[::2, 1::3]
    store.dump(arr, k("nc"))
    back = store.load(k("nc"))
    assert back.tolist() == arr.tolist()


def test_nested_arrays_and_subclasses(store):
    obj = {"a": [np.arange(3), np.ma.array([1, 2], mask=[0, 1])]}
    store.dump(obj, k("nested"))
    back = store.load(k("nested"))
    assert back["a"][0].tolist() == [0, 1, 2]
    assert isinstance(back["a"][1], np.ma.MaskedArray)
    assert back["a"][1].mask.tolist() == [False, True]


def test_large_object(store):
    rng = np.random.default_rng(0)
    big = rng.random(6_500_000)  # ~52 MB
    obj = {"big": big, "tail": list(range(1000))}
    store.dump(obj, k("large"))
    store.dump(big, k("large_plain"))
    back = store.load(k("large"))
    assert np.array_equal(back["big"], big)
    assert back["tail"] == list(range(1000))
    assert np.array_equal(store.load(k("large_plain")), big)


def test_bytes_and_str_keys_are_the_same_key(store):
    store.dump("v", k("x").encode())
    assert store.can_load(k("x"))
    assert store.load(k("x").encode()) == "v"
    assert list(store.list()) == [k("x")]


def test_dump_replaces(store):
    store.dump(1, k("a"))
    store.dump([2], k("a"))
    assert store.load(k("a")) == [2]
    assert list(store.list()) == [k("a")]


def test_missing_key(store):
    assert not store.can_load(k("nothing"))
    with pytest.raises(KeyError):
        store.load(k("nothing"))
    assert store.remove(k("nothing")) is False


def test_can_load_many(store):
    keys = [k(f"t{i}") for i in range(300)]
    for key in keys[::3]:
        store.dump(key, key)
    asked = keys + [k("absent").encode()]
    assert store.can_load_many(asked) == set(keys[::3])
    assert store.can_load_many([]) == set()


def test_remove_and_list(store):
    for i in range(5):
        store.dump(i, k(str(i)))
    assert sorted(store.list()) == sorted(k(str(i)) for i in range(5))
    assert store.remove(k("3")) is True
    assert not store.can_load(k("3"))
    assert sorted(store.list()) == sorted(k(str(i)) for i in (0, 1, 2, 4))
    assert store.remove_many([k("0"), k("3")]) == {k("0")}


def test_cleanup_removes_inactive_results_and_locks(store):
    for name in ("keep", "drop1", "drop2"):
        store.dump(name, k(name))
    assert store.getlock(k("keep")).get()
    assert store.getlock(k("droplock")).get()
    removed = store.cleanup([k("keep").encode()])
    assert removed == 3
    assert list(store.list()) == [k("keep")]
    assert store.listlocks() == [k("keep")]


def test_cleanup_keeplocks(store):
    store.dump(1, k("keep"))
    store.dump(2, k("drop"))
    assert store.getlock(k("locked")).get()
    assert store.cleanup([k("keep")], keeplocks=True) == 1
    assert list(store.list()) == [k("keep")]
    assert store.listlocks() == [k("locked")]


# -- locks ------------------------------------------------------------------------------


def test_lock_get_twice_fails(store):
    first = store.getlock(k("t"))
    assert not first.is_locked()
    assert first.get()
    assert first.is_locked()
    assert not store.getlock(k("t")).get()
    assert not first.get()
    first.release()
    assert not first.is_locked()
    assert store.getlock(k("t")).get()


def test_release_is_owner_checked(store):
    holder = store.getlock(k("t"))
    other = store.getlock(k("t"))
    assert holder.get()
    other.release()
    assert holder.is_locked()
    assert other.refresh() is False
    assert other.fail("not mine") is False
    assert not holder.is_failed()
    assert holder.refresh() is True
    holder.release()
    assert not other.is_locked()


def test_force_release(store):
    holder = store.getlock(k("t"))
    assert holder.get()
    store.getlock(k("t")).force_release()
    assert not holder.is_locked()
    assert holder.refresh() is False  # the holder learns it lost the lock
    assert store.getlock(k("t")).get()


def test_listlocks_and_remove_locks(store):
    for name in ("a", "b", "c"):
        assert store.getlock(k(name)).get()
    assert sorted(store.listlocks()) == sorted(k(n) for n in "abc")
    assert store.remove_locks() == 3
    assert store.listlocks() == []


def test_lock_records_owner_and_lease(store):
    store.lease = 123.0
    lock = store.getlock(k("t"))
    before = time.time()
    assert lock.get()
    info = lock.info()
    assert info is not None
    assert info.lease == 123.0
    assert info.token
    assert info.pid > 0 and info.host
    assert before - 1 <= info.started <= time.time() + 1
    assert info.state() == "running"
    assert store.lock_infos()[k("t")].token == info.token


def test_default_lease(store):
    lock = store.getlock(k("t"))
    assert lock.get()
    assert lock.info().lease == DEFAULT_LEASE


def test_fail_records_error(store):
    lock = store.getlock(k("t"))
    assert lock.get()
    assert lock.fail("Traceback (most recent call last):\nValueError: boom")
    assert lock.is_failed()
    assert lock.is_locked()
    info = store.lock_infos()[k("t")]
    assert info.failed
    assert "ValueError: boom" in info.error
    assert info.host
    assert info.failed_at > 0
    assert info.state() == "failed"
    # A failed mark is not taken by get(), even long after: it never goes stale.
    assert not store.getlock(k("t")).get()
    lock.release()  # the failing object no longer holds it: the mark stays
    assert store.getlock(k("t")).is_failed()
    store.getlock(k("t")).force_release()
    assert not store.getlock(k("t")).is_failed()
    assert store.getlock(k("t")).get()


def test_failed_lock_never_goes_stale(store):
    store.lease = 0.2
    lock = store.getlock(k("t"))
    assert lock.get()
    assert lock.fail("x")
    time.sleep(0.4)
    assert store.lock_infos()[k("t")].state() == "failed"
    assert not store.getlock(k("t")).get()


def test_lease_expiry_and_reclaim(store):
    store.lease = 1.0
    first = store.getlock(k("t"))
    assert first.get()
    assert not store.getlock(k("t")).get()
    time.sleep(1.3)
    # A stale lock is reported as such, or is gone (redis expires it on the server).
    stale = store.lock_infos().get(k("t"))
    assert stale is None or stale.state() == "stale"
    assert stale is not None or not store.getlock(k("t")).is_locked()
    second = store.getlock(k("t"))
    assert second.get()
    assert store.lock_infos()[k("t")].state() == "running"
    # The first holder lost it: all its owner operations are refused.
    assert first.refresh() is False
    assert first.fail("late") is False
    first.release()
    assert second.is_locked() and not second.is_failed()
    assert second.refresh() is True


def test_refresh_keeps_lease_alive(store):
    # Margins of 0.7 s: a loaded machine may stall, and a stalled holder rightly loses.
    store.lease = 1.0
    holder = store.getlock(k("t"))
    assert holder.get()
    for _ in range(4):
        time.sleep(0.3)
        assert holder.refresh()
        assert not store.getlock(k("t")).get()
    assert store.lock_infos()[k("t")].state() == "running"
    time.sleep(1.3)
    assert store.getlock(k("t")).get()


def test_lease_is_read_when_get_is_called(store):
    lock = store.getlock(k("t"))
    store.lease = 7.0
    assert lock.get()
    store.lease = 99.0
    assert lock.info().lease == 7.0


# -- several processes ------------------------------------------------------------------


def test_lock_contention_between_processes(shared_store, race):
    store, jugdir = shared_store
    keys = [k(f"task{i}") for i in range(100)]
    results = race(jugdir, keys, nprocs=4)
    counts = {key: sum(key in won for won in results) for key in keys}
    assert counts == dict.fromkeys(keys, 1)
    assert sorted(store.listlocks()) == sorted(keys)


def test_expired_leases_are_taken_over_by_exactly_one(shared_store, race):
    store, jugdir = shared_store
    store.lease = 0.3
    keys = [k(f"dead{i}") for i in range(40)]
    for key in keys:
        assert store.getlock(key).get()  # and never refreshed: a dead holder
    time.sleep(0.5)
    results = race(jugdir, keys, nprocs=5)
    counts = {key: sum(key in won for won in results) for key in keys}
    assert counts == dict.fromkeys(keys, 1)
    infos = store.lock_infos()
    assert sorted(infos) == sorted(keys)
    assert all(info.lease == 600.0 and info.state() == "running" for info in infos.values())
