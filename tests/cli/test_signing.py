"""Signed results (docs/signing.md), through the real ``jug``: the key's sources, the
format, forged results refused before anything is unpickled (``jug execute``, ``jug.value``,
``jug shell``, ``jug status --verify``), ``jug sign``, the dict, redis and pack forms, and
an unsigned project unchanged (the original still reads it)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import pickle
import shutil
import zlib

import pytest

JUGFILE = """
from jug import TaskGenerator

@TaskGenerator
def double(x):
    return 2 * x

@TaskGenerator
def add(a, b):
    return a + b

xs = [double(i) for i in range(3)]
total = add(xs[0], xs[1])
"""

SECRET = "0123456789abcdef0123456789abcdef"
KEY = {"JUG_SECRET_KEY": SECRET}
MAGIC = b"jugsig1\n"
ORIGINAL = os.environ.get("JUG_ORIGINAL_PYTHON", "/tmp/origjug/bin/python")


class Evil:
    """A result whose unpickling creates the file *path* (``open(path, 'w')``)."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def forged(path) -> bytes:
    """The file store's unsigned form of an :class:`Evil` result."""
    return zlib.compress(b"P" + pickle.dumps(Evil(path), protocol=5))


def mac(secret: bytes, key: str, stored: bytes) -> bytes:
    """The MAC of docs/signing.md, computed here independently of jug."""
    message = b"jug-signed-result\x00" + key.encode() + b"\x00" + stored
    return hmac.new(secret, message, hashlib.sha256).digest()


def result_file(project, key: str):
    return project.path / "jugfile.jugdata" / key[:2] / key[2:]


@pytest.fixture
def signed(project, hashes):
    """A project whose four results were computed and signed with KEY."""
    project.write("jugfile.py", JUGFILE)
    done = project.jug("execute", env=KEY)
    assert done.returncode == 0, done.stderr
    project.hashes = hashes(project)
    return project


def one_line_refusal(stderr: str, name: str, key: str) -> None:
    lines = [line for line in stderr.splitlines() if line.startswith("jug: refusing")]
    assert len(lines) == 1, stderr
    assert f"task {name} ({key})" in lines[0] and "nothing of it was unpickled" in lines[0]


def test_an_unsigned_project_is_unchanged_and_the_original_reads_it(project, hashes):
    project.write("jugfile.py", JUGFILE)
    assert project.jug("execute").returncode == 0
    keys = hashes(project)
    # The bytes we wrote before signing existed: the original's zlib + pickle form.
    stored = result_file(project, keys["jugfile.double"][1]).read_bytes()
    assert stored == zlib.compress(b"P" + pickle.dumps(2, protocol=5), 1)
    assert not stored.startswith(MAGIC)
    if not os.path.exists(ORIGINAL):
        pytest.skip("the original jug is not installed here")
    import subprocess

    code = (
        "import jug, json; s, ns = jug.init('jugfile.py', 'jugfile.jugdata'); "
        "print(json.dumps([jug.value(ns['total']), jug.value(ns['xs'])]))"
    )
    done = subprocess.run(
        [ORIGINAL, "-c", code], cwd=project.path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[2,", "[0,", "2,", "4]]"]


def test_signed_results_carry_the_documented_mac(signed):
    for name, keys in signed.hashes.items():
        for key in keys:
            data = result_file(signed, key).read_bytes()
            assert data[:8] == MAGIC, name
            assert data[8:40] == mac(SECRET.encode(), key, data[40:]), name
            assert data[40:][:1] == b"x"  # the unsigned form follows: a zlib stream
    verify = signed.jug("status", "--verify", env=KEY)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "All 4 stored result(s) are signed with this key." in verify.stdout
    # Without a key, a signed project is read as before (unchecked).
    code = (
        "import jug, json; s, ns = jug.init('jugfile.py'); print(json.dumps(jug.value(ns['xs'])))"
    )
    assert signed.python(code) == [0, 2, 4]


def test_execute_refuses_a_forged_dependency_and_unpickles_nothing(signed):
    victim = signed.hashes["jugfile.double"][0]
    total = signed.hashes["jugfile.add"][0]
    trap = signed.path / "PWNED"
    result_file(signed, victim).write_bytes(forged(trap))
    result_file(signed, total).unlink()
    done = signed.jug("execute", env=KEY)
    assert done.returncode == 1
    one_line_refusal(done.stderr, "jugfile.double", victim)
    assert not trap.exists()
    assert not result_file(signed, total).exists()  # nothing ran on the forged input
    # A replay: another task's signed result in its place is refused too.
    shutil.copy(
        result_file(signed, signed.hashes["jugfile.double"][2]), result_file(signed, victim)
    )
    done = signed.jug("execute", env=KEY)
    assert done.returncode == 1
    one_line_refusal(done.stderr, "jugfile.double", victim)
    assert "signature is wrong" in done.stderr


def test_value_and_the_shell_refuse_a_forged_result(signed):
    victim = signed.hashes["jugfile.double"][1]
    trap = signed.path / "PWNED"
    result_file(signed, victim).write_bytes(forged(trap))
    code = """
        import json, jug
        from jug.errors import SignatureError
        store, ns = jug.init("jugfile.py")
        try:
            jug.value(ns["xs"][1])
        except SignatureError as exc:
            print(json.dumps([exc.name, exc.key, exc.detail, str(exc)]))
    """
    name, key, detail, message = signed.python(code, env=KEY)
    assert (name, key, detail) == ("jugfile.double", victim, "unsigned")
    assert message.startswith(f"refusing to load task jugfile.double ({victim})")
    assert not trap.exists()
    pytest.importorskip("IPython")
    done = signed.jug("shell", env=KEY, input="print('GOT', value(xs[1]))\n")
    assert "refusing to load task jugfile.double" in done.stdout + done.stderr
    assert not any(line.startswith("GOT") for line in done.stdout.splitlines())
    assert not trap.exists()


def test_status_verify_reports_unsigned_and_forged_results(signed):
    d0, d1, d2 = signed.hashes["jugfile.double"]
    trap = signed.path / "PWNED"
    result_file(signed, d0).write_bytes(forged(trap))  # unsigned
    shutil.copy(result_file(signed, d2), result_file(signed, d1))  # a replay: forged
    done = signed.jug("status", "--verify", env=KEY)
    assert done.returncode == 1
    assert not trap.exists()
    assert "2 of 4 stored result(s) are not signed with this key:" in done.stdout
    table = done.stdout.split("are not signed with this key:\n", 1)[1].split("\n  unsigned")[0]
    rows = {p[2]: p[:2] for p in map(str.split, table.splitlines()) if len(p) == 3}
    assert rows["jugfile.double"] == ["1", "1"] and rows["Total"] == ["1", "1"]
    assert f"unsigned  jugfile.double ({d0})" in done.stdout
    assert f"forged    jugfile.double ({d1})" in done.stdout
    # The others were read back (and can be), the refused ones were not.
    assert "All 2 stored result(s) can be read." in done.stdout
    short = signed.jug("status", "--verify", "--short", env=KEY)
    assert short.returncode == 1 and d0 not in short.stdout and not trap.exists()


def test_jug_sign_asks_then_signs_the_unsigned_results(project, hashes):
    project.write("jugfile.py", JUGFILE)
    assert project.jug("execute").returncode == 0  # no key: unsigned
    keys = hashes(project)
    refused = project.jug("execute", env=KEY)
    assert refused.returncode == 0  # everything is done: nothing needs loading
    status = project.jug("status", "--verify", env=KEY)
    assert status.returncode == 1 and "4 of 4 stored result(s)" in status.stdout
    asked = project.jug("sign", env=KEY)  # stdin is not a terminal: no answer possible
    assert asked.returncode == 2 and "--yes" in asked.stderr
    no_key = project.jug("sign", "--yes")
    assert no_key.returncode == 1 and "needs the secret key" in no_key.stderr
    done = project.jug("sign", "--yes", env=KEY)
    assert done.returncode == 0, done.stderr
    assert "Signed 4 result(s)" in done.stdout
    assert project.jug("status", "--verify", env=KEY).returncode == 0
    # With another key they look forged: sign leaves them alone unless --resign.
    other = {"JUG_SECRET_KEY": "another key, long enough to use"}
    left = project.jug("sign", "--yes", env=other)
    assert left.returncode == 1 and "4 result(s) have a wrong signature" in left.stdout
    resigned = project.jug("sign", "--yes", "--resign", env=other)
    assert resigned.returncode == 0 and "Signed 4 result(s)" in resigned.stdout
    data = result_file(project, keys["jugfile.add"][0]).read_bytes()
    assert data[8:40] == mac(b"another key, long enough to use", keys["jugfile.add"][0], data[40:])


def test_the_key_from_a_file_the_config_and_the_command_line(project, hashes):
    project.write("jugfile.py", JUGFILE)
    keyfile = project.path / "secret.key"
    keyfile.write_text(SECRET + "\n")
    keyfile.chmod(0o600)
    done = project.jug("execute", "--target", "jugfile.double", "--secret-file", "secret.key")
    assert done.returncode == 0, done.stderr
    keys = hashes(project)
    data = result_file(project, keys["jugfile.double"][0]).read_bytes()
    assert data[8:40] == mac(SECRET.encode(), keys["jugfile.double"][0], data[40:])
    # The same key through JUG_SECRET_FILE and through a configuration file.
    assert project.jug("status", "--verify", env={"JUG_SECRET_FILE": str(keyfile)}).stdout
    project.write(".jugrc", "[main]\nsecret_file = secret.key\n")
    verify = project.jug("status", "--verify")
    assert "All 3 stored result(s) are signed with this key." in verify.stdout, verify.stderr
    # A key file everyone can read, a short key: one line each, nothing done.
    keyfile.chmod(0o644)
    bad = project.jug("execute")
    assert bad.returncode == 1 and "chmod 600" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    short = project.jug("status", "--secret-file", "", env={"JUG_SECRET_KEY": "short"})
    assert short.returncode == 1 and "at least 16" in short.stderr
    assert not result_file(project, keys["jugfile.add"][0]).exists()


def test_dict_store_file_signed_and_its_file_never_runs_code(project):
    project.write("jugfile.py", JUGFILE)
    jugdir = "dict_store:results.pickle"
    assert project.jug("execute", "--jugdir", jugdir, env=KEY).returncode == 0
    with open(project.path / "results.pickle", "rb") as stream:
        saved = pickle.load(stream)
    values = [v for k, v in saved.items() if k.startswith(b"result:")]
    assert len(values) == 4 and all(v.startswith(MAGIC) for v in values)
    again = project.jug("status", "--verify", "--jugdir", jugdir, env=KEY)
    assert again.returncode == 0, again.stdout + again.stderr
    # The file itself is plain data: one that refers to a function is refused unopened.
    trap = project.path / "PWNED"
    with open(project.path / "results.pickle", "wb") as stream:
        pickle.dump({b"result:" + b"0" * 40: Evil(trap)}, stream)
    done = project.jug("status", "--jugdir", jugdir)
    assert done.returncode == 1 and "holds plain data only" in done.stderr
    assert not trap.exists()


@pytest.mark.requires_redis
def test_redis_results_are_signed_and_forgeries_refused(project, hashes, redis7_server):
    redis7_server.flush()
    project.write("jugfile.py", JUGFILE)
    url = redis7_server.url
    assert project.jug("execute", "--jugdir", url, env=KEY).returncode == 0
    keys = hashes(project)
    client = redis7_server.client()
    victim = keys["jugfile.double"][0]
    stored = base64.b64decode(client.get(b"result:" + victim.encode()))
    assert stored[:8] == MAGIC and stored[8:40] == mac(SECRET.encode(), victim, stored[40:])
    trap = project.path / "PWNED"
    client.set(b"result:" + victim.encode(), base64.b64encode(forged(trap)))
    client.delete(b"result:" + keys["jugfile.add"][0].encode())
    done = project.jug("execute", "--jugdir", url, env=KEY)
    assert done.returncode == 1
    one_line_refusal(done.stderr, "jugfile.double", victim)
    verify = project.jug("status", "--verify", "--jugdir", url, env=KEY)
    assert verify.returncode == 1 and f"unsigned  jugfile.double ({victim})" in verify.stdout
    assert not trap.exists()


def test_the_pack_is_signed_as_a_whole(signed):
    packed = signed.jug("pack", env=KEY)
    assert packed.returncode == 0, packed.stderr
    pack = signed.path / "jugfile.jugdata" / "packs" / "jugpack"
    data = pack.read_bytes()
    assert data[:8] == MAGIC and data[8:40] == mac(SECRET.encode(), "packs/jugpack", data[40:])
    status = signed.jug("status", "--verify", env=KEY)
    assert status.returncode == 0, status.stdout + status.stderr
    # An unsigned pack (what a key-less `jug pack` writes) is refused as a whole.
    trap = signed.path / "PWNED"
    pack.write_bytes(zlib.compress(b"P" + pickle.dumps({b"0" * 40: Evil(trap)}, protocol=5)))
    done = signed.jug("status", env=KEY)
    assert done.returncode == 1 and "refusing to load packs/jugpack" in done.stderr
    verify = signed.jug("status", "--verify", env=KEY)
    assert verify.returncode == 1 and "packs/jugpack is unsigned" in verify.stdout
    assert not trap.exists()


def test_the_header_written_out_in_the_codec_is_the_signing_modules():
    from jug.backends.encode import SIGNED_MAGIC
    from jug.signing import MAGIC

    assert SIGNED_MAGIC == MAGIC == b"jugsig1\n"


BVALUE = """
from jug import TaskGenerator, bvalue

@TaskGenerator
def double(x):
    return 2 * x

first = double(2)
second = double(bvalue(first))
"""


def test_a_jugfile_loading_an_unsigned_result_stops_with_one_line(project, hashes):
    project.write("jugfile.py", BVALUE)
    assert project.jug("execute").returncode == 0  # no key: unsigned
    first = hashes(project)["jugfile.double"][0]
    done = project.jug("status", env=KEY)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"jug: refusing to load task jugfile.double ({first}): it is not signed; nothing of "
        "it was unpickled. If you trust it, `jug sign` signs it; otherwise `jug invalidate` "
        "the task."
    ]
    # jug sign does not load the jugfile, so it can sign such a project.
    signed = project.jug("sign", "--yes", env=KEY)
    assert signed.returncode == 0 and "Signed 2 result(s)" in signed.stdout
    assert project.jug("status", "--verify", env=KEY).returncode == 0
