"""How results are turned into bytes, compatible with the files the original jug writes.

A stored result is one of:

* an **empty** file/string: the value ``None``;
* a **raw ``.npy``** file (it starts with ``b'\\x93NUMPY'``): a plain numpy array, that is an
  object whose type is exactly ``numpy.ndarray`` and whose dtype holds no Python objects
  (0-d, non-contiguous, Fortran-ordered, record and string arrays included). Written
  uncompressed, so that large arrays are saved and loaded at disk speed;
* a **parquet** file (it starts with ``b'PAR1'``): a polars ``DataFrame`` (exactly that
  type), as the original jug's file store saves them; written only when polars is
  installed (``jug-backends[polars]``), as it is the one who made the DataFrame;
* a **zlib stream** whose decompressed content starts with one tag byte:

  - ``b'P'`` followed by a pickle (anything else: lists, dicts, object arrays, ndarray
    subclasses such as masked arrays, ...);
  - ``b'N'`` followed by ``.npy`` bytes (a numpy array, when the store was asked to
    compress numpy arrays, and always in :func:`encode`).

With a secret key, a store writes one of these forms behind a signature header
(:mod:`jug.signing`) and checks it before calling :func:`decode`; read without a key,
the header is skipped, unchecked.

Both implementations read all five forms, whichever wrote them (parquet needs polars). We pickle with protocol 5:
the original loads it (it writes protocol 5 itself), and protocol 5 lets numpy hand its
buffers to the pickler without first copying them into a ``bytes`` object. We compress
with zlib level 1, which on scientific data is several times faster than the default
level for a result that is only a few percent larger; any level decodes the same way.

numpy is imported only when the object is a numpy array or the data is ``.npy``: storing
plain Python objects never imports it.
"""

from __future__ import annotations

import io
import pickle
import sys
import zlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any

__all__ = [
    "PICKLE_PROTOCOL",
    "COMPRESSION_LEVEL",
    "NPY_MAGIC",
    "PARQUET_MAGIC",
    "SIGNED_MAGIC",
    "DecodeError",
    "checked",
    "compress_stream",
    "decompress_stream",
    "encode",
    "encode_small",
    "decode",
    "encode_to",
    "decode_from",
    "is_plain_array",
    "is_polars_frame",
    "write_result",
    "read_result",
]

#: Pickle protocol of stored results (protocol 5 avoids copying numpy buffers).
PICKLE_PROTOCOL = 5
#: zlib level of compressed results.
COMPRESSION_LEVEL = 1
#: First bytes of every ``.npy`` file.
NPY_MAGIC = b"\x93NUMPY"
#: First bytes of every parquet file.
PARQUET_MAGIC = b"PAR1"

#: First bytes of a signed result: :data:`jug.signing.MAGIC`, written out here because
#: importing :mod:`jug.signing` costs every ``jug`` command about a million instructions
#: (a module of the ``jug`` namespace), and most run without a key (a test checks the two
#: agree).
SIGNED_MAGIC = b"jugsig1\n"

_TAG_PICKLE = b"P"
_TAG_NUMPY = b"N"


class DecodeError(ValueError):
    """Stored bytes are not a valid encoded result (truncated or corrupt)."""


def _numpy_array_type() -> type | None:
    """``numpy.ndarray`` if numpy was already imported by someone, else ``None``.

    An object can only be a numpy array if numpy is imported, so looking it up in
    ``sys.modules`` tells us without importing numpy ourselves.
    """
    np = sys.modules.get("numpy")
    return None if np is None else np.ndarray


def is_polars_frame(obj: Any) -> bool:
    """Whether *obj* is stored as parquet: exactly a polars ``DataFrame`` (never imports
    polars: a DataFrame exists only if someone imported it)."""
    pl = sys.modules.get("polars")
    return pl is not None and type(obj) is getattr(pl, "DataFrame", None)


def _read_parquet(stream: IO[bytes]) -> Any:
    try:
        import polars
    except ImportError:
        from jug.errors import MissingPartError

        raise MissingPartError(
            "this result is a polars DataFrame saved as parquet; install polars to load it "
            "(pip install 'jug-backends[polars]')"
        ) from None
    try:
        return polars.read_parquet(stream)
    except Exception as exc:  # polars' own errors for a damaged file
        raise DecodeError(f"invalid parquet data ({exc})") from exc


def is_plain_array(obj: Any) -> bool:
    """Whether *obj* is stored as raw ``.npy``: exactly an ndarray without object fields."""
    ndarray = _numpy_array_type()
    dtype: Any = getattr(obj, "dtype", None)
    return ndarray is not None and type(obj) is ndarray and not dtype.hasobject


class _CompressingWriter(io.RawIOBase):
    """A write-only stream that zlib-compresses what it is given into *out*.

    Pickle writes large buffers (e.g. numpy data under protocol 5) straight to ``write``,
    so they are compressed from the original memory without an intermediate copy.
    """

    def __init__(self, out: IO[bytes], level: int = COMPRESSION_LEVEL) -> None:
        self._out = out
        self._z = zlib.compressobj(level)

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data)
        if not view.c_contiguous:
            # zlib needs C-contiguous memory; 'A' keeps the buffer's own (Fortran) order.
            view = memoryview(view.tobytes(order="A"))
        chunk = self._z.compress(view)
        if chunk:
            self._out.write(chunk)
        return view.nbytes

    def finish(self) -> None:
        self._out.write(self._z.flush())


# Non-contiguous arrays are written in pieces of about this many bytes.
_CHUNK = 16 << 20


def _write_npy(out: Any, arr: Any) -> None:
    """Write *arr* in ``.npy`` format through ``out.write`` only.

    ``numpy.lib.format.write_array`` hands real files to ``ndarray.tofile``, whose errors
    carry no ``errno`` (a full disk reads "N requested and M written"), and copies whole
    contiguous arrays when given other streams. Here contiguous data goes to ``write`` as a
    view of the array's own memory, so errors are ordinary ``OSError``s and nothing is copied.
    """
    import numpy as np
    from numpy.lib import format as npy_format

    header = npy_format.header_data_from_array_1_0(arr)
    try:
        npy_format.write_array_header_1_0(out, header)
    except ValueError:  # header too long for format 1.0
        try:
            npy_format.write_array_header_2_0(out, header)
        except ValueError:  # needs format 3.0 (non-latin-1 field names): numpy's writer
            npy_format.write_array(out, arr, allow_pickle=False)
            return
    if arr.flags.c_contiguous or arr.flags.f_contiguous:
        # header_data_from_array_1_0 declared Fortran order exactly for the second case.
        flat = (arr if arr.flags.c_contiguous else arr.T).reshape(-1).view(np.uint8)
        data = memoryview(flat)
        for start in range(0, data.nbytes, 1 << 30):
            out.write(data[start : start + (1 << 30)])
        return
    chunks: Any = np.nditer(
        arr,
        flags=["external_loop", "buffered", "zerosize_ok"],
        buffersize=max(_CHUNK // max(arr.itemsize, 1), 1),
        order="C",
    )
    for chunk in chunks:
        out.write(chunk.tobytes("C"))


def write_result(
    obj: Any, out: IO[bytes], compress_numpy: bool = False, level: int = COMPRESSION_LEVEL
) -> None:
    """Write the stored form of *obj* to the binary stream *out*.

    Parameters
    ----------
    obj : object
        The value to store.
    out : binary file
        Where to write (a real file gets the fastest ``.npy`` path).
    compress_numpy : bool, optional
        Compress plain numpy arrays too (``b'N'`` form) instead of writing raw ``.npy``.
    level : int, optional
        zlib level of the compressed forms (0 stores without compressing, still as a
        zlib stream: every reader decodes it the same way).
    """
    if obj is None:
        return
    if not compress_numpy and is_plain_array(obj):
        _write_npy(out, obj)
        return
    if not compress_numpy and is_polars_frame(obj):
        obj.write_parquet(out)
        return
    writer = _CompressingWriter(out, level)
    if is_plain_array(obj):
        writer.write(_TAG_NUMPY)
        _write_npy(writer, obj)
    else:
        writer.write(_TAG_PICKLE)
        pickle.dump(obj, writer, protocol=PICKLE_PROTOCOL)
    writer.finish()


def _read_npy(stream: IO[bytes]) -> Any:
    """Read one .npy array from *stream*, which must hold nothing after it."""
    from numpy.lib import format as npy_format

    try:
        arr = npy_format.read_array(stream, allow_pickle=False)
    except (ValueError, EOFError, OSError) as exc:
        raise DecodeError(f"invalid .npy data ({exc})") from exc
    if stream.read(1):
        raise DecodeError("trailing bytes after the .npy data")
    return arr


def _decode_npy(data: memoryview | bytes) -> Any:
    return _read_npy(io.BytesIO(data))


def _decompress(data: bytes | memoryview) -> memoryview:
    z = zlib.decompressobj()
    try:
        out = z.decompress(data)
    except zlib.error as exc:
        raise DecodeError(f"invalid compressed data ({exc})") from exc
    if not z.eof:
        raise DecodeError("truncated compressed data")
    if z.unused_data:
        raise DecodeError("trailing bytes after the compressed data")
    return memoryview(out)


def decode(data: bytes | bytearray | memoryview) -> Any:
    """Return the object whose stored form is *data* (any of the four forms).

    Raises
    ------
    DecodeError
        If *data* is truncated or is not a stored result. (Errors raised while unpickling
        a well-formed pickle, such as a missing module, propagate unchanged: they are not
        corruption.)
    """
    view = memoryview(data)
    # The first bytes as bytes, compared with each magic: comparing a memoryview with
    # bytes goes element by element through struct (~1,000 instructions each time).
    head = view[: len(SIGNED_MAGIC)].tobytes()
    if head == SIGNED_MAGIC:
        # A signed result read without a key: its header is skipped, unchecked (a store
        # with a key checks it with jug.signing before calling this).
        view = checked(None, "", view)
        head = view[: len(SIGNED_MAGIC)].tobytes()
    if not view.nbytes:
        return None
    if head[: len(NPY_MAGIC)] == NPY_MAGIC:
        return _decode_npy(view)
    if head[: len(PARQUET_MAGIC)] == PARQUET_MAGIC:
        return _read_parquet(io.BytesIO(view))
    payload = _decompress(view)
    tag = payload[:1].tobytes()
    if tag == _TAG_PICKLE:
        try:
            return pickle.loads(payload[1:])
        except (pickle.UnpicklingError, EOFError) as exc:
            raise DecodeError(f"invalid pickle ({exc})") from exc
    if tag == _TAG_NUMPY:
        return _decode_npy(payload[1:])
    raise DecodeError(f"unknown encoding tag {tag!r}")


def checked(signer: Any, name: str, data: bytes | bytearray | memoryview) -> memoryview:
    """The unsigned stored form in *data*, the stored bytes of *name*: checked with
    *signer* (a :class:`jug.signing.Signer`, which raises
    :class:`jug.errors.SignatureError` for an unsigned or forged result), or without one
    the signature header skipped, unchecked (:func:`jug.signing.open_stored`, without
    importing :mod:`jug.signing` when there is no key and no header)."""
    if signer is not None:
        return signer.open(name, data)
    view = memoryview(data)
    if view[: len(SIGNED_MAGIC)].tobytes() == SIGNED_MAGIC:
        from jug.signing import unsigned_part

        return unsigned_part(view)
    return view


def read_result(stream: IO[bytes]) -> Any:
    """Read and decode a whole stored result from the binary stream *stream*."""
    head = stream.read(len(NPY_MAGIC))
    if head == NPY_MAGIC:
        # Raw arrays are read straight into the array's memory (numpy uses readinto).
        stream.seek(0)
        return _read_npy(stream)
    if head[: len(PARQUET_MAGIC)] == PARQUET_MAGIC and stream.seekable():
        stream.seek(0)
        return _read_parquet(stream)
    if stream.seekable():
        stream.seek(0)
        return decode(stream.read())
    return decode(head + stream.read())


# Results of these exact types are small: encode_small makes them in memory at once.
_SMALL_TYPES = frozenset({int, float, complex, bool})
_SMALL_TEXT = 1 << 16


class compress_stream:
    """A write-only file that zlib-compresses what it is given into *stream* (the original
    jug's helper; call :meth:`flush` at the end to write out the rest).
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self._writer = _CompressingWriter(stream)

    def write(self, s: Any) -> int:
        return self._writer.write(s)

    def flush(self) -> None:
        self._writer.finish()
        self._writer = _CompressingWriter(self.stream)  # later writes start a new stream
        self.stream.flush()


class decompress_stream:
    """A read-only file giving the zlib-decompressed contents of *stream* (the original
    jug's helper): :meth:`read`, :meth:`readline`, and :meth:`seek` relative to the current
    position within what was already read.
    """

    def __init__(self, stream: IO[bytes], block: int = 8192) -> None:
        self.stream = stream
        self.block = block
        self._z = zlib.decompressobj()
        self._buffer = bytearray()  # decompressed, not yet consumed (after _pos)
        self._pos = 0
        self._eof = False

    def _fill(self, wanted: int) -> None:
        """Decompress until *wanted* bytes are buffered past the position, or the end."""
        while len(self._buffer) - self._pos < wanted and not self._eof:
            data = self._z.unconsumed_tail or self.stream.read(self.block)
            if not data:
                self._buffer += self._z.flush()
                self._eof = True
                break
            self._buffer += self._z.decompress(data, max(wanted, self.block))

    def read(self, nbytes: int = -1) -> bytes:
        if nbytes is None or nbytes < 0:
            nbytes = 1 << 62
        self._fill(nbytes)
        out = bytes(self._buffer[self._pos : self._pos + nbytes])
        self._pos += len(out)
        if self._pos > (1 << 20) + len(out):
            # Drop what was consumed, except the last read (seek may step back into it).
            del self._buffer[: self._pos - len(out)]
            self._pos = len(out)
        return out

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def readline(self) -> bytes:
        start = self._pos
        while True:
            end = self._buffer.find(b"\n", start)
            if end >= 0:
                return self.read(end + 1 - self._pos)
            start = len(self._buffer)
            before = len(self._buffer) - self._pos
            self._fill(before + self.block)
            if len(self._buffer) - self._pos == before:
                return self.read()

    def seek(self, offset: int, whence: int = 1) -> int:
        if whence != 1:
            raise NotImplementedError("decompress_stream can only seek from the current position")
        if offset < 0 and -offset > self._pos:
            raise ValueError("seek too far back")
        if offset > 0:
            self.read(offset)
        else:
            self._pos += offset
        return self._pos

    def tell(self) -> int:
        return self._pos


def encode_small(obj: Any) -> bytes | None:
    """The stored form of a small scalar or short string, as :func:`write_result` writes it.

    ``None`` for anything else, which is better streamed: a large object is never held
    twice in memory. Saves a task's result of a few bytes the streaming machinery.
    """
    t = type(obj)
    if t in _SMALL_TYPES or ((t is str or t is bytes) and len(obj) < _SMALL_TEXT):
        return zlib.compress(_TAG_PICKLE + pickle.dumps(obj, PICKLE_PROTOCOL), COMPRESSION_LEVEL)
    return None


def encode(obj: Any, level: int = COMPRESSION_LEVEL) -> bytes:
    """Return the compressed stored form of *obj* (arrays as ``b'N'``; ``None`` as ``b''``)."""
    out = io.BytesIO()
    write_result(obj, out, compress_numpy=True, level=level)
    return out.getvalue()


def encode_to(obj: Any, stream: IO[bytes]) -> None:
    """Write the compressed stored form of *obj* to *stream* (see :func:`encode`)."""
    write_result(obj, stream, compress_numpy=True)


def decode_from(stream: IO[bytes]) -> Any:
    """Read a stored result from *stream* (see :func:`decode`)."""
    return read_result(stream)
