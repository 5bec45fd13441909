"""The backends are reached through the ``jug.backends`` entry points, via jug.set_jugdir."""

from __future__ import annotations

import os
from importlib.metadata import entry_points

import pytest

import jug
from jug.backends.dict_store import dict_store
from jug.backends.file_store import file_store
from jug.errors import UnknownBackendError
from jug.task import Task


@pytest.fixture(autouse=True)
def restore_task_store():
    saved = Task.store
    yield
    Task.store = saved


def test_entry_points_registered():
    eps = {ep.name: ep for ep in entry_points(group="jug.backends")}
    assert {"file", "dict_store", "dict"} <= set(eps)
    assert eps["file"].value == "jug.backends.file_store:from_jugdir"
    assert eps["dict_store"].value == "jug.backends.dict_store:from_jugdir"
    assert eps["dict"].value == eps["dict_store"].value
    for name in ("file", "dict_store", "dict"):
        assert callable(eps[name].load())


def test_set_jugdir_file(tmp_path):
    store = jug.set_jugdir(str(tmp_path / "x.jugdata"))
    assert isinstance(store, file_store)
    assert store.jugdir == str(tmp_path / "x.jugdata")
    assert Task.store is store
    store = jug.set_jugdir("file:" + str(tmp_path / "y.jugdata"))
    assert isinstance(store, file_store)
    assert store.jugdir == str(tmp_path / "y.jugdata")


def test_set_jugdir_dict(tmp_path):
    store = jug.set_jugdir("dict_store")
    assert isinstance(store, dict_store) and store.backend is None
    store = jug.set_jugdir(f"dict_store:{tmp_path / 'f.pickle'}")
    assert isinstance(store, dict_store) and store.backend == str(tmp_path / "f.pickle")
    store = jug.set_jugdir(f"dict:{tmp_path / 'g.pickle'}")  # the alias
    assert isinstance(store, dict_store) and store.backend == str(tmp_path / "g.pickle")


def test_unknown_scheme_lists_backends(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UnknownBackendError) as info:
        jug.set_jugdir("nosuchbackend:somewhere")
    message = str(info.value)
    assert "nosuchbackend" in message
    for name in ("file", "dict_store"):
        assert name in message
    assert os.listdir(tmp_path) == []  # no directory silently created


def test_importing_jug_backends_is_light(python_run):
    proc = python_run(
        """
        import sys
        import jug.backends
        print(sorted(m for m in sys.modules if m.startswith("jug.backends.")))
        print("numpy" in sys.modules)
        """
    )
    assert proc.stdout.split("\n")[:2] == ["[]", "False"]


def test_selecting_file_store_imports_no_other_backend(tmp_path, python_run):
    proc = python_run(
        """
        import sys
        import jug
        jug.set_jugdir(sys.argv[1])
        print(sorted(m for m in sys.modules if m.startswith("jug.backends.")))
        print("numpy" in sys.modules, "redis" in sys.modules)
        """,
        str(tmp_path / "x.jugdata"),
    )
    mods, flags = proc.stdout.splitlines()[:2]
    assert "jug.backends.dict_store" not in mods and "jug.backends.file_store" in mods
    assert flags == "False False"


def test_select_compat(tmp_path):
    from jug.backends.select import select

    store = select(str(tmp_path / "s.jugdata"))
    assert isinstance(store, file_store)
    assert select(store) is store
    assert isinstance(select("dict_store"), dict_store)
