"""The store contract: the checks every jug backend must pass, to run against your own.

Subclass :class:`StoreContract` in a test module, naming the subclass ``Test…`` so that
pytest collects it, and say how to make a fresh, empty store::

    from jug.testing.store_contract import SharedStoreContract
    from mypackage.mystore import MyStore

    class TestMyStore(SharedStoreContract):
        def make_store(self, directory):
            return MyStore(directory + "/store")

        # How another process opens the same store (through the jug.backends entry
        # points): for the checks with several processes.
        def shared_jugdir(self, store):
            return "mystore:" + store.path

Every ``test_*`` method is one check: results round-trip (plain Python objects; numpy
arrays too when numpy is installed), replace and disappear as documented, bulk queries
agree with single ones, locks are exclusive, owner-checked leases that go stale and are
reclaimed, failure records never go stale; a store that keeps result records
(:attr:`jug.store.Store.keeps_records`) keeps, replaces, drops and hands them out as
documented, and one that does not keeps none; a store that signs results
(:attr:`jug.store.Store.signs_results`, see :class:`SigningContract`) signs them, and
refuses unsigned and forged ones before unpickling anything, and one that cannot sign
refuses a key. :class:`SharedStoreContract` adds the checks
with several processes (racing for the same locks, each won exactly once), for stores
that several processes share; a store private to one process subclasses
:class:`StoreContract`.

The record checks assert, for every store, what its kind must do: a store that keeps
records keeps these, one that does not keeps none. The class needs no test framework: it
raises :class:`AssertionError` on a failure (and :class:`unittest.SkipTest`, which pytest
and unittest both honour, for the numpy check without numpy). jug's own tests run it over
the file store, ``dict_store``, ``dict_store:FILE``, the redis store (on Redis 7 and
Valkey), :class:`jug.testing.MemoryStore` and a SQLite plugin.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

from jug.execution.states import TaskState
from jug.store import (
    DEFAULT_LEASE,
    LockOutcome,
    Record,
    RecordContext,
    Store,
    as_key,
    record_dict,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "SharedStoreContract",
    "SigningContract",
    "StoreContract",
    "Tripwire",
    "key",
    "race_for_locks",
    "record",
]


def key(name: str) -> str:
    """A key shaped like a task's hash (40 hexadecimal characters), made from *name*."""
    return hashlib.sha1(name.encode()).hexdigest()


def _keys(listed: Any) -> builtins.list[str]:
    """What :meth:`Store.list` or :meth:`Store.listlocks` gave, as sorted ``str`` keys
    (``bytes``, the original jug's type, or ``str``: both are accepted)."""
    items = builtins.list(listed)
    for item in items:
        assert isinstance(item, (bytes, str)), f"a key must be bytes or str, not {item!r}"
    return sorted(map(as_key, items))


# Plain objects every store must give back equal and of the same type.
_PLAIN_VALUES: dict[str, Any] = {
    "none": None,
    "int": 42,
    "big_int": 2**100,
    "float": 2.5,
    "str": "héllo",
    "bytes": b"\x00\x01",
    "tuple": (1, "a", None),
    "dict": {"a": [1, 2, (3, None)], 4: {"x"}},
    "empty_list": [],
    "nested": {"rows": [[1.5] * 3] * 4},
}

# Another process trying to take every key (after a start file appears); prints what it won.
_CONTENDER = """
import json, os, sys, time
from jug.backend_registry import open_store
jugdir, go, keys = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
store = open_store(jugdir)
while not os.path.exists(go):
    time.sleep(0.002)
print(json.dumps([key for key in keys if store.getlock(key).get()]))
store.close()
"""


def race_for_locks(jugdir: str, keys: list[str], nprocs: int, start_file: str) -> list[list[str]]:
    """Start *nprocs* processes that all try to take the lock of every key at once.

    Each opens the store *jugdir* (through the ``jug.backends`` entry points) and waits for
    *start_file* to appear, which this function creates once all have started; half go
    through the keys forwards and half backwards, so that they collide all along.

    Returns
    -------
    list of list of str
        The keys whose lock each process won.
    """
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(_CONTENDER), jugdir, start_file]
            + [",".join(keys[:: 1 if i % 2 else -1])],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(nprocs)
    ]
    time.sleep(0.5)  # let them all import and wait for the start
    with open(start_file, "w") as fh:
        fh.write("go")
    won = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        won.append(json.loads(out))
    return won


def _signer(text: str) -> Any:
    from jug.signing import Signer

    return Signer(hashlib.sha256(text.encode()).digest(), f"the key {text!r} of the checks")


class SigningContract:
    """The checks of signed results (:mod:`jug.signing`), part of :class:`StoreContract`.

    A store whose :attr:`~jug.store.Store.signs_results` is true signs what it saves
    with its :attr:`~jug.store.Store.signer`, refuses an unsigned or wrongly signed
    result before decoding anything of it, reads signed results without a key, and
    answers :meth:`~jug.store.Store.signature_states` and :meth:`~jug.store.Store.sign`.
    A store that cannot sign says so, and refuses a key.
    """

    @property
    def store(self) -> Store:
        """The store of the current check (:attr:`StoreContract.store`)."""
        raise NotImplementedError

    def _signs(self) -> bool:
        """Whether the store signs results; for one that cannot, check that it refuses a
        key and the signing methods (what such a store must do), and say no."""
        if self.store.signs_results:
            return True
        from jug.errors import SecretKeyError
        from jug.signing import use_signer

        for attempt in (
            lambda: use_signer(self.store, _signer("a")),
            lambda: self.store.signature_states(),
            lambda: self.store.sign([key("a")]),
        ):
            try:
                attempt()
            except SecretKeyError:
                continue
            raise AssertionError("a store that cannot sign accepted a key or signed")
        assert self.store.signer is None
        return False

    def _refused(self, k: str, state: str) -> None:
        from jug.errors import SignatureError

        try:
            self.store.load(k)
        except SignatureError as exc:
            assert exc.key == k and exc.detail == state, (exc.key, exc.detail)
            assert k in str(exc) and "\n" not in str(exc)
        else:
            raise AssertionError(f"a {state} result was loaded with a key configured")

    def test_a_key_is_taken_or_refused(self) -> None:
        from jug.signing import use_signer

        if not self._signs():
            return
        signer = _signer("a")
        use_signer(self.store, signer)
        assert self.store.signer is signer

    def test_signed_results_round_trip(self) -> None:
        from jug.signing import use_signer

        if not self._signs():
            return
        use_signer(self.store, _signer("a"))
        for name, value in _PLAIN_VALUES.items():
            self.store.dump(value, key(name))
        lock = self.store.getlock(key("released"))
        assert lock.get()
        self.store.dump_and_release([1, 2], key("released"), lock, record(0))
        for name, value in _PLAIN_VALUES.items():
            back = self.store.load(key(name))
            assert type(back) is type(value) and back == value, (name, back)
        assert self.store.load(key("released")) == [1, 2]
        states = self.store.signature_states([key(n) for n in _PLAIN_VALUES] + [key("none?")])
        wanted = {key(n) for n in _PLAIN_VALUES}
        assert {k: str(states[k]) for k in wanted} == dict.fromkeys(wanted, "signed")
        assert key("none?") not in states
        everything = self.store.signature_states()
        assert {str(everything[k]) for k in [*wanted, key("released")]} == {"signed"}

    def test_large_results_and_arrays_are_signed(self) -> None:
        if not self._signs():
            return
        self.store.signer = _signer("a")
        big = {"big": bytes(range(256)) * 40_000}  # ~10 MB: streamed by some stores
        self.store.dump(big, key("large"))
        assert self.store.load(key("large")) == big
        try:
            import numpy as np
        except ImportError:
            return
        arrays = {
            "plain": np.arange(200_000.0),
            "fortran_view": np.asfortranarray(np.arange(12.0).reshape(3, 4))[:, ::2],
            "masked": np.ma.array([1, 2], mask=[False, True]),
        }
        for name, value in arrays.items():
            self.store.dump(value, key(name))
        for name, value in arrays.items():
            back = self.store.load(key(name))
            assert type(back) is type(value) and back.tolist() == value.tolist(), name
        states = self.store.signature_states([key(n) for n in arrays] + [key("large")])
        assert {str(v) for v in states.values()} == {"signed"} and len(states) == 4

    def test_an_unsigned_result_is_refused_until_signed(self) -> None:
        if not self._signs():
            return
        self.store.dump({"a": 1}, key("old"))  # no key: unsigned
        self.store.signer = _signer("a")
        self._refused(key("old"), "unsigned")
        assert str(self.store.signature_states([key("old")])[key("old")]) == "unsigned"
        assert self.store.sign([key("old"), key("absent")]) == 1
        assert self.store.load(key("old")) == {"a": 1}
        assert str(self.store.signature_states([key("old")])[key("old")]) == "signed"

    def test_a_result_signed_with_another_key_is_refused(self) -> None:
        if not self._signs():
            return
        self.store.signer = _signer("a")
        self.store.dump([3], key("r"))
        self.store.signer = _signer("b")
        self._refused(key("r"), "forged")
        assert str(self.store.signature_states([key("r")])[key("r")]) == "forged"
        assert self.store.sign([key("r")]) == 1  # re-signed with the new key
        assert self.store.load(key("r")) == [3]

    def test_signed_results_are_read_without_a_key(self) -> None:
        if not self._signs():
            return
        self.store.signer = _signer("a")
        self.store.dump({"x": [1.5]}, key("s"))
        self.store.signer = None
        assert self.store.load(key("s")) == {"x": [1.5]}

    def test_nothing_is_unpickled_before_the_signature_is_checked(self) -> None:
        if not self._signs():
            return
        trip = os.path.join(tempfile.mkdtemp(prefix="jug-contract-"), "tripped")
        try:
            self.store.dump(Tripwire(trip), key("evil"))  # unsigned
            assert not os.path.exists(trip)
            self.store.signer = _signer("a")
            self._refused(key("evil"), "unsigned")
            self.store.signature_states()
            assert not os.path.exists(trip), "a refused result was unpickled"
        finally:
            shutil.rmtree(os.path.dirname(trip), ignore_errors=True)


class StoreContract(SigningContract):
    """The checks of the store contract (see the module's documentation).

    Override :meth:`make_store`. Each check makes its own store (:attr:`store`) in a fresh
    temporary directory, closed and deleted afterwards.
    """

    #: Seconds a lease lasts in the checks of expiry (short, so that they run fast).
    SHORT_LEASE = 1.0

    def make_store(self, directory: str) -> Store:
        """A fresh, empty store keeping its data in or below *directory* (if it needs one)."""
        raise NotImplementedError("a StoreContract subclass must define make_store()")

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def store(self) -> Store:
        """The store of the current check (made on first use)."""
        current = self.__dict__.get("_store")
        if current is None:
            self._directory = tempfile.mkdtemp(prefix="jug-contract-")
            current = self._store = self.make_store(self._directory)
        return current

    def teardown_method(self, method: Any = None) -> None:
        """Close the check's store and delete its directory (pytest calls this)."""
        current = self.__dict__.pop("_store", None)
        if current is not None:
            current.close()
        directory = self.__dict__.pop("_directory", None)
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)

    tearDown = teardown_method  # unittest's name

    # -- results ----------------------------------------------------------------------------

    def test_plain_values_round_trip(self) -> None:
        for name, value in _PLAIN_VALUES.items():
            self.store.dump(value, key(name))
        for name, value in _PLAIN_VALUES.items():
            assert self.store.can_load(key(name)), name
            back = self.store.load(key(name))
            assert type(back) is type(value) and back == value, (name, back)

    def test_numpy_arrays_round_trip(self) -> None:
        try:
            import numpy as np
        except ImportError:
            raise unittest.SkipTest("numpy is not installed") from None
        arrays = {
            "array": np.arange(10),
            "array_0d": np.array(3.5),
            "array_object": np.array([1, "a", None], dtype=object),
            "array_noncontiguous": np.arange(40).reshape(5, 8)[::2, 1::3],
            "array_fortran": np.asfortranarray(np.arange(12.0).reshape(3, 4)),
            "array_empty": np.zeros((0, 3)),
            "array_record": np.array([(1, 2.0)], dtype=[("a", "<i4"), ("b", "<f8")]),
            "array_bool": np.array([True, False]),
            "array_str": np.array(["ab", "c"]),
            "masked": np.ma.array([1, 2], mask=[False, True]),
        }
        for name, value in arrays.items():
            self.store.dump(value, key(name))
        for name, value in arrays.items():
            back = self.store.load(key(name))
            assert type(back) is type(value), name
            assert back.dtype == value.dtype and back.shape == value.shape, name
            assert back.tolist() == value.tolist(), name
        nested = {"a": [np.arange(3), np.ma.array([1, 2], mask=[False, True])]}
        self.store.dump(nested, key("nested"))
        back = self.store.load(key("nested"))
        assert back["a"][0].tolist() == [0, 1, 2]
        assert back["a"][1].mask.tolist() == [False, True]

    def test_large_result(self) -> None:
        big = bytes(range(256)) * 40_000  # ~10 MB
        value = {"big": big, "tail": list(range(1000))}
        self.store.dump(value, key("large"))
        assert self.store.load(key("large")) == value

    def test_dump_replaces(self) -> None:
        self.store.dump(1, key("a"))
        self.store.dump([2], key("a"))
        assert self.store.load(key("a")) == [2]
        assert _keys(self.store.list()) == [key("a")]

    def test_failed_dump_leaves_the_previous_value(self) -> None:
        self.store.dump("before", key("a"))
        try:
            self.store.dump(lambda: None, key("a"))  # cannot be pickled
        except Exception:
            pass
        else:
            raise AssertionError("dumping an unpicklable object did not raise")
        assert self.store.load(key("a")) == "before"
        assert not self.store.can_load(key("b"))
        try:
            self.store.dump(lambda: None, key("b"))
        except Exception:
            pass
        assert not self.store.can_load(key("b"))

    def test_missing_key(self) -> None:
        assert not self.store.can_load(key("nothing"))
        try:
            self.store.load(key("nothing"))
        except KeyError:
            pass
        else:
            raise AssertionError("load() of a missing key did not raise KeyError")
        assert self.store.remove(key("nothing")) is False

    def test_can_load_many_agrees_with_can_load(self) -> None:
        keys = [key(f"t{i}") for i in range(300)]
        for k in keys[::3]:
            self.store.dump(k, k)
        assert self.store.can_load_many(keys + [key("absent")]) == set(keys[::3])
        assert self.store.can_load_many([]) == set()
        assert self.store.can_load_many(iter(keys[:6])) == {keys[0], keys[3]}

    def test_remove_and_list(self) -> None:
        for i in range(5):
            self.store.dump(i, key(str(i)))
        assert _keys(self.store.list()) == sorted(key(str(i)) for i in range(5))
        assert self.store.remove(key("3")) is True
        assert not self.store.can_load(key("3"))
        assert _keys(self.store.list()) == sorted(key(str(i)) for i in (0, 1, 2, 4))

    def test_remove_many(self) -> None:
        for i in range(4):
            self.store.dump(i, key(str(i)))
        asked = [key("0"), key("2"), key("absent")]
        assert set(self.store.remove_many(asked)) == {key("0"), key("2")}
        assert _keys(self.store.list()) == sorted([key("1"), key("3")])

    def test_cleanup_removes_inactive_results_and_locks(self) -> None:
        for name in ("keep", "drop1", "drop2"):
            self.store.dump(name, key(name))
        assert self.store.getlock(key("keep")).get()
        assert self.store.getlock(key("droplock")).get()
        assert self.store.cleanup([key("keep")]) == 2  # results only, as the original
        assert _keys(self.store.list()) == [key("keep")]
        assert _keys(self.store.listlocks()) == [key("keep")]

    def test_cleanup_takes_tasks_too(self) -> None:
        class Task:  # what the original jug passed: objects with hash() -> bytes
            def __init__(self, name: str) -> None:
                self.name = name

            def hash(self) -> bytes:
                return key(self.name).encode()

        for name in ("keep", "drop"):
            self.store.dump(name, key(name))
        assert self.store.cleanup([Task("keep")], keeplocks=True) == 1
        assert _keys(self.store.list()) == [key("keep")]

    def test_cleanup_keeplocks(self) -> None:
        self.store.dump(1, key("keep"))
        self.store.dump(2, key("drop"))
        assert self.store.getlock(key("locked")).get()
        assert self.store.cleanup([key("keep")], keeplocks=True) == 1
        assert _keys(self.store.list()) == [key("keep")]
        assert _keys(self.store.listlocks()) == [key("locked")]

    # -- locks ------------------------------------------------------------------------------

    def test_lock_is_exclusive(self) -> None:
        first = self.store.getlock(key("t"))
        assert not first.is_locked()
        assert first.get()
        assert first.is_locked()
        assert not self.store.getlock(key("t")).get()
        assert not first.get(), "a second get() of the holder must not succeed"
        first.release()
        assert not first.is_locked()
        assert self.store.getlock(key("t")).get()

    def test_release_refresh_and_fail_are_owner_checked(self) -> None:
        holder = self.store.getlock(key("t"))
        other = self.store.getlock(key("t"))
        assert holder.get()
        other.release()
        assert holder.is_locked()
        assert other.refresh() is False
        assert other.fail("not mine") is False
        assert not holder.is_failed()
        assert holder.refresh() is True
        holder.release()
        assert not other.is_locked()

    def test_force_release(self) -> None:
        holder = self.store.getlock(key("t"))
        assert holder.get()
        self.store.getlock(key("t")).force_release()
        assert not holder.is_locked()
        assert holder.refresh() is False, "the holder must learn that it lost the lock"
        assert self.store.getlock(key("t")).get()

    def test_listlocks_and_remove_locks(self) -> None:
        for name in "abc":
            assert self.store.getlock(key(name)).get()
        assert _keys(self.store.listlocks()) == sorted(key(n) for n in "abc")
        assert self.store.remove_locks() == 3
        assert _keys(self.store.listlocks()) == []

    def test_lock_records_owner_and_lease(self) -> None:
        self.store.lease = 123.0
        lock = self.store.getlock(key("t"))
        before = time.time()
        assert lock.get()
        info = lock.info()
        assert info is not None
        assert info.lease == 123.0
        assert info.token and info.pid > 0 and info.host
        assert before - 1 <= info.started <= time.time() + 1
        assert info.state() is TaskState.RUNNING
        assert self.store.lock_infos()[key("t")].token == info.token

    def test_default_lease(self) -> None:
        lock = self.store.getlock(key("t"))
        assert lock.get()
        info = lock.info()
        assert info is not None and info.lease == DEFAULT_LEASE

    def test_lease_is_read_when_the_lock_is_taken(self) -> None:
        lock = self.store.getlock(key("t"))
        self.store.lease = 7.0
        assert lock.get()
        self.store.lease = 99.0
        info = lock.info()
        assert info is not None and info.lease == 7.0

    def test_records_handed_out_are_copies(self) -> None:
        assert self.store.getlock(key("t")).get()
        self.store.lock_infos()[key("t")].failed = True
        assert not self.store.getlock(key("t")).is_failed()

    def test_fail_records_the_error_and_never_goes_stale(self) -> None:
        self.store.lease = 0.2
        lock = self.store.getlock(key("t"))
        assert lock.get()
        assert lock.fail("Traceback (most recent call last):\nValueError: boom")
        assert lock.is_failed() and lock.is_locked()
        time.sleep(0.4)
        info = self.store.lock_infos()[key("t")]
        assert info.failed and "ValueError: boom" in info.error
        assert info.host and info.failed_at > 0
        assert info.state() is TaskState.FAILED
        assert not self.store.getlock(key("t")).get(), "a failed mark must never be taken"
        lock.release()  # the failing object no longer holds it: the mark stays
        assert self.store.getlock(key("t")).is_failed()
        self.store.getlock(key("t")).force_release()
        assert not self.store.getlock(key("t")).is_failed()
        assert self.store.getlock(key("t")).get()

    def test_expired_lease_is_reclaimed(self) -> None:
        self.store.lease = self.SHORT_LEASE
        first = self.store.getlock(key("t"))
        assert first.get()
        assert not self.store.getlock(key("t")).get()
        time.sleep(self.SHORT_LEASE + 0.3)
        # A stale lock is reported as such, or is gone (a server may expire it itself).
        stale = self.store.lock_infos().get(key("t"))
        assert stale is None or stale.state() is TaskState.STALE
        second = self.store.getlock(key("t"))
        assert second.get()
        assert self.store.lock_infos()[key("t")].state() is TaskState.RUNNING
        # The first holder lost it: all its owner operations are refused.
        assert first.refresh() is False
        assert first.fail("late") is False
        first.release()
        assert second.is_locked() and not second.is_failed()
        assert second.refresh() is True

    def test_refresh_keeps_the_lease_alive(self) -> None:
        # Margins of 0.7 s: a loaded machine may stall, and a stalled holder rightly loses.
        self.store.lease = self.SHORT_LEASE
        holder = self.store.getlock(key("t"))
        assert holder.get()
        for _ in range(4):
            time.sleep(0.3)
            assert holder.refresh()
            assert not self.store.getlock(key("t")).get()
        time.sleep(self.SHORT_LEASE + 0.3)
        assert self.store.getlock(key("t")).get()

    def test_lock_unless_done(self) -> None:
        lock = self.store.getlock(key("t"))
        assert self.store.lock_unless_done(key("t"), lock) is LockOutcome.LOCKED
        assert self.store.lock_unless_done(key("t"), self.store.getlock(key("t"))) is (
            LockOutcome.HELD
        )
        self.store.dump_and_release("done", key("t"), lock)
        assert self.store.load(key("t")) == "done"
        assert not lock.is_locked()
        other = self.store.getlock(key("t"))
        assert self.store.lock_unless_done(key("t"), other) is LockOutcome.DONE
        assert not other.is_locked()
        failed = self.store.getlock(key("f"))
        assert failed.get() and failed.fail("x")
        assert self.store.lock_unless_done(key("f"), self.store.getlock(key("f"))) is (
            LockOutcome.HELD
        )

    def test_dump_and_release_of_an_unpicklable_result_keeps_the_lock(self) -> None:
        lock = self.store.getlock(key("t"))
        assert lock.get()
        try:
            self.store.dump_and_release(lambda: None, key("t"), lock, record(1))
        except Exception:
            pass
        assert not self.store.can_load(key("t"))
        assert self.store.records() == {}, "no record without its result"
        assert lock.is_locked(), "the lock goes only once the result is saved"
        lock.release()

    # -- records: kept by a store whose keeps_records is true, by no other ------------------

    def kept(self, records: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """What :meth:`~jug.store.Store.records` must answer once *records* were given:
        all of them from a store that keeps records, none from one that does not."""
        return records if self.store.keeps_records else {}

    def _save(self, value: Any, name: str, rec: Record | None) -> None:
        lock = self.store.getlock(key(name))
        assert lock.get()
        self.store.dump_and_release(value, key(name), lock, rec)
        assert not lock.is_locked()

    def test_a_record_is_kept_with_its_result(self) -> None:
        self._save("v", "t", record(1))
        assert self.store.load(key("t")) == "v"
        mine = {key("t"): record_dict(record(1))}
        assert self.store.records([key("t"), key("none")]) == self.kept(mine)
        assert self.store.records() == self.kept(mine)
        assert self.store.record(key("t")) == self.kept(mine).get(key("t"))
        if self.store.keeps_records:
            assert self.store.record(key("t")) == {
                **_CONTEXT_FIELDS,
                "started": 1733500001.25,
                "ended": 1733500002.75,
                "duration": 1.5,
                "peak_rss": 123456790,
            }

    def test_records_are_read_in_bulk(self) -> None:
        keys = [key(f"r{i}") for i in range(50)]
        for i in range(50):
            self._save(i, f"r{i}", record(i))
        found = self.store.records(keys[::2] + [key("absent")])
        assert found == self.kept({keys[i]: record_dict(record(i)) for i in range(0, 50, 2)})

    def test_records_keep_their_own_context(self) -> None:
        other = RecordContext({"host": "node18", "pid": 7})
        self._save(1, "a", record(1))
        self._save(2, "b", (other, 1733500002 * 10**9, 250_000_000, 2048))
        self._save(3, "c", record(3))
        theirs = {"started": 1733500002.0, "ended": 1733500002.25, "duration": 0.25}
        assert self.store.records() == self.kept(
            {
                key("a"): record_dict(record(1)),
                key("b"): {"host": "node18", "pid": 7, **theirs, "peak_rss": 2048},
                key("c"): record_dict(record(3)),
            }
        )

    def test_a_new_result_replaces_or_voids_the_record(self) -> None:
        self._save(1, "t", record(1))
        self._save(2, "t", record(2))
        assert self.store.records() == self.kept({key("t"): record_dict(record(2))})
        self._save(3, "t", None)  # stored without a record: the old one described 2
        assert self.store.record(key("t")) is None
        self._save(4, "t", record(4))
        self.store.dump(5, key("t"))  # likewise
        assert self.store.record(key("t")) is None
        assert self.store.load(key("t")) == 5
        assert self.store.records() == {}

    def test_records_go_with_their_results(self) -> None:
        for i, name in enumerate(("keep", "drop", "removed")):
            self._save(name, name, record(i))
        assert self.store.remove(key("removed"))
        assert self.store.record(key("removed")) is None
        self.store.cleanup([key("keep")])
        assert self.store.records() == self.kept({key("keep"): record_dict(record(0))})

    def test_result_records_handed_out_are_copies(self) -> None:
        self._save("v", "t", record(1))
        for mine in (self.store.record(key("t")), *self.store.records().values()):
            if mine is not None:
                mine["changed"] = True
                mine["nested"].append(5)
        assert self.store.records() == self.kept({key("t"): record_dict(record(1))})
        assert record_dict(record(1))["nested"] == _CONTEXT_FIELDS["nested"]

    def test_lock_records_carry_the_batch_job(self) -> None:
        import jug.store

        saved = jug.store._Holder._me
        jug.store._Holder._me = None
        os.environ["SLURM_JOB_ID"] = "4242"
        try:
            lock = self.store.getlock(key("t"))
            assert lock.get()
            info = self.store.lock_infos()[key("t")]
            assert info.extra.get("job") == "4242", info
            assert info.extra.get("scheduler") == "slurm", info
            lock.release()
        finally:
            del os.environ["SLURM_JOB_ID"]
            jug.store._Holder._me = saved


# The context of the checks' records: JSON values of every kind, one nested.
_CONTEXT_FIELDS: dict[str, Any] = {
    "host": "node17",
    "pid": 4242,
    "array": True,
    "gpu": None,
    "nested": [1, "two", None, {"x": 0.5}],
}
_CONTEXT = RecordContext(_CONTEXT_FIELDS)


class Tripwire:
    """An object whose unpickling creates the file *path* (what a forged result could do:
    any code at all runs when it is unpickled)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (_trip, (self.path,))


def _trip(path: str) -> str:
    with open(path, "w") as out:
        out.write("unpickled")
    return path


def record(i: int) -> Record:
    """The *i*-th record of the checks, in their shared context: it started at
    1733500000.25 + *i* seconds and ran 1.5 s with 123456789 + *i* bytes at most."""
    return (_CONTEXT, 1733500000_250000000 + i * 10**9, 1_500_000_000, 123456789 + i)


class SharedStoreContract(StoreContract):
    """:class:`StoreContract` plus the checks with several processes sharing the store.

    Override :meth:`shared_jugdir` as well as :meth:`make_store`.
    """

    def shared_jugdir(self, store: Store) -> str:
        """A jugdir string with which another process opens *store* (through the
        ``jug.backends`` entry points)."""
        raise NotImplementedError("a SharedStoreContract subclass must define shared_jugdir()")

    def _shared(self) -> str:
        return self.shared_jugdir(self.store)

    def _race(self, jugdir: str, keys: list[str], nprocs: int) -> list[list[str]]:
        return race_for_locks(jugdir, keys, nprocs, os.path.join(self._directory, "go"))

    def test_processes_racing_for_locks_win_each_once(self) -> None:
        jugdir = self._shared()
        keys = [key(f"task{i}") for i in range(100)]
        won = self._race(jugdir, keys, nprocs=4)
        counts = {k: sum(k in w for w in won) for k in keys}
        assert counts == dict.fromkeys(keys, 1)
        assert _keys(self.store.listlocks()) == sorted(keys)

    def test_expired_leases_are_taken_over_by_exactly_one_process(self) -> None:
        jugdir = self._shared()
        self.store.lease = 0.3
        keys = [key(f"dead{i}") for i in range(40)]
        for k in keys:
            assert self.store.getlock(k).get()  # and never refreshed: a dead holder
        time.sleep(0.5)
        won = self._race(jugdir, keys, nprocs=5)
        counts = {k: sum(k in w for w in won) for k in keys}
        assert counts == dict.fromkeys(keys, 1)
        infos = self.store.lock_infos()
        assert sorted(infos) == sorted(keys)
        assert all(
            i.lease == DEFAULT_LEASE and i.state() is TaskState.RUNNING for i in infos.values()
        )

    def test_records_are_seen_by_other_processes(self) -> None:
        jugdir = self._shared()
        self._save(1, "mine", record(1))
        code = (
            "import sys; from jug.backend_registry import open_store; "
            "from jug.store import RecordContext; "
            "s = open_store(sys.argv[1]); print(repr(s.record(sys.argv[2]))); "
            "l = s.getlock(sys.argv[3]); assert l.get(); child = RecordContext({'who': 'child'}); "
            "s.dump_and_release(2, sys.argv[3], l, (child, 1733500003 * 10**9, 5 * 10**8, 6)); "
            "s.close()"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, jugdir, key("mine"), key("theirs")],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        mine = self.kept({key("mine"): record_dict(record(1))})
        assert done.stdout.strip() == repr(mine.get(key("mine")))
        theirs = {"who": "child", "started": 1733500003.0, "ended": 1733500003.5}
        assert self.store.records([key("mine"), key("theirs")]) == self.kept(
            {**mine, key("theirs"): {**theirs, "duration": 0.5, "peak_rss": 6}}
        )

    def test_results_are_seen_by_other_processes(self) -> None:
        jugdir = self._shared()
        self.store.dump({"a": 1}, key("shared"))
        code = (
            "import sys; from jug.backend_registry import open_store; "
            "s = open_store(sys.argv[1]); print(s.load(sys.argv[2])); s.dump(7, sys.argv[3]); "
            "s.close()"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, jugdir, key("shared"), key("back")],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "{'a': 1}"
        assert self.store.load(key("back")) == 7
