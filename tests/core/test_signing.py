"""jug.signing on its own (jug-core): the MAC is HMAC-SHA256 as the standard library makes
it, the header, streaming, where the key comes from, and a store that cannot sign."""

from __future__ import annotations

import hashlib
import hmac
import io
import os

import pytest

from jug.errors import SecretKeyError, SignatureError
from jug.signing import (
    HEADER_SIZE,
    MAGIC,
    SignatureState,
    Signer,
    configured_signer,
    is_signed,
    open_stored,
    unsigned_part,
    use_signer,
)
from jug.testing import MemoryStore

NAME = "3ab04c6abfa31e89deca3a8c90fa30d13d8bba68"


def reference(key: bytes, name: str, data: bytes) -> bytes:
    message = b"jug-signed-result\x00" + name.encode() + b"\x00" + data
    return hmac.new(key, message, hashlib.sha256).digest()


@pytest.mark.parametrize("size", [16, 32, 63, 64, 65, 200])
def test_the_mac_is_the_standard_librarys_hmac_sha256(size):
    key = os.urandom(size)
    signer = Signer(key)
    for data in (b"", b"abc", os.urandom(100_000)):
        assert signer.mac(NAME, data) == reference(key, NAME, data)
        sealed = signer.seal(NAME, data)
        assert sealed == MAGIC + reference(key, NAME, data) + data
        assert len(sealed) - len(data) == HEADER_SIZE
        assert signer.state(NAME, sealed) == "signed" == SignatureState.SIGNED
        assert bytes(signer.open(NAME, sealed)) == data


def test_unsigned_forged_and_replayed_data_is_refused():
    signer = Signer(b"k" * 32)
    sealed = signer.seal(NAME, b"payload")
    other = "0" * 40
    assert signer.state(NAME, b"payload") is SignatureState.UNSIGNED
    assert signer.state(other, sealed) is SignatureState.FORGED  # another task's result
    assert Signer(b"j" * 32).state(NAME, sealed) is SignatureState.FORGED  # another key
    tampered = sealed[:-1] + b"X"
    assert signer.state(NAME, tampered) is SignatureState.FORGED
    assert signer.state(NAME, MAGIC) is SignatureState.UNSIGNED  # too short for a header
    with pytest.raises(SignatureError) as info:
        signer.open(other, sealed)
    assert info.value.key == other and info.value.detail == "forged"
    assert str(info.value).startswith(f"refusing to load result {other}: its signature is wrong")
    # Without a key, the header is skipped unchecked; unsigned data is left as it is.
    assert bytes(unsigned_part(sealed)) == b"payload" == bytes(open_stored(None, NAME, sealed))
    assert bytes(unsigned_part(b"payload")) == b"payload"
    assert is_signed(sealed) and not is_signed(b"payload")


def test_streamed_sealing_writes_what_seal_makes():
    signer = Signer(b"k" * 32)
    data = os.urandom(300_000)
    out = io.BytesIO()
    out.write(b"before")
    signer.write_sealed(
        out,
        NAME,
        lambda stream: [stream.write(data[i : i + 7000]) for i in range(0, len(data), 7000)],
    )
    assert out.getvalue() == b"before" + signer.seal(NAME, data)


def test_where_the_key_comes_from(tmp_path):
    keyfile = tmp_path / "key"
    keyfile.write_bytes(b"  file key, long enough\n")
    keyfile.chmod(0o600)
    assert configured_signer(environ={}) is None
    from_env = configured_signer(environ={"JUG_SECRET_KEY": "env key, long enough "})
    assert from_env is not None and from_env.mac(NAME, b"") == reference(
        b"env key, long enough", NAME, b""
    )
    env = {"JUG_SECRET_KEY": "env key, long enough", "JUG_SECRET_FILE": str(keyfile)}
    signer = configured_signer(environ=env)  # the file wins over the key itself
    assert signer is not None and signer.mac(NAME, b"x") == reference(
        b"file key, long enough", NAME, b"x"
    )
    assert "JUG_SECRET_FILE" in signer.source and "long enough" not in repr(signer)
    explicit = configured_signer(str(keyfile), environ={"JUG_SECRET_KEY": "another, long key"})
    assert explicit is not None and explicit.source == str(keyfile)


def test_bad_keys_are_refused_with_one_line(tmp_path):
    keyfile = tmp_path / "key"
    keyfile.write_text("a key that is long enough")
    keyfile.chmod(0o644)
    with pytest.raises(SecretKeyError, match="chmod 600"):
        configured_signer(str(keyfile), environ={})
    with pytest.raises(SecretKeyError, match="cannot read the secret key file"):
        configured_signer(str(tmp_path / "absent"), environ={})
    with pytest.raises(SecretKeyError, match="at least 16"):
        configured_signer(environ={"JUG_SECRET_KEY": "short"})


def test_a_key_is_refused_for_a_store_that_cannot_sign():
    class Unsigning(MemoryStore):
        signs_results = False

    store = Unsigning()
    use_signer(store, None)  # no key: nothing to refuse
    with pytest.raises(SecretKeyError, match="cannot sign results"):
        use_signer(store, Signer(b"k" * 16))
    signing = MemoryStore()
    use_signer(signing, Signer(b"k" * 16))
    assert signing.signer is not None
