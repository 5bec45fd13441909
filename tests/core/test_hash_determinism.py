"""Hashes do not depend on the process: hash randomisation, insertion order, mixed keys."""

import os
import subprocess
import sys

from jug.hash import hash_one

SCRIPT = r"""
import sys, types
from jug.hash import hash_one
from jug import TaskGenerator
m = types.ModuleType("jugfile"); sys.modules["jugfile"] = m
exec("from jug import TaskGenerator\n@TaskGenerator\ndef f(*a, **k): return 0\n", m.__dict__)
objs = [
    {"alpha", "beta", "gamma", "delta"},
    frozenset({"x", "y", "zz", "www"}),
    {"b": 1, "a": 2, 3: "c", (1, "t"): None, None: 0},
    {frozenset({"p", "q"}): {"inner", "set"}},
]
print(" ".join(hash_one(o).decode() for o in objs))
print(m.f({"s", "t", "u"}, k=frozenset({"v", "w"})).hash().decode())
"""


def _run(seed):
    env = dict(os.environ, PYTHONHASHSEED=str(seed))
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout


def test_hashes_equal_across_processes_with_different_hash_seeds():
    outputs = {_run(seed) for seed in (0, 1, 2, 12345)}
    assert len(outputs) == 1, outputs


def test_dict_and_set_hash_ignore_insertion_order():
    a = {"x": 1, "y": 2, 3: 4}
    b = {3: 4, "y": 2, "x": 1}
    assert hash_one(a) == hash_one(b)
    assert hash_one({"p", "q", "r"}) == hash_one({"r", "q", "p"})
    assert hash_one(frozenset({"p", "q"})) != hash_one({"p", "q"})


def test_containers_are_distinguished_by_type():
    assert hash_one([1, 2]) != hash_one((1, 2))
    assert hash_one({1: 2}) != hash_one([(1, 2)])


def test_jug_hash_may_return_str_or_bytes():
    class S:
        def __jug_hash__(self):
            return "abc"

    class B:
        def __jug_hash__(self):
            return b"abc"

    assert hash_one(S()) == hash_one(B())


def test_pickle_protocol_is_pinned():
    # The labels and leaves are pickled with protocol 4 whatever the interpreter default.
    import pickle

    from jug import hash as jug_hash

    assert jug_hash.HASH_PICKLE_PROTOCOL == 4
    assert pickle.dumps("hash1", 4) in _fed_bytes(1)


def _fed_bytes(obj):
    fed = []

    class Recorder:
        def update(self, data):
            fed.append(bytes(data))

    from jug.hash import hash_update

    hash_update(Recorder(), [("hash1", obj)])
    return fed
