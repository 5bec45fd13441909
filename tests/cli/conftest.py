"""Helpers for the jug-cli tests: run the real ``jug`` program in a scratch project.

The helpers themselves are jug.testing's (a JugProject gives every subprocess its own HOME,
so the user's configuration files never leak in); these fixtures hand them to the tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import jug.testing
from jug.testing import JugProject, MemoryStore, parse_status_table, parse_summary_table, wait_until


@pytest.fixture
def project(tmp_path: Path) -> JugProject:
    return JugProject(tmp_path)


@pytest.fixture
def wait() -> Callable[..., None]:
    return wait_until


@pytest.fixture
def parse_status() -> Callable[[str], dict[str, list[int]]]:
    return parse_status_table


@pytest.fixture
def parse_summary() -> Callable[[str], dict[str, list[int]]]:
    return parse_summary_table


_HASHES = """
import json, sys
import jug
from jug.task import alltasks
jug.init(sys.argv[1], 'dict_store')
out = {}
for t in alltasks:
    out.setdefault(t.name, []).append(t.hash().decode())
print(json.dumps(out))
"""


def task_hashes(project: JugProject, jugfile: str = "jugfile.py") -> dict[str, list[str]]:
    """Task name → hashes (in definition order) of *jugfile*'s tasks, computed by jug."""
    return project.python(_HASHES, jugfile)


@pytest.fixture
def hashes() -> Callable[..., dict[str, list[str]]]:
    return task_hashes


@pytest.fixture
def memory_store() -> Iterator[MemoryStore]:
    """A fresh jug.testing.MemoryStore installed as Task.store; alltasks cleared around it."""
    with jug.testing.memory_store() as store:
        yield store
