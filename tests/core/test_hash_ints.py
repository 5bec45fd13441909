"""The fast path for lists of ints feeds exactly the bytes of the generic rule.

Every test runs twice: with numpy (imported, so used for fragmented stretches) and without
(``_hash_ints._USE_NUMPY`` off: the pure-Python path).
"""

import hashlib
import pickle
import random
import subprocess
import sys
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jug import _hash_ints
from jug import hash as jug_hash
from jug._hash_ints import feed_int_sequence

EDGES = [
    0,
    1,
    255,
    256,
    65535,
    65536,
    2**31 - 1,
    2**31,
    -1,
    -255,
    -256,
    -65535,
    -65536,
    -(2**31),
    -(2**31) - 1,
    2**32,
    2**39 - 1,
    2**39,
    -(2**39),
    -(2**39) - 1,
    -(2**47),
    -(2**55),
    2**63 - 1,
    -(2**63),
    2**63,
    -(2**63) - 1,
    2**70,
    -(2**70),
    2**300,
]
MODES = ["numpy", "pure"]


@contextmanager
def _mode(mode):
    """Hash with numpy (imported, so used) or with the pure-Python path only."""
    if mode == "numpy":
        pytest.importorskip("numpy")
    saved = _hash_ints._USE_NUMPY
    _hash_ints._USE_NUMPY = mode == "numpy"
    try:
        yield
    finally:
        _hash_ints._USE_NUMPY = saved


class _Bytes:
    """A hash object stand-in that keeps what it is fed."""

    def __init__(self):
        self.parts = []

    def update(self, data):
        self.parts.append(bytes(data))

    def value(self):
        return b"".join(self.parts)


def _pickles(seq, lo=0):
    """The bytes of the generic rule for items of *seq* labelled lo, lo + 1, ..."""
    return b"".join(pickle.dumps(lo + i, 4) + pickle.dumps(x, 4) for i, x in enumerate(seq))


def _fed(seq):
    sink = _Bytes()
    feed_int_sequence(sink, seq)
    return sink.value()


def _generic(seq):
    """hash_one's digest of *seq* without the fast path."""
    saved = jug_hash._FAST_INTS_MIN
    jug_hash._FAST_INTS_MIN = 10**12
    try:
        return jug_hash.hash_one(seq)
    finally:
        jug_hash._FAST_INTS_MIN = saved


ints = st.one_of(
    st.sampled_from(EDGES),
    st.integers(-300, 300),
    st.integers(0, 70_000),
    st.integers(-(2**31), 2**31),
    st.integers(-(2**64), 2**64),
)
# Runs of one value, of random lengths: long runs take the run-by-run path.
runs = st.lists(st.tuples(ints, st.integers(1, 150)), max_size=40).map(
    lambda pairs: [x for x, k in pairs for _ in range(k)]
)
sequences = st.one_of(st.lists(ints, max_size=400), runs)


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=150, deadline=None)
@given(sequences)
def test_fast_path_feeds_the_generic_bytes(mode, seq):
    with _mode(mode):
        assert _fed(seq) == _pickles(seq)


# A chunk of a long list: its first index (in every index layout) and its items, which stay
# inside one block of 65536 indices as chunks do.
starts = st.sampled_from([0, 256, 300, 65280, 65536, 3 * 65536 + 1000, 2**31 - 65536, 2**31 - 600])


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=150, deadline=None)
@given(starts, sequences)
def test_chunks_at_every_index_layout_feed_the_generic_bytes(mode, lo, seq):
    room = 256 - lo if lo < 256 else 65536 - lo % 65536
    seq = seq[:room]
    label = next(layout for layout in (0, 1, 2) if lo < (256, 65536, 2**31)[layout])
    with _mode(mode):
        fed = b"".join(bytes(p) for p in _hash_ints._records(seq, lo, label, big=False))
    assert fed == _pickles(seq, lo)


def _lcg(seed):
    x = seed
    while True:
        x = (x * 6364136223846793005 + 1442695040888963407) % 2**64
        yield x >> 11


# The edges in the lists below (as when their digests were computed).
REFERENCE_EDGES = [
    *(0, 1, 255, 256, 65535, 65536, 2**31 - 1, 2**31, -1, -255, -256, -65536, -(2**31)),
    *(-(2**31) - 1, 2**39, -(2**39), 2**63 - 1, -(2**63), 2**63, -(2**63) - 1, 2**100),
]


def _reference_lists():
    """Lists whose digests the original jug 2.7 computed (an LCG: the same on any Python)."""
    r = _lcg(6)
    mixed = []
    for _ in range(150_000):
        if next(r) % 100 < 3:
            mixed.append(REFERENCE_EDGES[next(r) % len(REFERENCE_EDGES)])
        else:
            bits = (8, 16, 31, 40, 63)[next(r) % 5]
            x = next(r) % 2**bits
            mixed.append(-x if next(r) % 3 == 0 else x)
    by_runs = []
    while len(by_runs) < 200_000:
        v = next(r) % (256, 65536, 2**31, 2**40)[next(r) % 4]
        by_runs.extend([v] * (1 + next(r) % 120))
    return {
        "bench_like": [i % 1000 for i in range(300_000)],
        "mixed_layouts": mixed,
        "small_signed": [next(r) % 201 - 100 for _ in range(100_000)],
        "runs": by_runs[:200_000],
        "tuple_range": tuple(range(140_000)),
    }


# hash_one of each list, computed with the original jug 2.7.
ORIGINAL_DIGESTS = {
    "bench_like": b"10a074745e53a506e6af888a52cd4478b7440d1e",
    "mixed_layouts": b"759842e93975b76fe94305aceb5d85558ee70822",
    "small_signed": b"a900f1c1d1d280ea9e798b7cb2329df824876ea3",
    "runs": b"27456efa201dee0af11121fc5e7252a0297e0153",
    "tuple_range": b"56d6cbd258a6a9a9c51af4ba2ab0d26eb039f954",
}


@pytest.mark.parametrize("mode", MODES)
def test_digests_of_long_lists_equal_the_original_jug(mode):
    with _mode(mode):
        for name, seq in _reference_lists().items():
            assert jug_hash.hash_one(seq) == ORIGINAL_DIGESTS[name], name


@pytest.mark.parametrize("mode", MODES)
def test_long_lists_crossing_every_index_layout(mode):
    rng = random.Random(7)
    n = 140_000  # three blocks of 65536 indices
    cases = {
        "range": list(range(n)),
        "edges sprinkled": [
            rng.choice(EDGES) if rng.random() < 0.01 else rng.randrange(300) for _ in range(n)
        ],
        "layouts at random": [
            rng.choice([rng.randrange(256), rng.randrange(65536), -rng.randrange(2**31)])
            for _ in range(n)
        ],
        "runs of negatives": [-(i // 500 % 3) * 1000 + i % 7 for i in range(n)],
        "beyond 32 bits": [rng.randrange(-(2**40), 2**40) for _ in range(n)],
        "beyond 64 bits": [rng.randrange(-(2**70), 2**70) for _ in range(n)],
        "tuple": tuple(rng.randrange(256) for _ in range(n)),
    }
    with _mode(mode):
        for name, seq in cases.items():
            assert jug_hash.hash_one(seq) == _generic(seq), name


def test_digests_equal_the_original_jug():
    # Computed with the original jug 2.7 (hash_one of the same objects).
    rng = random.Random(7)
    edges = [0, 1, 255, 256, 65535, 65536, 2**31 - 1, 2**31, -1, -256, -(2**31), -(2**31) - 1]
    edges.append(2**70)
    mixed = [
        rng.choice(edges) if rng.random() < 0.01 else rng.randrange(300) for _ in range(70_000)
    ]
    assert jug_hash.hash_one(list(range(70_000))) == b"b66eb4af1edb2b35bc42b0c4e3e89009afde620c"
    assert jug_hash.hash_one(mixed) == b"3b7ce4c2818567fd33bc76006d1ee90b8f61ff50"
    assert jug_hash.hash_one(tuple(range(1000))) == b"79f4598bdb6bb47751648fbe1a4b3f2cb43d907b"


def test_bools_take_the_generic_path():
    # True pickles differently from 1: a list of bools must not be taken for ints.
    assert jug_hash.hash_one([True] * 100) != jug_hash.hash_one([1] * 100)
    assert jug_hash.hash_one([True] * 100) == _digest_generic([True] * 100)


def _digest_generic(obj):
    M = hashlib.sha1()
    saved = jug_hash._FAST_INTS_MIN
    jug_hash._FAST_INTS_MIN = 10**12
    try:
        jug_hash.hash_update(M, [("hash1", obj)])
    finally:
        jug_hash._FAST_INTS_MIN = saved
    return M.hexdigest().encode()


def test_hashing_a_short_list_does_not_import_numpy():
    # Importing numpy costs more than it saves on short lists, fragmented ones included.
    code = (
        "import random, sys\n"
        "from jug.hash import hash_one\n"
        "rng = random.Random(1)\n"
        "hash_one([rng.choice([1, 300, -5, 2**40]) for _ in range(100_000)])\n"
        "print('numpy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
