"""What a code fingerprint (:mod:`jug.execution.codehash`) covers, and that it is the same
in every process: each case writes a small project, computes a fingerprint in a fresh
interpreter (with its own hash seed) and compares it with the base project's."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from jug import TaskGenerator
from jug.execution import codehash, execute
from jug.execution.codehash import CHANGED, SAME, UNKNOWN, code_changes, compare, fingerprint
from jug.execution.options import ExecutionOptions
from jug.testing import MemoryStore

JUGFILE = '''
import functools
import json

import helpers
from helpers import Scaler, helper

LIMIT = 10
TABLE = {"a": 1, "b": (2, 3.5)}
WORDS = frozenset({"alpha", "beta", "gamma", "delta"})


def deco(f):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        return f(*args, **kwargs)

    return wrapper


@deco
def decorated(x):
    return x + 1


def make_adder(n):
    def add(x):
        return x + n

    return add


add_two = make_adder(2)


def compute(x, scale=2):
    """Scale x, and more."""
    total = helper(x) * scale  # a comment
    squares = [i * i for i in range(x)]
    total += LIMIT + TABLE["a"] + len(WORDS) + helpers.other(x) + Scaler(2).apply(x)
    total += decorated(x) + add_two(x) + sum(squares)
    return json.dumps(total)


def unrelated(x):
    return x
'''

HELPERS = """
SCALE = 3


def helper(x):
    return x * SCALE


def other(x):
    return x - 1


def not_called(x):
    return x


class Scaler:
    def __init__(self, k):
        self.k = k

    def apply(self, x):
        return x * self.k
"""

# Runs in a fresh interpreter in the project: the fingerprint of jugfile.compute.
_PRINT = """
import sys
sys.path.insert(0, sys.argv[1])
import jugfile
from jug.execution.codehash import fingerprint
print(fingerprint(jugfile.compute))
"""


def _fingerprint(where: Path, seed: str = "1") -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [sys.executable, "-c", _PRINT, str(where)],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _project(where: Path, jugfile: str = JUGFILE, helpers: str = HELPERS) -> Path:
    where.mkdir(parents=True)
    (where / "jugfile.py").write_text(textwrap.dedent(jugfile))
    (where / "helpers.py").write_text(textwrap.dedent(helpers))
    return where


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> str:
    return _fingerprint(_project(tmp_path_factory.mktemp("code") / "base"))


def test_the_same_in_every_process_and_directory(tmp_path, base):
    assert base.startswith(sys.implementation.cache_tag + ":") and len(base.split(":")[1]) == 32
    elsewhere = _project(tmp_path / "some" / "other" / "place")
    # Another hash seed (set and dict orders differ), another directory.
    assert _fingerprint(elsewhere, seed="4242") == base
    assert _fingerprint(elsewhere, seed="0") == base


def _edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


# (what changes, jugfile, helpers): each changes the fingerprint.
CHANGES = [
    (
        "the body",
        _edit(JUGFILE, "return json.dumps(total)", "return json.dumps(total + 1)"),
        HELPERS,
    ),
    ("a comprehension", _edit(JUGFILE, "i * i for", "i * i * i for"), HELPERS),
    ("a default argument", _edit(JUGFILE, "scale=2", "scale=3"), HELPERS),
    (
        "an argument's name",
        _edit(JUGFILE, "x, scale=2", "x, factor=2").replace(") * scale", ") * factor"),
        HELPERS,
    ),
    ("the docstring", _edit(JUGFILE, "Scale x, and more.", "Scale x."), HELPERS),
    ("a module constant", _edit(JUGFILE, "LIMIT = 10", "LIMIT = 11"), HELPERS),
    ("a dict constant", _edit(JUGFILE, '"b": (2, 3.5)', '"b": (2, 3.25)'), HELPERS),
    ("a set constant", _edit(JUGFILE, '"delta"', '"epsilon"'), HELPERS),
    ("a decorated helper", _edit(JUGFILE, "return x + 1", "return x + 2"), HELPERS),
    ("a closure's value", _edit(JUGFILE, "make_adder(2)", "make_adder(3)"), HELPERS),
    ("a closure's code", _edit(JUGFILE, "return x + n", "return x - n"), HELPERS),
    ("an imported helper", JUGFILE, _edit(HELPERS, "return x * SCALE", "return x * SCALE + 0")),
    ("a constant of another module", JUGFILE, _edit(HELPERS, "SCALE = 3", "SCALE = 4")),
    ("module.function", JUGFILE, _edit(HELPERS, "return x - 1", "return x - 2")),
    ("a method", JUGFILE, _edit(HELPERS, "return x * self.k", "return x * self.k * 1")),
    ("a constructor", JUGFILE, _edit(HELPERS, "self.k = k", "self.k = -k")),
]

# Each leaves the fingerprint as it is.
SAME_CASES = [
    ("a local variable's name", JUGFILE.replace("total", "subtotal"), HELPERS),
    ("comments and blank lines", _edit(JUGFILE, "# a comment", "# another comment\n\n"), HELPERS),
    ("lines above", "\n\n# moved down\n" + JUGFILE, HELPERS),
    ("an unrelated function", _edit(JUGFILE, "return x\n", "return x * 7\n"), HELPERS),
    (
        "a function not called",
        JUGFILE,
        _edit(HELPERS, "def not_called(x):\n    return x", "def not_called(x):\n    return -x"),
    ),
    ("a new function", JUGFILE + "\n\ndef newcomer():\n    return 1\n", HELPERS),
]


@pytest.mark.parametrize(("what", "jugfile", "helpers"), CHANGES, ids=[c[0] for c in CHANGES])
def test_a_change_changes_the_fingerprint(tmp_path, base, what, jugfile, helpers):
    assert _fingerprint(_project(tmp_path / "p", jugfile, helpers)) != base, what


@pytest.mark.parametrize(("what", "jugfile", "helpers"), SAME_CASES, ids=[c[0] for c in SAME_CASES])
def test_what_does_not_change_it(tmp_path, base, what, jugfile, helpers):
    assert _fingerprint(_project(tmp_path / "p", jugfile, helpers)) == base, what


def test_libraries_are_not_followed(tmp_path, base):
    """A module under site-packages is not the user's: changing it changes nothing (its
    functions are covered by name only, as json.dumps is above)."""
    lib = tmp_path / "p" / "venv" / "lib" / "site-packages"
    project = _project(
        tmp_path / "p",
        JUGFILE.replace(
            "import json\n",
            "import sys\nsys.path.insert(0, 'venv/lib/site-packages')\nimport mylib\n",
        ),
    )
    (project / "jugfile.py").write_text(
        (project / "jugfile.py").read_text().replace("json.dumps(total)", "mylib.dumps(total)")
    )
    lib.mkdir(parents=True)
    (lib / "mylib.py").write_text("def dumps(x):\n    return str(x)\n")
    first = _fingerprint(project)
    (lib / "mylib.py").write_text("def dumps(x):\n    return repr(x)\n")
    assert _fingerprint(project) == first


def test_which_library_function_a_name_is(tmp_path):
    """``from math import floor as rounding`` → ``ceil as rounding``: same bytecode, same
    names in the function, another function behind the name."""
    uses = _edit(JUGFILE, "sum(squares)", "rounding(sum(squares))")
    floor = _edit(uses, "import json\n", "import json\nfrom math import floor as rounding\n")
    ceil = _edit(uses, "import json\n", "import json\nfrom math import ceil as rounding\n")
    assert _fingerprint(_project(tmp_path / "floor", floor)) != _fingerprint(
        _project(tmp_path / "ceil", ceil)
    )


def test_in_process_functions_and_callables():
    def local(x):
        return x + 1

    assert fingerprint(local) == fingerprint(local)
    assert fingerprint(len).startswith(sys.implementation.cache_tag + ":")  # a C function
    assert fingerprint(len) != fingerprint(sum)


def test_compare():
    tag = sys.implementation.cache_tag
    now = f"{tag}:{'a' * 32}"
    assert compare(now, now) == SAME
    assert compare(f"{tag}:{'b' * 32}", now) == CHANGED
    assert compare(None, now) == UNKNOWN  # recorded without --code-hash
    assert compare(f"cpython-399:{'b' * 32}", now) == UNKNOWN  # another Python's bytecode
    assert compare(now, None) == UNKNOWN
    assert compare(12, now) == UNKNOWN


# -- in the execution loop (jug-core only) ---------------------------------------------------


@TaskGenerator
def double(x):
    return 2 * x


@TaskGenerator
def add(a, b):
    return a + b


class _NoRecords(MemoryStore):
    keeps_records = False


def test_one_context_per_function_and_one_fingerprint_per_run(store, monkeypatch):
    calls: list[object] = []
    real = codehash.fingerprint
    monkeypatch.setattr(codehash, "fingerprint", lambda f: calls.append(f) or real(f))
    doubles = [double(i) for i in range(4)]
    sums = [add(doubles[i], doubles[i + 1]) for i in range(3)]
    assert execute(doubles + sums, store, code_hash=True).ok
    assert sorted(f.__name__ for f in calls) == ["add", "double"]  # not once per task
    contexts = {t.name: {id(store.records_kept[t.key()][0])} for t in doubles + sums}
    for t in doubles + sums:
        contexts[t.name].add(id(store.records_kept[t.key()][0]))
    assert all(len(ids) == 1 for ids in contexts.values())  # one object per function
    record = store.record(doubles[0].key())
    assert record["code"] == real(double) and record["host"] == os.uname().nodename
    assert store.record(sums[0].key())["code"] == real(add) != real(double)
    assert code_changes(doubles + sums, store).total(SAME) == 7


def test_without_the_option_no_fingerprint(store, monkeypatch):
    monkeypatch.setattr(codehash, "fingerprint", lambda f: pytest.fail("fingerprinted"))
    t = double(1)
    assert execute([t], store).ok
    assert "code" not in store.record(t.key())
    changes = code_changes([t], store)
    assert changes.fingerprinted == 0 and dict(changes.counts[t.name]) == {
        SAME: 0,
        CHANGED: 0,
        UNKNOWN: 1,
    }


def test_a_store_without_records_gets_a_warning(caplog):
    s = _NoRecords()
    t = double(2)
    with caplog.at_level("WARNING", logger="jug"):
        assert execute([t], s, code_hash=True).ok
    assert t.value() == 4
    assert "keeps no provenance records" in caplog.text


def test_the_option_is_an_execution_option():
    assert ExecutionOptions().code_hash is False
    assert ExecutionOptions(code_hash=True).replace(keep_going=True).code_hash is True
    assert "code_hash" in ExecutionOptions.FIELDS


class _Unhashable:
    """A callable object that cannot be a dict key (``__eq__`` without ``__hash__``)."""

    __name__ = "unhashable"

    def __eq__(self, other):
        return self is other

    def __call__(self, x):
        return x + 1


def test_an_unhashable_task_function_is_saved_without_a_fingerprint(store):
    from jug import Task

    t = Task(_Unhashable(), 1)
    assert execute([t], store, code_hash=True).ok
    assert t.value() == 2 and "code" not in store.record(t.key())
