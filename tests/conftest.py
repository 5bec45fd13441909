"""Fixtures shared by every test directory: thin wrappers of jug.testing's helpers.

Only jug-core (and the standard library) is imported here, so tests/core still runs with
jug-core alone installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

import jug.testing
from jug.testing import (
    JugProject,
    MemoryStore,
    parse_status_table,
    parse_summary_table,
    scratch_modules,
    wait_until,
)


@pytest.fixture
def project(tmp_path: Path) -> JugProject:
    """A scratch project in the test's directory where the real ``jug`` runs."""
    return JugProject(tmp_path)


@pytest.fixture
def parse_status() -> Callable[[str], dict[str, list[int]]]:
    return parse_status_table


@pytest.fixture
def parse_summary() -> Callable[[str], dict[str, list[int]]]:
    return parse_summary_table


@pytest.fixture
def wait() -> Callable[..., None]:
    return wait_until


@pytest.fixture
def memory_store() -> Iterator[MemoryStore]:
    """A fresh jug.testing.MemoryStore installed as Task.store; alltasks cleared around it."""
    with jug.testing.memory_store() as store:
        yield store


@pytest.fixture
def module_factory(tmp_path: Path) -> Iterator[Callable[[str, str], ModuleType]]:
    """Write Python source to a real module and import it (so pickling by name works)."""
    with scratch_modules(tmp_path) as make:
        yield make
