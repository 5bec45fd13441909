"""The file store's short cuts give exactly what the general code paths give."""

from __future__ import annotations

import io
import json
import os
import time

import pytest

from jug.backends import file_store as fs
from jug.backends.encode import encode_small, read_result, write_result
from jug.store import LockInfo


@pytest.mark.parametrize(
    "info",
    [
        LockInfo.new(600),
        LockInfo.new(0.25),
        LockInfo.new(float("inf")),  # not a JSON number as repr writes it: the json way
        LockInfo(token="t", host='odd "host"\\name', pid=7, started=1.5, heartbeat=2.25),
        LockInfo(token="t", host="h", failed=True, error="Traceback ...", failed_at=3.0),
        LockInfo(token="t", host="h", extra={"note": 1}),
    ],
)
def test_lock_record_is_the_json_of_its_fields(info: LockInfo) -> None:
    record = fs._record(info)
    assert record == json.dumps(vars(info)).encode()
    assert LockInfo.from_dict(json.loads(record)) == info


@pytest.mark.parametrize(
    "obj", [0, -1, 2**70, 1.5, float("inf"), 1 + 2j, True, "", "text é", b"\x00" * 10]
)
def test_small_results_decode_like_streamed_ones(obj: object) -> None:
    small = encode_small(obj)
    assert small is not None
    streamed = io.BytesIO()
    write_result(obj, streamed)
    assert read_result(io.BytesIO(small)) == obj == read_result(io.BytesIO(streamed.getvalue()))


@pytest.mark.parametrize("obj", [None, [1, 2], {"a": 1}, "x" * (1 << 17)])
def test_other_results_are_streamed(obj: object) -> None:
    assert encode_small(obj) is None


def test_release_after_half_a_lease_checks_the_owner(tmp_path: os.PathLike[str]) -> None:
    # A lock that went stale and was reclaimed must survive its old holder's release.
    store = fs.file_store(os.path.join(tmp_path, "jd"))
    store.lease = 0.2
    key = "ab" * 20
    old = store.getlock(key)
    assert old.get()
    time.sleep(0.3)
    new = store.getlock(key)
    assert new.get()  # reclaimed the stale lock
    old.release()
    assert new.is_locked()
    assert new.info() is not None and not new.info().is_stale()  # type: ignore[union-attr]
    new.release()
    assert not new.is_locked()


def test_release_soon_after_taking_removes_the_lock(tmp_path: os.PathLike[str]) -> None:
    store = fs.file_store(os.path.join(tmp_path, "jd"))
    lock = store.getlock("cd" * 20)
    assert lock.get()
    lock.release()
    assert not lock.is_locked()
    lock.release()  # a second release does nothing
    assert lock.get()
    assert lock.fail("boom")
    lock.release()  # a failed mark is not removed by release
    assert lock.is_failed()


def _fill(store: fs.file_store, n: int) -> list[str]:
    keys = [f"{i:040x}"[::-1] for i in range(n)]  # every shard 00..ff, several each
    for k in keys[: n // 2]:
        store.dump(1, k)
    return keys


def test_listing_many_shards_in_threads_finds_what_one_by_one_finds(
    tmp_path: os.PathLike[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    listings = fs._listings
    store = fs.file_store(os.path.join(tmp_path, "jd"))
    keys = _fill(store, 2000)
    monkeypatch.setattr(fs, "_MANY_KEYS", 100)  # a large query: every shard, in threads
    calls = []
    monkeypatch.setattr(fs, "_listings", lambda *a, **k: calls.append(k) or listings(*a, **k))
    threaded = store.can_load_many(keys)
    assert threaded == set(keys[:1000]) and calls == [{"parallel": True}]
    monkeypatch.setattr(fs, "_PARALLEL_LISTINGS", 10**9)  # one after the other
    assert store.can_load_many(keys) == threaded
    # A query over a few keys (as at a project's first start) lists without threads.
    monkeypatch.setattr(fs, "_MANY_KEYS", 4096)
    calls.clear()
    assert store.can_load_many(keys[:50]) == set(keys[:50]) and calls == [{"parallel": False}]


def test_an_error_listing_a_shard_in_a_thread_is_raised_to_the_caller(
    tmp_path: os.PathLike[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = fs.file_store(os.path.join(tmp_path, "jd"))
    keys = _fill(store, 2000)
    monkeypatch.setattr(fs, "_MANY_KEYS", 100)
    real = fs._names

    def failing(path: str, what: str) -> list[str]:
        if path.endswith(os.sep + "7f"):
            raise fs.StoreError(f"cannot list {what}: no permission")
        return real(path, what)

    monkeypatch.setattr(fs, "_names", failing)
    with pytest.raises(fs.StoreError, match="cannot list results in .*: no permission"):
        store.can_load_many(keys)
