"""The numpy encoder of fragmented int chunks writes the generic rule's bytes exactly."""

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jug import _hash_ints_numpy

np = pytest.importorskip("numpy")
pytestmark = pytest.mark.requires_numpy

INT64 = st.integers(-(2**63), 2**63 - 1)
EDGES = [0, 255, 256, 65535, 65536, 2**31 - 1, 2**31, -1, -(2**31), -(2**31) - 1]
EDGES += [s * 2**k + d for k in (39, 47, 55) for s in (1, -1) for d in (-1, 0, 1)]
EDGES += [2**63 - 1, -(2**63)]
values = st.one_of(
    st.sampled_from(EDGES),
    st.integers(0, 300),
    st.integers(-70_000, 70_000),
    st.integers(-(2**40), 2**40),
    INT64,
)
# (first index, index layout): chunks of every index layout, near their ends too.
starts = st.sampled_from([(0, 0), (200, 0), (256, 1), (60_000, 1), (65_536, 2), (2**31 - 700, 2)])


def _pickles(seq, lo):
    return b"".join(pickle.dumps(lo + i, 4) + pickle.dumps(x, 4) for i, x in enumerate(seq))


@settings(max_examples=300, deadline=None)
@given(starts, st.lists(values, min_size=1, max_size=300))
def test_encoded_chunks_are_the_generic_bytes(start, seq):
    lo, label = start
    seq = seq[: (256 if label == 0 else 2**31) - lo]
    out = _hash_ints_numpy.encode(np, np.array(seq, dtype=np.int64), lo, label)
    assert out.tobytes() == _pickles(seq, lo)


@pytest.mark.parametrize("value", EDGES)
def test_chunks_of_one_value_are_the_generic_bytes(value):
    # One layout only: no row is cut, whatever the layout.
    seq = [value] * 50
    out = _hash_ints_numpy.encode(np, np.array(seq, dtype=np.int64), 65_536 * 5, 2)
    assert out.tobytes() == _pickles(seq, 65_536 * 5)


def test_given_layouts_are_used_as_they_are():
    # The caller may pass the layouts it found: they decide the records' widths.
    seq = [7, 300, -7, 70_000]
    v = np.array(seq, dtype=np.int64)
    assert _hash_ints_numpy.encode(np, v, 256, 1, bytes([0, 1, 2, 2])).tobytes() == _pickles(
        seq, 256
    )
    wrong = _hash_ints_numpy.encode(np, v, 256, 1, bytes([2, 2, 2, 2])).tobytes()
    assert wrong != _pickles(seq, 256)
