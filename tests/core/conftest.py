"""Fixtures for jug-core tests: they need nothing but jug-core (see jug.testing)."""

import pytest

from jug.testing import memory_store


@pytest.fixture
def store():
    """A fresh in-memory store installed as the tasks' store; alltasks cleared around it."""
    with memory_store() as s:
        yield s
