"""Fixtures of the jug-cli tests (the scratch projects, table parsers and in-memory store
are the shared fixtures of tests/conftest.py, from jug.testing)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jug.testing import JugProject

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
