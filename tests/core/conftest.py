"""Fixtures for jug-core tests: they need nothing but jug-core (see jug.testing)."""

import pytest

from jug.testing import memory_store, scratch_modules


@pytest.fixture
def store():
    """A fresh in-memory store installed as the tasks' store; alltasks cleared around it."""
    with memory_store() as s:
        yield s


@pytest.fixture
def module_factory(tmp_path):
    """Write Python source to a real module and import it (so pickling by name works)."""
    with scratch_modules(tmp_path) as make:
        yield make
