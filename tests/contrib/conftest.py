"""Helpers for the jug-contrib tests: real ``jug`` processes in scratch projects, an
in-memory store for API tests, and a clean hook registry around every test.

The helpers themselves are jug.testing's; these fixtures hand them to the tests.
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
)


@pytest.fixture
def project(tmp_path: Path) -> JugProject:
    return JugProject(tmp_path)


@pytest.fixture
def parse_status() -> Callable[[str], dict[str, list[int]]]:
    return parse_status_table


@pytest.fixture
def parse_summary() -> Callable[[str], dict[str, list[int]]]:
    return parse_summary_table


@pytest.fixture
def memory_store() -> Iterator[MemoryStore]:
    """A fresh jug.testing.MemoryStore installed as Task.store; alltasks cleared around it."""
    with jug.testing.memory_store() as store:
        yield store


@pytest.fixture(autouse=True)
def _clean_hooks() -> Iterator[None]:
    """Hooks registered by one test never leak into another."""
    from jug.hooks import reset_all_hooks

    reset_all_hooks()
    yield
    reset_all_hooks()


@pytest.fixture
def module_factory(tmp_path: Path) -> Iterator[Callable[[str, str], ModuleType]]:
    """Write Python source to a real module and import it (so pickling by name works)."""
    with scratch_modules(tmp_path) as make:
        yield make
