"""Fast hashing of long lists and tuples of plain ints, byte-identical to the generic rule.

The generic rule (:func:`jug.hash.hash_update`) feeds, for item ``i`` of a sequence, the
protocol-4 pickle of ``i`` and then the pickle of the item. For ints these pickles have one of
three fixed layouts (``K``: 0..255, ``M``: 256..65535, ``J``: other 32-bit values), so a run of
items whose indices and values share a layout is a sequence of fixed-width records. Such runs
are written into one buffer with strided slice assignments (C loops over all items at once)
instead of one ``pickle.dumps`` per item; runs that are not uniform are split, and short
mixed runs, or ints beyond 32 bits, fall back to ``pickle.dumps``. The bytes fed to the hash are
exactly those of the generic rule (the tests compare both on random data).
"""

from __future__ import annotations

import pickle
from array import array
from collections.abc import Sequence
from typing import Any

# (prefix, number width, array typecode) of each layout; every record ends with b".".
_FRAME4 = b"\x95" + (4).to_bytes(8, "little")
_FRAME6 = b"\x95" + (6).to_bytes(8, "little")
_K, _M, _J = 0, 1, 2
_LAYOUTS = {
    _K: (b"\x80\x04K", 1, "B"),
    _M: (b"\x80\x04" + _FRAME4 + b"M", 2, "H"),
    _J: (b"\x80\x04" + _FRAME6 + b"J", 4, "i"),
}
_J_MIN, _J_MAX = -(2**31), 2**31 - 1
# Below this many items a mixed run is pickled item by item: splitting costs more.
_SPLIT_MIN = 32
_PROTOCOL = 4
_BIG_ENDIAN = array("H", [1]).tobytes() != b"\x01\x00"


def _layout(lo: int, hi: int) -> int | None:
    """The layout shared by every int in [lo, hi], or None if they differ."""
    if 0 <= lo and hi < 256:
        return _K
    if 256 <= lo and hi < 65536:
        return _M
    if (_J_MIN <= lo and hi < 0) or (65536 <= lo and hi <= _J_MAX):
        return _J
    return None


def _template(layout: int) -> bytes:
    """One record of *layout* with its number bytes zeroed."""
    prefix, size, _ = _LAYOUTS[layout]
    return prefix + bytes(size) + b"."


def _put_numbers(buf: bytearray, offset: int, width: int, layout: int, numbers: Any) -> None:
    """Write *numbers* (all of *layout*, little-endian) into the records of *buf*."""
    prefix, size, code = _LAYOUTS[layout]
    data = array(code, numbers)
    if _BIG_ENDIAN:  # pragma: no cover - pickle stores little-endian numbers
        data.byteswap()
    raw = data.tobytes()
    start = offset + len(prefix)
    if size == 1:
        buf[start::width] = raw
        return
    for b in range(size):
        buf[start + b :: width] = raw[b::size]


def _feed_run(update: Any, seq: Sequence[int], lo: int, hi: int) -> None:
    """Feed the bytes of items lo..hi-1 (indices of one layout) to *update*."""
    if hi <= lo:
        return
    run = seq[lo:hi]
    label_layout = _layout(lo, hi - 1)
    value_layout = _layout(min(run), max(run))
    if label_layout is not None and value_layout is not None:
        label, value = _template(label_layout), _template(value_layout)
        width = len(label) + len(value)
        # Constant bytes come from repeating one record; only the numbers are written.
        buf = bytearray(label + value) * (hi - lo)
        _put_numbers(buf, 0, width, label_layout, range(lo, hi))
        _put_numbers(buf, len(label), width, value_layout, run)
        update(buf)
        return
    if hi - lo <= _SPLIT_MIN or label_layout is None:
        dumps = pickle.dumps
        update(b"".join(dumps(i, _PROTOCOL) + dumps(seq[i], _PROTOCOL) for i in range(lo, hi)))
        return
    mid = (lo + hi) // 2
    _feed_run(update, seq, lo, mid)
    _feed_run(update, seq, mid, hi)


def feed_int_sequence(M: Any, seq: Sequence[int]) -> None:
    """Feed *M* the bytes the generic rule feeds for the items of *seq* (exact ints only)."""
    n = len(seq)
    # Split at the index layout boundaries first: each part then has one label layout.
    bounds = [0, min(n, 256), min(n, 65536), min(n, _J_MAX + 1), n]
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        _feed_run(M.update, seq, lo, hi)


def all_plain_ints(seq: Sequence[Any]) -> bool:
    """Whether every item of *seq* is exactly an ``int`` (not a bool or a subclass)."""
    return set(map(type, seq)) == {int}
