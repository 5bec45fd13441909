"""The store classes as the original jug's: names, key types, methods, and a backend
written from the original's template (``jug.backends.base``) running real tasks."""

from __future__ import annotations

import os
import pickle
import time

import pytest

import jug
import jug.backends
from jug.backends.dict_store import dict_store
from jug.backends.file_store import file_store
from jug.backends.memoize_store import memoize_store
from jug.execution import execute, task_states
from jug.execution.graph import TaskGraph
from jug.task import alltasks, describe
from jug.testing import scratch_modules

TASKS = """
from jug import TaskGenerator

@TaskGenerator
def double(x):
    return 2 * x

@TaskGenerator
def boom(x):
    raise ValueError(x)
"""


@pytest.fixture
def tasks_module(tmp_path):
    saved = jug.Task.store
    del alltasks[:]
    with scratch_modules(tmp_path / "mods") as make:
        (tmp_path / "mods").mkdir(exist_ok=True)
        yield make("compat_tasks", TASKS)
    del alltasks[:]
    jug.Task.store = saved


def test_names_as_in_the_original():
    assert jug.backends.dict_store is dict_store  # the class, not the module
    assert jug.backends.memoize_store is memoize_store
    assert jug.backends.file_store.file_store is file_store  # a module, as there
    assert jug.backends.redis_store.redis_store.__name__ == "redis_store"
    assert jug.dict_store is dict_store and jug.file_store is jug.backends.file_store
    assert jug.redis_store is jug.backends.redis_store
    assert jug.backends.select("dict_store").__class__ is dict_store
    store = dict_store()
    assert jug.backends.select(store) is store
    from jug.backends.base import base_lock, base_store
    from jug.backends.file_store import file_based_lock, file_keepalive_store

    assert issubclass(file_store, base_store) and issubclass(file_based_lock, base_lock)
    assert file_keepalive_store is file_store


@pytest.mark.parametrize("kind", ["file", "dict"])
def test_keys_are_bytes_and_cleanup_takes_tasks(kind, tmp_path, tasks_module):
    store = file_store(str(tmp_path / "j")) if kind == "file" else dict_store()
    jug.set_jugdir(store)
    keep, drop = tasks_module.double(1), tasks_module.double(2)
    for t in (keep, drop):
        t.run()
    assert sorted(store.list()) == sorted([keep.hash(), drop.hash()])
    assert all(type(k) is bytes for k in store.list())
    assert store.getlock(drop.hash()).get()
    assert store.listlocks() == [drop.hash()]
    # The original passed the tasks themselves; the count is of results only.
    assert store.cleanup([keep]) == 1
    assert list(store.list()) == [keep.hash()] and list(store.listlocks()) == []
    assert store.remove_many([keep.hash(), b"0" * 40]) == {keep.hash()}


def test_metadata_and_describe_on_the_file_store(tmp_path, tasks_module):
    store = jug.set_jugdir(file_store(str(tmp_path / "j")))
    t = tasks_module.double(3)
    assert describe(t) == {
        "name": "compat_tasks.double",
        "args": [3],
        "meta": {"computed": False},
    }
    t.run()
    meta = store.metadata(t)
    assert meta["computed"] is True
    assert meta["completed"] == time.ctime(os.stat(store._getfname(t.key())).st_mtime)
    assert dict_store().metadata(t) is None  # the original's dict store said nothing either
    file_store.remove_store(store.jugdir)
    assert not os.path.exists(store.jugdir)


def test_memoize_store_asks_once(tmp_path, tasks_module):
    base = jug.set_jugdir(file_store(str(tmp_path / "j")))
    done, locked = tasks_module.double(1), tasks_module.double(2)
    done.run()
    assert base.getlock(locked.key()).get()
    cached = memoize_store(base)
    assert cached.can_load(done.hash()) and not cached.can_load(locked.key())
    base.remove(done.key())
    assert cached.can_load(done.key())  # remembered, not asked again
    lock = cached.getlock(locked.key())
    assert lock.is_locked() and not lock.is_failed()
    listed = memoize_store(base, list_base=True)
    assert not listed.can_load(done.key()) and listed.getlock(locked.hash()).is_locked()
    for call in (lambda: cached.dump(1, done.key()), lambda: cached.load(done.key()), lock.get):
        with pytest.raises(NotImplementedError, match="read-only"):
            call()


# A backend written from the original's template: the methods it asks for, its key types
# (bytes from list/listlocks), a fail() without arguments and no force_release().
class pickles_store(jug.backends.base.base_store):
    def __init__(self, dname):
        super().__init__(dname)
        self.dname = dname
        os.makedirs(os.path.join(dname, "locks"), exist_ok=True)

    def _path(self, name, *sub):
        name = name.decode() if isinstance(name, bytes) else name
        return os.path.join(self.dname, *sub, name)

    def dump(self, object, name):
        with open(self._path(name) + ".tmp", "wb") as f:
            pickle.dump(object, f)
        os.rename(self._path(name) + ".tmp", self._path(name))

    def load(self, name):
        with open(self._path(name), "rb") as f:
            return pickle.load(f)

    def can_load(self, name):
        return os.path.exists(self._path(name))

    def list(self):
        return [n.encode() for n in os.listdir(self.dname) if len(n) == 40]

    def listlocks(self):
        return [n.encode() for n in os.listdir(os.path.join(self.dname, "locks"))]

    def remove(self, name):
        try:
            os.unlink(self._path(name))
        except FileNotFoundError:
            return False
        return True

    def cleanup(self, active, keeplocks=False):
        keep = {t.hash() for t in active}
        gone = [k for k in self.list() if k not in keep]
        for k in gone:
            self.remove(k)
        return len(gone)

    def remove_locks(self):
        locks = self.listlocks()
        for k in locks:
            os.unlink(self._path(k, "locks"))
        return len(locks)

    def getlock(self, name):
        return pickles_lock(self._path(name, "locks"))

    def close(self):
        pass


class pickles_lock(jug.backends.base.base_lock):
    def __init__(self, path):
        super().__init__()
        self.path = path

    def get(self):
        try:
            os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return False
        return True

    def release(self):
        if os.path.exists(self.path) and not self.is_failed():
            os.unlink(self.path)

    def is_locked(self):
        return os.path.exists(self.path)

    def fail(self):
        if not self.is_locked():
            return False
        with open(self.path, "w") as f:
            f.write("failed")
        return True

    def is_failed(self):
        try:
            with open(self.path) as f:
                return f.read() == "failed"
        except FileNotFoundError:
            return False


def test_a_backend_from_the_original_template_runs_tasks(tmp_path, tasks_module):
    store = pickles_store(str(tmp_path / "pickles"))
    jug.set_jugdir(store)
    good = [tasks_module.double(i) for i in range(5)]
    bad = tasks_module.boom(1)
    tasks = list(alltasks)
    result = execute(tasks, store, keep_going=True, keep_failed=True, progress=False)
    assert dict(result.executed) == {"compat_tasks.double": 5}
    assert [f.name for f in result.failures] == ["compat_tasks.boom"]
    assert [jug.value(t) for t in good] == [0, 2, 4, 6, 8]
    # fail() was called without the traceback this lock cannot keep, and status sees it.
    assert store.getlock(bad.hash()).is_failed()
    graph = TaskGraph(tasks)
    states = task_states(graph.order, graph.deps, store)
    assert states[bad.key()] == "failed" and states[good[0].key()] == "finished"
    # Tasks restart after the failure mark is removed (force_release falls back to release,
    # which this lock refuses for a failed mark: remove_locks, as with the original).
    assert store.remove_locks() == 1
    again = execute(tasks, store, keep_going=True, progress=False)
    assert dict(again.loaded) == {"compat_tasks.double": 5} and len(again.failures) == 1
    assert store.cleanup(good[:2]) == 3
    # jug cleanup passes the tasks, as the original did: this store calls their hash().
    from jug.subcommands.cleanup import remove_unused

    assert remove_unused(store, good[:1]) == 1
    assert [jug.value(good[0])] == [0] and not good[1].can_load(store)


def test_file_keepalive_jugdir_is_the_file_store(project):
    project.write("jugfile.py", TASKS + "\ndouble(4)\n")
    done = project.jug("execute", "--jugdir", "file_keepalive:kept")
    assert done.returncode == 0, done.stderr
    assert len([p for p in (project.path / "kept").iterdir() if len(p.name) == 2]) == 1
    assert project.jug("status", "--jugdir", "file_keepalive:kept").returncode == 0
