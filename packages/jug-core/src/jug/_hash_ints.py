"""Fast hashing of long lists and tuples of plain ints, byte-identical to the generic rule.

The generic rule (:func:`jug.hash.hash_update`) feeds, for item ``i`` of a sequence, the
protocol-4 pickle of ``i`` and then the pickle of the item. An int's pickle is a record of one
of a few fixed layouts (BININT1: 0..255, BININT2: 256..65535, BININT: other 32-bit values,
LONG5 to LONG8: other 64-bit values, by byte count; see :data:`PREFIXES`): a prefix, the
number's little-endian bytes and ``b"."``. Records of one layout have one width, so many of
them are written at once into a repeated template with strided slice assignments (C loops)
instead of one ``pickle.dumps`` per item.

The sequence is cut into chunks that never cross a multiple of 65536, so every index of a chunk
has the same layout and shares its upper two bytes. The layout of every item of a chunk comes
from C-level passes: the bytes of ``array("i", chunk)`` when every item fits in 32 bits (those
bytes are then the numbers to write), else ``int.bit_length``. Then

* a chunk made of long runs of one layout is written run by run;
* a fragmented chunk is encoded by :mod:`jug._hash_ints_numpy` when numpy is imported (or
  importable and the list long enough to repay the import), else the records of each layout
  are built together and interleaved in item order.

Ints beyond 64 bits, and indices beyond 31 bits, are pickled one by one. The bytes fed to the
hash are exactly those of the generic rule (the tests compare both on random data).
"""

from __future__ import annotations

import functools
import pickle
import re
import struct
import sys
from array import array
from collections.abc import Callable, Iterator, Sequence
from itertools import compress, repeat
from operator import add, call, gt

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_PROTOCOL = 4

# Layout ids; OTHER stands for "no fixed layout here": such items are pickled one by one.
BININT1, BININT2, BININT, LONG5, LONG6, LONG7, LONG8, OTHER = range(8)
_N_LAYOUTS = OTHER
#: Number of little-endian number bytes of each layout.
NUMBER_BYTES = (1, 2, 4, 5, 6, 7, 8)


def _prefix(layout: int) -> bytes:
    if layout == BININT1:  # too short for protocol 4 to open a frame
        return b"\x80\x04K"
    size = NUMBER_BYTES[layout]
    if layout == BININT2:
        body = b"M"
    elif layout == BININT:
        body = b"J"
    else:  # LONG1: opcode, byte count, two's complement bytes
        body = b"\x8a" + bytes([size])
    # PROTO 4, then a FRAME (its length: 8 bytes) holding the opcode, the number and b".".
    frame = len(body) + size + 1
    return b"\x80\x04\x95" + frame.to_bytes(8, "little") + body


#: The bytes of each layout's record before the number (every record ends with b".").
PREFIXES = tuple(_prefix(layout) for layout in range(_N_LAYOUTS))

_BITS_MAX = (8, 16, 31, 39, 47, 55, 63)


def _bits_table(negative: bool) -> bytes:
    """Map bit lengths (of ``x``, or of ``~x`` for negative ``x``) to layout ids."""
    out = bytearray()
    for bits in range(256):
        layout = next((c for c in range(_N_LAYOUTS) if bits <= _BITS_MAX[c]), OTHER)
        out.append(max(layout, BININT) if negative else layout)
    return bytes(out)


# bit length of x -> layout of x, assuming x >= 0 (checked when the numbers are written).
_UNSIGNED = _bits_table(negative=False)
# (x < 0) << 7 | bit length of (x or ~x) -> layout of x.
_SIGNED = _bits_table(False)[:128] + _bits_table(True)[:128]
_CLAMP = bytes(min(b, 127) for b in range(256))
# For the bytes of 32-bit numbers: nonzero -> flag; then flags -> layout.
_NONZERO_1 = bytes([0] + [1] * 255)
_NONZERO_2 = bytes([0] + [2] * 255)
_FLAGS = bytes([BININT1, BININT2, BININT, BININT]) + bytes(252)
# Per layout: a table mapping its id to 1 and every other to 0 (a selector for compress).
_SELECT = tuple(bytes(int(b == c) for b in range(256)) for c in range(_N_LAYOUTS + 1))
_ONE = tuple(bytes([c]) for c in range(_N_LAYOUTS + 1))
_RUNS = re.compile(b"|".join(re.escape(bytes([c])) + b"+" for c in range(_N_LAYOUTS + 1)))

# The low two bytes of every index 0..65535, as two byte planes.
_LOW0 = bytes(range(256)) * 256
_LOW1 = b"".join(bytes([i]) * 256 for i in range(256))  # i >> 8 for i < 65536, built fast
_BLOCK = 65536
_LABEL_MAX = 2**31 - 1
# Encoding run by run costs about a microsecond a run: a chunk whose runs of one layout are
# shorter on average than these is encoded as fragmented, with numpy or without.
_RUNS_OVER_NUMPY = 64
_RUNS_OVER_PYTHON = 8
# Importing numpy (50-100 ms) pays off for chunks with runs shorter than this, in lists from
# about _NUMPY_IMPORT_MIN ints on, and not for a short stretch (a few negatives in a run).
_RUNS_TO_IMPORT_NUMPY = 16
_NUMPY_IMPORT_MIN = 1 << 19
_NUMPY_STRETCH_MIN = 1 << 12
# Whether numpy may be used at all (the tests turn it off to check the pure-Python path).
_USE_NUMPY = True
_BIG_ENDIAN = sys.byteorder == "big"
_TYPECODE = {BININT2: "H", BININT: "i", LONG5: "q", LONG6: "q", LONG7: "q", LONG8: "q"}


class _Negative(Exception):
    """A negative number in a run whose layout was guessed from its magnitude alone."""


class _Chunk:
    """Items *vals* at indices ``lo..``, all of index layout *label*, in one 65536-block.

    *raw* holds the numbers as 32-bit little-endian ints, if they all fit, and *planes* its
    four byte planes (else none); *big* says whether the list is long enough to repay
    importing numpy.
    """

    __slots__ = ("big", "label", "lo", "planes", "raw", "vals")

    def __init__(
        self, vals: Sequence[int], lo: int, label: int, big: bool, raw: bytes | None = None
    ) -> None:
        self.vals, self.lo, self.label, self.big, self.raw = vals, lo, label, big, raw
        self.planes = [] if raw is None else [raw[b::4] for b in range(4)]


def label_head(label: int, lo: int) -> bytes:
    """The record of index *lo* (of layout *label*) with its lowest two bytes zeroed.

    Every index of a chunk has these bytes: chunks never cross a multiple of 65536.
    """
    size = NUMBER_BYTES[label]
    return PREFIXES[label] + bytes(min(size, 2)) + lo.to_bytes(4, "little")[2:size] + b"."


def _template(label: int, lo: int, layout: int) -> tuple[bytearray, int, int, int]:
    """A record of an index of the chunk at *lo* and a value of *layout*, numbers zeroed.

    Returns the record, its width and the offsets of the index's and of the value's numbers.
    """
    head = label_head(label, lo)
    record = head + PREFIXES[layout] + bytes(NUMBER_BYTES[layout]) + b"."
    return bytearray(record), len(record), len(PREFIXES[label]), len(head) + len(PREFIXES[layout])


def _put_numbers(buf: bytearray, pos: int, width: int, layout: int, run: Any, signed: bool) -> None:
    """Write the numbers of *run* (all of *layout*) into the records of *buf*.

    Unless *signed* (the layouts were found with the signs), raises _Negative for a run holding
    a negative number: its layout was guessed from its magnitude and may be wrong.
    """
    if layout == BININT1:
        try:
            buf[pos::width] = bytes(run)
        except ValueError:  # negative
            raise _Negative from None
        return
    if layout >= LONG5 and not signed and min(run) < 0:
        raise _Negative
    try:
        numbers = array(_TYPECODE[layout], run)
    except OverflowError:  # negative, in a run taken for BININT2
        raise _Negative from None
    if _BIG_ENDIAN:  # pragma: no cover - pickle stores little-endian numbers
        numbers.byteswap()
    raw = numbers.tobytes()
    step = numbers.itemsize
    for b in range(NUMBER_BYTES[layout]):
        buf[pos + b :: width] = raw[b::step]


def _pickled(chunk: _Chunk, a: int, b: int) -> bytes:
    """The generic bytes of items a..b-1 of *chunk*."""
    dumps, vals, lo = pickle.dumps, chunk.vals, chunk.lo
    return b"".join(dumps(lo + i, _PROTOCOL) + dumps(vals[i], _PROTOCOL) for i in range(a, b))


def _runs(chunk: _Chunk, layouts: bytes, signed: bool) -> list[Any]:
    """The records of a chunk made of long runs of one layout, one buffer per run."""
    parts: list[Any] = []
    templates: dict[int, tuple[bytearray, int, int, int]] = {}
    label, planes = chunk.label, chunk.planes
    base = chunk.lo % _BLOCK
    for match in _RUNS.finditer(layouts):
        a, b = match.span()
        layout = layouts[a]
        if layout == OTHER:
            parts.append(_pickled(chunk, a, b))
            continue
        if layout not in templates:
            templates[layout] = _template(label, chunk.lo, layout)
        record, width, lpos, vpos = templates[layout]
        buf = record * (b - a)
        buf[lpos::width] = _LOW0[base + a : base + b]
        if label != BININT1:
            buf[lpos + 1 :: width] = _LOW1[base + a : base + b]
        if planes:
            for j in range(NUMBER_BYTES[layout]):
                buf[vpos + j :: width] = planes[j][a:b]
        else:
            try:
                _put_numbers(buf, vpos, width, layout, chunk.vals[a:b], signed)
            except _Negative:
                part = _Chunk(chunk.vals[a:b], chunk.lo + a, label, chunk.big)
                parts.extend(_encode_signed(part))
                continue
        parts.append(buf)
    return parts


def _interleaved(chunk: _Chunk, layouts: bytes, signed: bool) -> bytes:
    """The records of a fragmented chunk: built per layout, then interleaved in item order."""
    vals, lo, label = chunk.vals, chunk.lo, chunk.label
    base = lo % _BLOCK
    n = len(vals)
    nexts: list[Callable[[], bytes]] = [bytes] * (_N_LAYOUTS + 1)  # placeholders, never called
    for layout in range(_N_LAYOUTS + 1):
        if _ONE[layout] not in layouts:
            continue
        select = layouts.translate(_SELECT[layout])
        run = list(compress(vals, select))
        if layout == OTHER:
            idx = compress(range(lo, lo + n), select)
            dumps = pickle.dumps
            records = [
                dumps(i, _PROTOCOL) + dumps(v, _PROTOCOL) for i, v in zip(idx, run, strict=True)
            ]
            nexts[OTHER] = iter(records).__next__
            continue
        record, width, lpos, vpos = _template(label, lo, layout)
        buf = record * len(run)
        buf[lpos::width] = bytes(compress(_LOW0[base : base + n], select))
        if label != BININT1:
            buf[lpos + 1 :: width] = bytes(compress(_LOW1[base : base + n], select))
        _put_numbers(buf, vpos, width, layout, run, signed)
        # One bytes object per record, in one C call (a Struct of len(run) fields).
        nexts[layout] = iter(struct.Struct(f"{width}s" * len(run)).unpack(buf)).__next__
    # Each item takes the next record of its layout.
    return b"".join(map(call, map(nexts.__getitem__, layouts)))


def _layouts_32(planes: list[bytes]) -> bytes:
    """The layout of every number, from the byte planes of their 32-bit two's complement."""
    p0, p1, p2, p3 = planes
    n = len(p0)
    if p2.count(0) == n and p3.count(0) == n:  # 0..65535
        return p1.translate(_NONZERO_1)  # BININT1 (0) or BININT2 (1)
    high = (int.from_bytes(p2, "little") | int.from_bytes(p3, "little")).to_bytes(n, "little")
    flags = int.from_bytes(high.translate(_NONZERO_2), "little") | int.from_bytes(
        p1.translate(_NONZERO_1), "little"
    )
    return flags.to_bytes(n, "little").translate(_FLAGS)


def _signed_layouts(vals: Sequence[int]) -> bytes | None:
    """The layout of every item, sign included; None if some item is too big to tell."""
    negative = bytes(map(gt, repeat(0), vals))
    try:  # ~x, of the bit length of x + 1, decides the byte count of a negative x
        bits = bytes(map(int.bit_length, map(add, vals, negative))).translate(_CLAMP)
    except ValueError:  # beyond 255 bits
        return None
    n = len(vals)
    key = int.from_bytes(bits, "little") | int.from_bytes(negative, "little") << 7
    return key.to_bytes(n, "little").translate(_SIGNED)


def _changes(layouts: bytes) -> int:
    """How many neighbouring items differ in layout (big-int arithmetic: C speed)."""
    n = len(layouts)
    if n < 2:
        return 0
    packed = int.from_bytes(layouts, "little")
    return n - 1 - (packed ^ packed >> 8).to_bytes(n, "little")[: n - 1].count(0)


@functools.cache
def _import_numpy() -> Any:
    try:
        import numpy
    except Exception:  # not installed, or broken: the pure-Python path does the same
        return None
    return numpy


def _with_numpy(chunk: _Chunk, layouts: bytes | None, may_import: bool) -> Any:
    """The records of *chunk* made by numpy; None without numpy or for ints beyond 64 bits.

    *layouts* are the layouts of the items if known for sure (with their signs). numpy is
    imported if *may_import*, in a long list and for a long enough stretch of it.
    """
    if not _USE_NUMPY:
        return None
    np = sys.modules.get("numpy")
    if np is None and may_import and chunk.big and len(chunk.vals) >= _NUMPY_STRETCH_MIN:
        np = _import_numpy()
    if np is None:
        return None
    from . import _hash_ints_numpy

    if chunk.raw is not None:
        v = np.frombuffer(chunk.raw, "<i4").astype(np.int64)
    else:
        try:
            v = np.fromiter(chunk.vals, np.int64, len(chunk.vals))
        except OverflowError:
            return None
    return _hash_ints_numpy.encode(np, v, chunk.lo, chunk.label, layouts)


def _encode(chunk: _Chunk, layouts: bytes, signed: bool) -> list[Any]:
    """The records of the items of *chunk*, whose layouts are *layouts*."""
    run_length = len(layouts) / (_changes(layouts) + 1)
    if run_length >= _RUNS_OVER_NUMPY:
        return _runs(chunk, layouts, signed)
    if _ONE[OTHER] not in layouts:
        importing = run_length < _RUNS_TO_IMPORT_NUMPY
        out = _with_numpy(chunk, layouts if signed else None, importing)
        if out is not None:
            return [out]
    if run_length >= _RUNS_OVER_PYTHON:
        return _runs(chunk, layouts, signed)
    if not signed and min(chunk.vals) < 0:
        return _encode_signed(chunk)
    return [_interleaved(chunk, layouts, signed)]


def _encode_signed(chunk: _Chunk) -> list[Any]:
    """Like _encode, for items of which some are negative (so their guessed layouts may be off)."""
    layouts = _signed_layouts(chunk.vals)
    if layouts is None:
        return [_pickled(chunk, 0, len(chunk.vals))]
    return _encode(chunk, layouts, True)


def _records(vals: Sequence[int], lo: int, label: int, big: bool) -> list[Any]:
    """The bytes the generic rule feeds for the items *vals* at indices ``lo..``."""
    if not vals:
        return []
    try:
        numbers = array("i", vals)
    except OverflowError:  # beyond 32 bits: layouts from bit lengths, signs checked later
        chunk = _Chunk(vals, lo, label, big)
        try:
            layouts = bytes(map(int.bit_length, vals)).translate(_UNSIGNED)
        except ValueError:  # an int beyond 255 bits
            return [_pickled(chunk, 0, len(vals))]
        return _encode(chunk, layouts, False)
    if _BIG_ENDIAN:  # pragma: no cover - pickle stores little-endian numbers
        numbers.byteswap()
    chunk = _Chunk(vals, lo, label, big, numbers.tobytes())
    return _encode(chunk, _layouts_32(chunk.planes), True)


def _chunks(n: int) -> Iterator[tuple[int, int, int]]:
    """(lo, hi, layout of the indices) of the chunks of a sequence of length *n*."""
    lo = 0
    while lo < n:
        hi = min(n, 256 if lo < 256 else (lo // _BLOCK + 1) * _BLOCK)
        if lo < 256:
            label = BININT1
        elif lo < _BLOCK:
            label = BININT2
        else:
            label = BININT if lo <= _LABEL_MAX else OTHER
        yield lo, hi, label
        lo = hi


def feed_int_sequence(M: Any, seq: Sequence[int]) -> None:
    """Feed *M* the bytes the generic rule feeds for the items of *seq* (exact ints only)."""
    update = M.update
    n = len(seq)
    for lo, hi, label in _chunks(n):
        vals = seq[lo:hi]
        if label == OTHER:
            update(_pickled(_Chunk(vals, lo, label, False), 0, hi - lo))
            continue
        for part in _records(vals, lo, label, n - lo >= _NUMPY_IMPORT_MIN):
            update(part)


def all_plain_ints(seq: Sequence[Any]) -> bool:
    """Whether every item of *seq* is exactly an ``int`` (not a bool or a subclass)."""
    return set(map(type, seq)) == {int}
