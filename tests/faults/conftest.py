"""Fixtures of the fault-injection suite (the shared ones are in tests/conftest.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from jug.testing import JugProject

#: Tasks whose results (8 MB of random doubles) take a while to save, so that a signal sent
#: at a random moment often lands while a result is being written.
BIG_RESULTS = """\
import os
import numpy as np
from jug import TaskGenerator

MARKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "marks")
os.makedirs(MARKS, exist_ok=True)
N = 1_000_000

def expected(i):
    return np.random.default_rng(i).random(N)

@TaskGenerator
def big(i):
    open(os.path.join(MARKS, f"big{i}-{os.getpid()}-{os.urandom(4).hex()}"), "w").close()
    return expected(i)

results = [big(i) for i in range({tasks})]
"""

#: Prints how many results the store holds, after checking that each is whole and right.
CHECK_RESULTS = """
import json, sys
import numpy as np
import jug
from jug.task import alltasks
_, ns = jug.init("jugfile.py", sys.argv[1])
loaded = 0
for t in alltasks:
    if t.can_load():
        assert np.array_equal(t.value(), ns["expected"](t.args[0])), t
        loaded += 1
print(json.dumps(loaded))
"""


@pytest.fixture
def big_results() -> SimpleNamespace:
    """A jugfile of tasks with 8 MB results, and a check of the results in a store.

    ``big_results.jugfile`` is the source (``big_results.tasks`` tasks);
    ``big_results.check(project, jugdir)`` returns how many results the store holds, after
    asserting (in a new interpreter) that each of them loads and is right.
    """
    tasks = 24

    def check(project: JugProject, jugdir: str) -> int:
        return int(project.python(CHECK_RESULTS, jugdir))

    return SimpleNamespace(
        jugfile=BIG_RESULTS.replace("{tasks}", str(tasks)), tasks=tasks, check=check
    )
