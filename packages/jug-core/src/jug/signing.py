"""Signed results: the secret key, the MAC of a stored result, and checking it.

A jugdir on a shared file system or a shared redis server is written by whoever can
write there, and loading a result unpickles it: without a check, anyone with write
access runs code in every process that loads results. With a secret key configured
(:func:`configured_signer`), every stored result carries a keyed MAC, and a store checks
it *before* it decodes anything (:meth:`Signer.open`); a missing or wrong MAC raises
:class:`jug.errors.SignatureError`, naming the hash, and nothing is unpickled.

The signed form of a result is its unsigned stored form (whatever the store writes
without a key) behind a header of 40 bytes::

    b"jugsig1\\n"  +  HMAC-SHA256(key, b"jug-signed-result\\0" + NAME + b"\\0" + STORED)  +  STORED

where NAME is the task's hash (40 hex digits, ASCII) or, for something a store signs as
a whole (the file store's pack), a name of the store's own that is never a hash. The
MAC lives inside the stored bytes: a result and its MAC are written (and replaced) in one
atomic write, a load reads them in one read, and a store keeps one thing per result as
before. Without a key, stores write exactly what they wrote before (the original jug
reads it), and read a signed result by skipping its header, unchecked.

This module is the one home of the format; stores call :meth:`Signer.seal`,
:meth:`Signer.open`, :meth:`Signer.state` (or :meth:`Signer.write_sealed` to stream a
large result) and :func:`unsigned_part`. ``docs/signing.md`` has the security model.
"""

from __future__ import annotations

import os

from .errors import SecretKeyError, SignatureError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import IO, Any, ClassVar

    from .store import Store

__all__ = [
    "HEADER_SIZE",
    "KEY_ENV",
    "KEY_FILE_ENV",
    "MAC_SIZE",
    "MAGIC",
    "MIN_KEY_BYTES",
    "SignatureState",
    "Signer",
    "configured_signer",
    "is_signed",
    "open_stored",
    "read_key_file",
    "unsigned_part",
    "use_signer",
]

#: The first bytes of every signed result (no other stored form starts with them: not
#: ``.npy``, parquet, a zlib stream, an empty result nor a pickle of protocol 2 or later).
MAGIC = b"jugsig1\n"
#: Bytes of the MAC (HMAC-SHA256).
MAC_SIZE = 32
#: Bytes before the unsigned stored form: :data:`MAGIC` and the MAC.
HEADER_SIZE = len(MAGIC) + MAC_SIZE
#: Environment variable holding the key itself (text; at least :data:`MIN_KEY_BYTES`).
KEY_ENV = "JUG_SECRET_KEY"
#: Environment variable naming a key file.
KEY_FILE_ENV = "JUG_SECRET_FILE"
#: The shortest key accepted, in bytes.
MIN_KEY_BYTES = 16

# What the MAC covers before the name: ties the MAC to this use of the key.
_DOMAIN = b"jug-signed-result\x00"
# SHA-256's block size: HMAC pads (or hashes) the key to it.
_BLOCK = 64


class SignatureState(str):
    """What a stored result's header says, checked with a key: one of the three values
    below, each equal to its lower-case name (a ``str``, so that comparing with
    ``"signed"`` works)."""

    __slots__ = ()

    if TYPE_CHECKING:
        SIGNED: ClassVar[SignatureState]
        UNSIGNED: ClassVar[SignatureState]
        FORGED: ClassVar[SignatureState]

    def __repr__(self) -> str:
        return f"SignatureState.{self.upper()}"


# Not an enum.Enum: making an Enum class costs every process that imports this module
# (every jug command) more than everything else here.
#: It carries a MAC, and the MAC is right for its name and bytes under the key.
SignatureState.SIGNED = SignatureState("signed")
#: It carries no MAC (written without a key, or by the original jug).
SignatureState.UNSIGNED = SignatureState("unsigned")
#: It carries a MAC that is wrong: changed bytes, another task's result moved here, or
#: signed with another key.
SignatureState.FORGED = SignatureState("forged")


def is_signed(data: bytes | bytearray | memoryview) -> bool:
    """Whether *data* (a stored result) starts with a signature header (checked or not)."""
    return bytes(data[: len(MAGIC)]) == MAGIC and len(data) >= HEADER_SIZE


def unsigned_part(data: bytes | bytearray | memoryview) -> memoryview:
    """*data* without its signature header, if it has one, **unchecked**: how a store
    without a key reads a signed result (as it reads any result: trusting the store)."""
    view = memoryview(data)
    return view[HEADER_SIZE:] if is_signed(view) else view


def open_stored(
    signer: Signer | None, name: str, data: bytes | bytearray | memoryview
) -> memoryview:
    """The unsigned stored form in *data*, the stored bytes of *name*: checked with
    *signer* (:meth:`Signer.open`), or, without one, :func:`unsigned_part`.

    Raises
    ------
    jug.errors.SignatureError
        With a signer, if *data* is unsigned or its MAC is wrong.
    """
    return unsigned_part(data) if signer is None else signer.open(name, data)


class Signer:
    """A secret key, and what a store does with it: sign and check stored results.

    Parameters
    ----------
    secret : bytes
        The key (at least :data:`MIN_KEY_BYTES` bytes).
    source : str, optional
        Where the key came from (a file name, an environment variable), for messages.
        Never the key itself.

    Raises
    ------
    jug.errors.SecretKeyError
        If *secret* is too short.
    """

    __slots__ = ("_inner", "_outer", "source")

    def __init__(self, secret: bytes, source: str = "") -> None:
        if len(secret) < MIN_KEY_BYTES:
            where = f" ({source})" if source else ""
            raise SecretKeyError(
                f"the secret key{where} is {len(secret)} bytes long; use at least "
                f"{MIN_KEY_BYTES} random bytes (e.g. `python -c 'import secrets; "
                "print(secrets.token_hex(32))'`)"
            )
        import hashlib

        # HMAC (RFC 2104) over SHA-256, from its two keyed states, made once: each MAC
        # starts from copies of them. A third cheaper than copying an hmac.HMAC object
        # (whose methods are Python), and what the standard library's hmac computes (the
        # tests check it against hmac.new).
        key = bytes(secret)
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_BLOCK, b"\x00")
        inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        inner.update(_DOMAIN)
        outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
        self._inner = inner.copy
        self._outer = outer.copy
        self.source = source

    def __repr__(self) -> str:
        return f"Signer(source={self.source!r})"

    def _mac(self, name: str, data: Any) -> bytes:
        h = self._inner()
        h.update(name.encode("ascii") + b"\x00")
        h.update(data)
        return self._finish(h)

    def _finish(self, inner: Any) -> bytes:
        """The MAC, from the inner hash of everything signed."""
        outer = self._outer()
        outer.update(inner.digest())
        return outer.digest()

    def mac(self, name: str, data: bytes | bytearray | memoryview) -> bytes:
        """The MAC of the unsigned stored form *data* of the result named *name*."""
        return self._mac(name, data)

    def seal(self, name: str, data: bytes | bytearray | memoryview) -> bytes:
        """The signed form of *data*, the unsigned stored form of the result *name*."""
        return MAGIC + self._mac(name, data) + bytes(data)

    def state(self, name: str, data: bytes | bytearray | memoryview) -> SignatureState:
        """Whether *data*, the stored bytes of the result *name*, is signed with this key."""
        import hmac

        view = memoryview(data)
        if not is_signed(view):
            return SignatureState.UNSIGNED
        good = self._mac(name, view[HEADER_SIZE:])
        if hmac.compare_digest(good, view[len(MAGIC) : HEADER_SIZE].tobytes()):
            return SignatureState.SIGNED
        return SignatureState.FORGED

    def open(self, name: str, data: bytes | bytearray | memoryview) -> memoryview:
        """The unsigned stored form inside *data*, after checking its MAC.

        Call it before decoding anything of *data*.

        Raises
        ------
        jug.errors.SignatureError
            If *data* is unsigned, or its MAC is wrong (the message names *name*).
        """
        state = self.state(name, data)
        if state != SignatureState.SIGNED:
            raise SignatureError(name, str(state))
        return memoryview(data)[HEADER_SIZE:]

    def write_sealed(self, out: IO[bytes], name: str, write: Callable[[Any], None]) -> None:
        """Write the signed form of a result to the seekable binary stream *out*, at its
        current position, streaming: *write* is called with a file-like object and writes
        the unsigned stored form to it; the header is filled in at the end.

        A large result is never held in memory for it.
        """
        start = out.tell()
        out.write(MAGIC + bytes(MAC_SIZE))
        h = self._inner()
        h.update(name.encode("ascii") + b"\x00")
        write(_MacWriter(out, h.update))
        end = out.tell()
        out.seek(start + len(MAGIC))
        out.write(self._finish(h))
        out.seek(end)


class _MacWriter:
    """A write-only stream passing what it is given to a file and to a MAC."""

    def __init__(self, out: IO[bytes], update: Callable[[Any], None]) -> None:
        self._out = out
        self._update = update

    def write(self, data: Any) -> int:
        view = memoryview(data)
        if not view.c_contiguous:
            view = memoryview(view.tobytes(order="A"))
        self._update(view)
        self._out.write(view)
        return view.nbytes

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        self._out.flush()


def read_key_file(path: str) -> bytes:
    """The key in the file *path*: its bytes, without surrounding whitespace.

    Raises
    ------
    jug.errors.SecretKeyError
        If the file cannot be read, is readable by every user, or holds too short a key.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise SecretKeyError(f"cannot read the secret key file {path!r}: {exc.strerror}") from None
    try:
        mode = os.fstat(fd).st_mode
        if mode & 0o004:
            raise SecretKeyError(
                f"the secret key file {path!r} can be read by every user of this machine; "
                f"make it private first (chmod 600 {path})"
            )
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks).strip()


def configured_signer(
    secret_file: str | None = None, environ: Mapping[str, str] | None = None
) -> Signer | None:
    """The signer of the configured key, or ``None`` when no key is configured.

    The key comes from, in this order: *secret_file* (``--secret-file``, or
    ``secret_file`` in a configuration file), the file named by ``JUG_SECRET_FILE``, the
    value of ``JUG_SECRET_KEY``.

    Raises
    ------
    jug.errors.SecretKeyError
        If the key named cannot be read or is too short.
    """
    env = os.environ if environ is None else environ
    if secret_file:
        return Signer(read_key_file(secret_file), secret_file)
    path = env.get(KEY_FILE_ENV)
    if path:
        return Signer(read_key_file(path), f"{KEY_FILE_ENV}={path}")
    text = env.get(KEY_ENV)
    if text:
        return Signer(text.strip().encode("utf-8"), KEY_ENV)
    return None


def use_signer(store: Store, signer: Signer | None) -> None:
    """Give *store* the key of *signer* (``None``: leave the store as it is).

    Raises
    ------
    jug.errors.SecretKeyError
        If *store* cannot sign results (its :attr:`~jug.store.Store.signs_results` is
        false): a key that would be silently ignored protects nothing.
    """
    if signer is None:
        return
    if not getattr(store, "signs_results", False):
        raise SecretKeyError(
            f"a secret key is configured ({signer.source}), but the store {store!r} cannot "
            "sign results; use a store that can (file, dict_store, redis) or unset the key"
        )
    store.signer = signer
