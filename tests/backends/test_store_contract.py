"""The store contract (jug.testing.store_contract), run against every store we ship or test:
the file store, dict_store, dict_store:FILE, the reference MemoryStore, the SQLite plugin
of tests/plugins, and the redis store on Redis 7 and on Valkey."""

from __future__ import annotations

import os

import pytest

from jug.backend_registry import open_store
from jug.backends.dict_store import dict_store
from jug.backends.file_store import file_store
from jug.store import as_key
from jug.testing import MemoryStore
from jug.testing.store_contract import SharedStoreContract, StoreContract, key


class TestFileStore(SharedStoreContract):
    def make_store(self, directory):
        return file_store(os.path.join(directory, "store.jugdata"))

    def shared_jugdir(self, store):
        return store.jugdir


class TestDictStore(StoreContract):
    def make_store(self, directory):
        return dict_store()


class TestDictStoreFile(StoreContract):
    def make_store(self, directory):
        return dict_store(os.path.join(directory, "store.pickle"))


class TestMemoryStore(StoreContract):
    def make_store(self, directory):
        return MemoryStore()


class TestSQLitePlugin(SharedStoreContract):
    """A third-party backend, found through its entry point."""

    def make_store(self, directory):
        return open_store(f"memtest:{os.path.join(directory, 'store.sqlite')}")

    def shared_jugdir(self, store):
        return f"memtest:{store.path}"


class _OnServer(SharedStoreContract):
    server_kind = ""
    suffix = ""

    @pytest.fixture(autouse=True)
    def _server(self, request):
        self.server = request.getfixturevalue(f"{self.server_kind}_server")
        self.server.flush()

    def make_store(self, directory):
        return open_store(self.server.url + self.suffix)

    def shared_jugdir(self, store):
        return self.server.url + self.suffix


@pytest.mark.requires_redis
class TestRedis7(_OnServer):
    """Redis 7, with the original's bare keys."""

    server_kind = "redis7"


@pytest.mark.requires_redis
class TestValkey(_OnServer):
    """Valkey, with a key prefix."""

    server_kind = "valkey"
    suffix = "?prefix=contract"


def test_the_contract_can_fail():
    """A store that breaks the contract is caught: a lock anyone can take twice."""

    class LeakyStore(MemoryStore):
        def getlock(self, k):
            lock = super().getlock(k)
            lock.get = lambda: True  # every get() succeeds
            return lock

    class Check(StoreContract):
        def make_store(self, directory):
            return LeakyStore()

    check = Check()
    with pytest.raises(AssertionError):
        check.test_lock_is_exclusive()
    check.teardown_method()


def test_builtin_stores_accept_the_bytes_of_task_hashes(builtin_store):
    """As the original's stores did: store.load(task.hash()) with bytes."""
    builtin_store.dump("v", key("x").encode())
    assert builtin_store.can_load(key("x"))
    assert builtin_store.load(key("x").encode()) == "v"
    assert list(map(as_key, builtin_store.list())) == [key("x")]
