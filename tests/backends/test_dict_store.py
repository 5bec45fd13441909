"""dict_store specifics: ``dict_store:FILE`` really saves, across processes."""

from __future__ import annotations

import hashlib
import os
import pickle

import pytest

from jug.backends.dict_store import dict_store, from_jugdir
from jug.errors import InvalidJugdirError, StoreError
from jug.store import as_key


def k(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


WRITER = """
import sys
import jug
store = jug.set_jugdir("dict_store:" + sys.argv[1])
store.dump({"answer": 42}, sys.argv[2])
lock = store.getlock(sys.argv[3])
assert lock.get() and lock.fail("ValueError: boom")
assert store.getlock(sys.argv[4]).get()   # a running lock: not saved
{finish}
"""


@pytest.mark.parametrize(
    "finish", ["store.close()", "pass  # saved by the atexit hook", "store.save()"]
)
def test_persists_across_processes(tmp_path, python_run, finish):
    path = tmp_path / "results.pickle"
    python_run(WRITER.replace("{finish}", finish), str(path), k("r"), k("failed"), k("running"))
    store = from_jugdir(f"dict_store:{path}")
    assert store.load(k("r")) == {"answer": 42}
    assert list(map(as_key, store.list())) == [k("r")]
    assert store.getlock(k("failed")).is_failed()
    assert "ValueError: boom" in store.lock_infos()[k("failed")].error
    assert not store.getlock(k("running")).is_locked()


def test_killed_process_keeps_last_save(tmp_path, python_run):
    path = tmp_path / "results.pickle"
    python_run(
        """
        import os, sys
        from jug.backends.dict_store import dict_store
        s = dict_store(sys.argv[1])
        s.dump(1, "aaaa"); s.save()
        s.dump(2, "bbbb")
        os._exit(0)  # no atexit: the second result is lost, the file is intact
        """,
        str(path),
    )
    store = dict_store(path)
    assert list(map(as_key, store.list())) == ["aaaa"]
    assert [f for f in os.listdir(tmp_path) if f.endswith(".tmp")] == []


def test_close_saves_only_changes(tmp_path):
    path = tmp_path / "r.pickle"
    store = dict_store(path)
    store.close()
    assert not path.exists()  # nothing to save
    store.dump(1, k("a"))
    store.close()
    assert path.exists()
    assert dict_store(path).load(k("a")) == 1


def test_file_is_in_the_original_layout(tmp_path):
    path = tmp_path / "r.pickle"
    store = dict_store(path)
    store.dump([1, 2], k("a"))
    store.save()
    with open(path, "rb") as f:
        data = pickle.load(f)
    assert pickle.loads(data[b"result:" + k("a").encode()]) == [1, 2]


def test_reads_a_file_in_the_original_layout(tmp_path):
    path = tmp_path / "r.pickle"
    with open(path, "wb") as f:
        pickle.dump({b"result:abc": pickle.dumps("v", protocol=4), b"lock:def": 2}, f)
    store = dict_store(path)
    assert store.load("abc") == "v"
    assert store.getlock("def").is_failed()


def test_records_are_saved_with_each_context_once(tmp_path):
    from jug.store import RecordContext, record_dict

    path = tmp_path / "r.pickle"
    store = dict_store(path)
    one, two = RecordContext({"host": "n1"}), RecordContext({"host": "n2", "nested": [1]})
    records = {k(f"t{i}"): (one if i % 2 else two, 10**18 + i, i, 100 + i) for i in range(6)}
    for key, rec in records.items():
        lock = store.getlock(key)
        assert lock.get()
        store.dump_and_release(key, key, lock, rec)
    store.remove(k("t0"))
    store.close()
    with open(path, "rb") as f:
        saved = pickle.load(f)[b"jug-records"]
    assert saved["contexts"] == [two.json, one.json]  # plain data: texts and tuples
    assert saved["records"][k("t3")] == (1, 10**18 + 3, 3, 103) and k("t0") not in saved["records"]
    again = dict_store(path)
    del records[k("t0")]
    assert again.records() == {key: record_dict(rec) for key, rec in records.items()}
    lock = again.getlock(k("t9"))
    assert lock.get()
    again.dump_and_release(9, k("t9"), lock, (one, 10**18, 9, 9))
    again.dump_and_release(10, k("t10"), lock, (one, 10**18, 10, 10))
    assert again.record(k("t9"))["host"] == again.record(k("t10"))["host"] == "n1"
    assert len(again._contexts) == 3  # the two loaded, and `one`, kept once more


def test_records_a_file_holds_in_another_shape_are_ignored(tmp_path):
    path = tmp_path / "r.pickle"
    for records in ({"a": '{"started": 1}'}, {"contexts": ["{}"], "records": {"a": (5, 1, 1, 1)}}):
        with open(path, "wb") as f:
            pickle.dump({b"result:a": pickle.dumps("v"), b"jug-records": records}, f)
        store = dict_store(path)
        assert store.load("a") == "v" and store.records() == {}


def test_bad_file_is_a_clear_error(tmp_path):
    path = tmp_path / "r.pickle"
    path.write_bytes(b"this is not a pickle")
    with pytest.raises(StoreError, match="not a valid store"):
        dict_store(path)
    with pytest.raises(StoreError, match="is a directory"):
        dict_store(tmp_path)
    with pytest.raises(StoreError, match="directory does not exist"):
        dict_store(tmp_path / "no" / "such" / "dir.pickle")


def test_save_without_file(tmp_path):
    store = dict_store()
    store.dump(1, "abc")
    with pytest.raises(StoreError, match="no file"):
        store.save()
    store.save(tmp_path / "explicit.pickle")
    assert dict_store(tmp_path / "explicit.pickle").load("abc") == 1


def test_from_jugdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.mkdir("sub")
    assert from_jugdir("dict_store").backend is None
    assert from_jugdir("dict_store:sub/file.pkl").backend == "sub/file.pkl"
    assert from_jugdir("dict:x.pkl").backend == "x.pkl"
    with pytest.raises(InvalidJugdirError, match="no file name"):
        from_jugdir("dict_store:")
    # A bare "dict" could be meant as a directory: keeping results in memory only would
    # lose them, so it is refused with what to write instead.
    with pytest.raises(InvalidJugdirError, match=r"dict_store \(in memory\).*\./dict"):
        from_jugdir("dict")


def test_loaded_values_are_copies():
    store = dict_store()
    value = {"a": [1]}
    store.dump(value, "abc")
    value["a"].append(2)
    loaded = store.load("abc")
    assert loaded == {"a": [1]}
    loaded["a"].append(3)
    assert store.load("abc") == {"a": [1]}
