"""Fixtures of the jug-contrib tests: a clean hook registry around every test.

The scratch projects, table parsers, in-memory store and module factory are the shared
fixtures of tests/conftest.py (jug.testing's helpers).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _clean_hooks() -> Iterator[None]:
    """Hooks registered by one test never leak into another."""
    from jug.hooks import reset_all_hooks

    reset_all_hooks()
    yield
    reset_all_hooks()
