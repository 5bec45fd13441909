"""Vectorised records of fragmented chunks of ints, for :mod:`jug._hash_ints`, with numpy.

Used when numpy is imported already, or when a list is long and fragmented enough to repay
importing it (see :mod:`jug._hash_ints`). A chunk's records are the rows of a 2-D ``uint8`` array as wide as the widest
record: each row starts as a copy of its layout's template (one ``take``), the numbers are
written into whole columns at once, and the rows are cut to their own widths with one boolean
mask. The bytes are those of the generic rule exactly, as in :mod:`jug._hash_ints`.
"""

from __future__ import annotations

from ._hash_ints import (
    BININT,
    BININT1,
    BININT2,
    LONG5,
    LONG6,
    LONG8,
    NUMBER_BYTES,
    PREFIXES,
    label_head,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_N_LAYOUTS = len(PREFIXES)
# Offsets, in a value's record, of its number (BININT1: 3, BININT2/BININT: 12, LONGs: 13).
_NUMBER_AT = [len(p) for p in PREFIXES]
_WIDTHS = [len(p) + n + 1 for p, n in zip(PREFIXES, NUMBER_BYTES, strict=True)]
# Magnitudes (x, or ~x for negative x) above which a layout no longer holds: BININT and up.
_LIMITS = (2**31 - 1, 2**39 - 1, 2**47 - 1, 2**55 - 1)
_STOP = ord(".")


def _layouts(np: Any, v: Any) -> Any:
    """The layout id of every value of the int64 array *v*."""
    lay = (v > 255).view(np.uint8) + (v > 65535).view(np.uint8)
    negative = v < 0
    if negative.any():
        lay[negative] = BININT
    magnitude = v ^ (v >> 63)  # ~v for negative v: its bit length decides the byte count
    if magnitude.max() > _LIMITS[0]:
        for limit in _LIMITS:
            lay += (magnitude > limit).view(np.uint8)
    return lay


def _column(np: Any, rows: Any, offset: int, dtype: str) -> Any:
    """A view of the *dtype* column starting at byte *offset* of each row (may be unaligned)."""
    n, width = rows.shape
    return np.ndarray((n,), dtype=dtype, buffer=rows, offset=offset, strides=(width,))


def _put_long_words(np: Any, rows: Any, o: int, v: Any, lay: Any) -> None:
    """Write the numbers of rows of BININT2, BININT and LONG layouts (value record at *o*).

    Byte 12 of a record is a LONG's byte count, or the first number byte of the others; the
    8 bytes after it are one little-endian word per row: the rest of the number, b"." and
    anything (bytes past a record's end are cut off).
    """
    shifts, masks, stops = [0] * _N_LAYOUTS, [0] * _N_LAYOUTS, [0] * _N_LAYOUTS
    for c in range(BININT2, _N_LAYOUTS):
        rest = NUMBER_BYTES[c] - 1 if c <= BININT else NUMBER_BYTES[c]
        shifts[c] = 8 if c <= BININT else 0
        masks[c] = (1 << 8 * rest) - 1
        stops[c] = (_STOP << 8 * rest) % 2**64  # LONG8's b"." is past the word: the template's
    u = v.view(np.uint64)
    word = (u >> np.array(shifts, np.uint64).take(lay)) & np.array(masks, np.uint64).take(lay)
    word |= np.array(stops, np.uint64).take(lay)
    _column(np, rows, o + 13, "<u8")[:] = word
    first = np.array([0, 0, 0] + list(NUMBER_BYTES[LONG5:]), np.uint8).take(lay)
    rows[:, o + 12] = np.where(lay >= LONG5, first, u.astype(np.uint8))


def encode(np: Any, v: Any, lo: int, label: int, layouts: bytes | None = None) -> Any:
    """The records of the values *v* (int64 array) at indices ``lo..`` of index layout *label*.

    *layouts* are the layout ids of the values, if known. Returns a 1-D ``uint8`` array.
    """
    n = len(v)
    lay = _layouts(np, v) if layouts is None else np.frombuffer(layouts, np.uint8)
    top = int(lay.max())
    head = label_head(label, lo)
    o = len(head)
    # Room for the words written at o + 12 (below) in every row, and whole uint16s if possible.
    odd = bool((lay == LONG6).any() or (lay == LONG8).any())
    width = max(o + _WIDTHS[top], o + (21 if top >= LONG5 else 16))
    width += width % 2
    templates = b"".join(
        (head + PREFIXES[c] + bytes(NUMBER_BYTES[c]) + b".").ljust(width, b"\0")[:width]
        for c in range(_N_LAYOUTS)
    )
    rows = np.frombuffer(templates, np.uint8).reshape(_N_LAYOUTS, width).take(lay, axis=0)

    lpos = len(PREFIXES[label])
    index = np.arange(lo, lo + n, dtype=np.uint32)
    if label == BININT1:
        rows[:, lpos] = index
    else:  # the upper two bytes are those of the chunk's block, already in *head*
        _column(np, rows, lpos, "<u2")[:] = index

    low = v.astype(np.uint32)
    if lay.min() == BININT1:
        kmask = np.array([255] + [0] * (_N_LAYOUTS - 1), np.uint8).take(lay)
        rows[:, o + _NUMBER_AT[BININT1]] |= low.astype(np.uint8) & kmask
    if top >= LONG5:
        _put_long_words(np, rows, o, v, lay)
    elif top > BININT1:
        # A BININT2's b"." falls inside the 4 bytes written for a BININT's number.
        stops = np.array([0, _STOP << 16] + [0] * (_N_LAYOUTS - 2), np.uint32)
        _column(np, rows, o + _NUMBER_AT[BININT], "<u4")[:] = low | stops.take(lay)

    if odd:
        masks = np.arange(width) < np.array(_WIDTHS)[:, None] + o
        return rows[masks.take(lay, axis=0)]
    masks = np.arange(width // 2) < (np.array(_WIDTHS)[:, None] + o) // 2
    return rows.view(np.uint16)[masks.take(lay, axis=0)].view(np.uint8)
