"""The fast path for lists of ints feeds exactly the bytes of the generic rule."""

import hashlib
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from jug import hash as jug_hash
from jug._hash_ints import feed_int_sequence

EDGES = [0, 1, 255, 256, 65535, 65536, 2**31 - 1, 2**31, -1, -256, -(2**31), -(2**31) - 1, 2**70]


def _generic(seq):
    """What hash_update feeds for the items of *seq*, without the fast path."""
    M = hashlib.sha1()
    saved = jug_hash._FAST_INTS_MIN
    jug_hash._FAST_INTS_MIN = 10**12
    try:
        jug_hash.hash_update(M, enumerate(seq))
    finally:
        jug_hash._FAST_INTS_MIN = saved
    return M.hexdigest()


def _fast(seq):
    M = hashlib.sha1()
    feed_int_sequence(M, seq)
    return M.hexdigest()


ints = st.one_of(st.sampled_from(EDGES), st.integers(-(2**33), 2**33), st.integers(0, 300))


@settings(max_examples=200, deadline=None)
@given(st.lists(ints, max_size=600))
def test_fast_path_equals_generic_rule(seq):
    assert _fast(seq) == _generic(seq)


def test_long_lists_crossing_every_index_layout():
    rng = random.Random(7)
    uniform = list(range(70_000))
    mixed = [
        rng.choice(EDGES) if rng.random() < 0.01 else rng.randrange(300) for _ in range(70_000)
    ]
    small = [rng.randrange(256) for _ in range(70_000)]
    for seq in (uniform, mixed, small, tuple(small)):
        assert _fast(seq) == _generic(seq)


def test_digests_equal_the_original_jug():
    # Computed with the original jug 2.7 (hash_one of the same objects).
    rng = random.Random(7)
    mixed = [
        rng.choice(EDGES) if rng.random() < 0.01 else rng.randrange(300) for _ in range(70_000)
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
