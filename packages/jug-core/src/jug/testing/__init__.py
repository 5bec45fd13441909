"""Helpers for testing code that uses jug, and backends written for it.

Everything here needs nothing but jug-core and the standard library, so it can be imported
in any test suite:

:mod:`jug.testing.memory`
    in the test's own process: :class:`MemoryStore` (the reference in-memory store),
    :func:`memory_store`, :func:`run_all`, :func:`scratch_modules`;
:mod:`jug.testing.projects`
    with real ``jug`` processes: :class:`JugProject`, :func:`parse_status_table`,
    :func:`parse_summary_table`, :func:`wait_until`, :func:`counting_jugfile`,
    :func:`count_executions`, :data:`HOLDING_JUGFILE`;
:mod:`jug.testing.store_contract`
    the checks every store must pass, to run against your own backend.

The names of the first two are available from :mod:`jug.testing` itself.
"""

from __future__ import annotations

from .memory import MemoryStore, memory_store, run_all, scratch_modules
from .projects import (
    HOLDING_JUGFILE,
    JugProject,
    count_executions,
    counting_jugfile,
    parse_status_table,
    parse_summary_table,
    wait_until,
)

__all__ = [
    "HOLDING_JUGFILE",
    "JugProject",
    "MemoryStore",
    "count_executions",
    "counting_jugfile",
    "memory_store",
    "parse_status_table",
    "parse_summary_table",
    "run_all",
    "scratch_modules",
    "wait_until",
]
