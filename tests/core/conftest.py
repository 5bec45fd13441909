"""Fixtures for jug-core tests: they need nothing but jug-core (see jug.testing)."""

import sys

import pytest

from jug import task as jug_task
from jug.testing import MemoryStore


@pytest.fixture
def store():
    """A fresh in-memory store installed as the tasks' store; alltasks cleared around it."""
    saved = jug_task.Task.store
    del jug_task.alltasks[:]
    s = MemoryStore()
    jug_task.Task.store = s
    yield s
    jug_task.Task.store = saved
    del jug_task.alltasks[:]


@pytest.fixture
def module_factory(tmp_path, monkeypatch):
    """Write Python source to a real module and import it (so pickling by name works)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    created = []

    def make(name, source):
        (tmp_path / f"{name}.py").write_text(source)
        sys.modules.pop(name, None)
        created.append(name)
        return __import__(name)

    yield make
    for name in created:
        sys.modules.pop(name, None)
