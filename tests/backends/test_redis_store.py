"""What is particular to the redis store: layout, prefixes, leases on the server, round trips,
scripts, errors (unreachable, authentication, missing package), reconnection, unix sockets, TLS.

The generic store behaviour is in test_store_contract.py, which runs on redis too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time

import pytest

from jug.backends.redis_store import redis_store
from jug.errors import CorruptResultError, StoreError
from jug.store import as_key

pytestmark = pytest.mark.requires_redis


@pytest.fixture
def round_trips(monkeypatch):
    """A counter of the requests clients send (a pipeline is one), in this process."""
    import redis.connection

    sent = [0]
    send = redis.connection.AbstractConnection.send_packed_command

    def counting(self, *args, **kwargs):
        sent[0] += 1
        return send(self, *args, **kwargs)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)
    return lambda: sent[0]


def test_prefixes_keep_projects_apart(redis_server, make_key):
    client = redis_server.client()
    client.set("unrelated", "x")
    bare = redis_store(redis_server.url)
    proj = redis_store(redis_server.url + "?prefix=proj")
    other = redis_store(redis_server.url + "?prefix=other")
    for store, name in ((bare, "b"), (proj, "p"), (other, "o")):
        store.dump(name, make_key(name))
        store.dump(name, make_key(name + "2"))
        assert store.getlock(make_key(name)).get()
        assert store.getlock(make_key(name + "-lock")).get()
    assert client.exists(f"result:{make_key('b')}", f"proj:result:{make_key('p')}") == 2
    assert client.exists(f"proj:lock:{make_key('p')}", f"other:lock:{make_key('o')}") == 2
    assert sorted(map(as_key, proj.list())) == sorted([make_key("p"), make_key("p2")])
    assert sorted(map(as_key, bare.listlocks())) == sorted([make_key("b"), make_key("b-lock")])

    assert proj.cleanup([make_key("p")]) == 1  # p2 (the lock of p-lock goes too, uncounted)
    assert proj.remove_locks() == 1
    assert bare.cleanup([]) == 2  # b and b2 (and, uncounted, both locks)
    assert bare.listlocks() == []
    for store, name in ((bare, "b"), (proj, "p")):
        assert store.can_load(make_key(name)) == (store is proj)
    # The other project and the foreign key were not touched.
    assert sorted(map(as_key, other.list())) == sorted([make_key("o"), make_key("o2")])
    assert len(other.listlocks()) == 2
    assert client.get("unrelated") == b"x"
    assert other.cleanup([]) == 2
    assert list(other.list()) == [] and other.listlocks() == []
    assert sorted(k.decode() for k in client.scan_iter()) == [
        "proj:result:" + make_key("p"),
        "unrelated",
    ]


def test_the_lease_lives_on_the_server(redis_server, make_key):
    store = redis_store(redis_server.url)
    client = redis_server.client()
    name = f"lock:{make_key('t')}"
    store.lease = 2.0
    lock = store.getlock(make_key("t"))
    assert lock.get()
    assert 1000 < client.pttl(name) <= 2000
    time.sleep(0.5)
    assert client.pttl(name) <= 1600
    info = store.lock_infos()[make_key("t")]
    assert 0.3 < time.time() - info.heartbeat < 1.5  # derived from the server's countdown
    before = client.pttl(name)
    assert lock.refresh()
    assert client.pttl(name) > before  # time only lowers it: the lease was renewed
    assert lock.fail("boom")
    assert client.pttl(name) == -1  # failed marks never expire
    assert json.loads(client.get(name))["failed"] is True


def test_expired_lease_is_gone_and_free(redis_server, make_key):
    store = redis_store(redis_server.url)
    store.lease = 0.2
    first = store.getlock(make_key("t"))
    assert first.get()
    time.sleep(0.35)
    assert store.listlocks() == []
    second = store.getlock(make_key("t"))
    assert second.get()
    assert not first.refresh()
    first.release()  # not the holder any more: nothing happens
    assert second.is_locked()


def test_scripts_are_resent_after_a_flush(redis_server, make_key):
    store = redis_store(redis_server.url)
    lock = store.getlock(make_key("t"))
    assert lock.get()
    redis_server.client().script_flush()
    assert lock.refresh()
    redis_server.client().script_flush()
    store.dump_and_release(1, make_key("t"), lock)
    assert not store.getlock(make_key("t")).is_locked()
    redis_server.client().script_flush()
    assert store.can_load_many([make_key("t"), make_key("u")]) == {make_key("t")}


def test_bulk_checks_take_a_handful_of_round_trips(redis_server, make_key, round_trips):
    store = redis_store(redis_server.url)
    client = redis_server.client()
    keys = [make_key(str(i)) for i in range(20_000)]
    pipe = client.pipeline(transaction=False)
    for key in keys[::2]:
        pipe.set(f"result:{key}", "")
    for key in keys[:6000]:
        pipe.set(f"lock:{key}", "L")
    pipe.execute()
    store.lock_infos(), store.can_load_many(keys[:1])  # the server learns the scripts
    before = round_trips()
    assert store.can_load_many(keys) == set(keys[::2])
    assert round_trips() - before <= 4  # batches of 5000 keys
    before = round_trips()
    infos = store.lock_infos()
    assert len(infos) == 6000 and all(i.state() == "running" for i in infos.values())
    assert round_trips() - before <= 8  # SCANs and one script call per batch
    before = round_trips()
    assert len(store.listlocks()) == 6000
    assert len(list(store.list())) == 10_000
    assert round_trips() - before <= 8


def test_dump_and_release_in_one_round_trip(redis_server, make_key, round_trips):
    store = redis_store(redis_server.url)
    lock = store.getlock(make_key("t"))
    assert lock.get()
    store.dump_and_release({"x": 1}, make_key("t"), lock)  # the server learns the scripts
    assert lock.get()
    before = round_trips()
    store.dump_and_release({"x": 1}, make_key("t"), lock)
    assert round_trips() - before == 1
    assert store.load(make_key("t")) == {"x": 1}
    assert not lock.is_locked()
    assert not lock.refresh()
    # A lock lost to another worker is not released; the result is saved all the same.
    store.lease = 0.2
    late = store.getlock(make_key("u"))
    assert late.get()
    time.sleep(0.35)
    winner = store.getlock(make_key("u"))
    assert winner.get()
    store.dump_and_release(2, make_key("u"), late)
    assert store.load(make_key("u")) == 2
    assert winner.is_locked() and winner.refresh()


def test_lock_unless_done_in_one_round_trip(redis_server, make_key, round_trips):
    store = redis_store(redis_server.url)
    warm = store.getlock(make_key("warm"))
    store.lock_unless_done(make_key("warm"), warm)  # the server learns the scripts
    store.dump_and_release(0, make_key("warm"), warm)
    store.dump(1, make_key("done"))
    for name, outcome in (("t", "locked"), ("t", "held"), ("done", "done")):
        before = round_trips()
        assert store.lock_unless_done(make_key(name), store.getlock(make_key(name))) == outcome
        assert round_trips() - before == 1
    # What a worker does per task: two round trips.
    before = round_trips()
    lock = store.getlock(make_key("u"))
    assert store.lock_unless_done(make_key("u"), lock) == "locked"
    store.dump_and_release(2, make_key("u"), lock)
    assert round_trips() - before == 2


def test_lock_unless_done_after_a_script_flush(redis_server, make_key):
    store = redis_store(redis_server.url)
    store.dump(1, make_key("done"))
    redis_server.client().script_flush()
    assert store.lock_unless_done(make_key("t"), store.getlock(make_key("t"))) == "locked"
    redis_server.client().script_flush()
    assert store.lock_unless_done(make_key("done"), store.getlock(make_key("done"))) == "done"


def test_lock_unless_done_script_is_safe_to_resend(redis_server, make_key):
    """A call whose reply was lost is sent again (``?retry=``): the second answer must be
    the first one's, and a lock taken by a lost call must not outlive a stored result."""
    from jug.backends import _redis_scripts as scripts
    from jug.backends.redis_store import _LOCK_UNLESS_DONE

    store = redis_store(redis_server.url)
    client = redis_server.client()
    rkey, lkey = f"result:{make_key('t')}", f"lock:{make_key('t')}"
    mine, theirs = b'{"token":"mine"}', b'{"token":"theirs"}'
    run = lambda value: _LOCK_UNLESS_DONE(store._link, [rkey, lkey], [value, 60_000])  # noqa: E731
    assert run(mine) == scripts.LOCKED
    assert run(mine) == scripts.LOCKED  # the resent call: still ours
    assert run(theirs) == scripts.HELD
    assert client.get(lkey) == mine
    store.dump("r", make_key("t"))  # e.g. saved by a worker that ignored locks
    assert run(theirs) == scripts.DONE
    assert client.get(lkey) == mine  # not theirs to remove
    assert run(mine) == scripts.DONE
    assert client.get(lkey) is None  # ours, and nobody would ever release it


def test_commands_from_threads_and_forks(redis_server, make_key):
    """Each thread, and a forked child, talks on a connection of its own."""
    store = redis_store(redis_server.url)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(200):
                key = make_key(f"{n}-{i}")
                lock = store.getlock(key)
                assert store.lock_unless_done(key, lock) == "locked"
                store.dump_and_release((n, i), key, lock)
                assert store.load(key) == (n, i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(list(store.list())) == 800
    pid = os.fork()
    if pid == 0:  # the child: its own connection, the parent's left alone
        code = 0
        try:
            work(9)
            code = 1 if errors else 0
        finally:
            os._exit(code)
    work(8)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0 and errors == []
    assert store.load(make_key("9-199")) == (9, 199)
    assert len(list(store.list())) == 1200


def test_new_lock_records_are_the_json_of_their_lockinfo():
    """The records of new locks are written field by field, for speed: the same JSON."""
    from jug.backends.redis_store import _new_record

    for lease in (600.0, 0.2, 1e-9, 3, float("inf")):
        info, value = _new_record(lease)
        assert value == json.dumps(vars(info), separators=(",", ":")).encode()
        assert json.loads(value) == info.to_dict()


def test_refused_save_is_an_error_and_frees_the_lock(private_redis, make_key):
    """A save the server refuses is a StoreError naming the cause; the result is not
    stored, and the lock, released in the same round trip, is not left behind. Here the
    worker's user may ``SET`` only locks (an ACL), so the ``SET`` of the result fails."""
    server = private_redis("redis7")
    server.client().execute_command(
        "ACL", "SETUSER", "reader", "on", ">pw", "+@all", "-set", "~*", "(+set ~lock:*)"
    )
    store = redis_store(f"redis://reader:pw@127.0.0.1:{server.port}")
    a = make_key("a")
    lock_a = store.getlock(a)
    assert store.lock_unless_done(a, lock_a) == "locked"
    with pytest.raises(StoreError, match="permission"):
        store.dump_and_release(1, a, lock_a)
    assert not store.can_load(a)
    assert store.listlocks() == []


def test_unpicklable_result_changes_nothing(redis_server, make_key):
    store = redis_store(redis_server.url)
    lock = store.getlock(make_key("t"))
    assert lock.get()
    with pytest.raises(Exception, match="pickle"):
        store.dump_and_release(lambda: 1, make_key("t"), lock)
    assert not store.can_load(make_key("t"))
    assert lock.refresh()  # still held


def test_corrupt_values_name_the_hash(redis_server, make_key):
    store = redis_store(redis_server.url)
    client = redis_server.client()
    client.set(f"result:{make_key('a')}", b"not base64 !!")
    client.set(f"result:{make_key('b')}", b"aGVsbG8=")  # valid base64, not a result
    for name in "ab":
        with pytest.raises(CorruptResultError) as info:
            store.load(make_key(name))
        assert make_key(name) in str(info.value)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_server_names_address_and_remedy(tmp_path):
    port = free_port()
    with pytest.raises(StoreError) as info:
        redis_store(f"redis://127.0.0.1:{port}/0")
    message = str(info.value)
    assert f"cannot connect to redis at 127.0.0.1:{port}" in message
    assert f"redis-server --port {port}" in message
    # The same from the command line: one line, non-zero exit, nothing created.
    (tmp_path / "jugfile.py").write_text("from jug import Task\nTask(int, 3)\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "jug",
            "status",
            "jugfile.py",
            "--jugdir",
            f"redis://127.0.0.1:{port}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0], proc.stderr
    assert sorted(os.listdir(tmp_path)) == ["jugfile.py"]


def test_authentication(private_redis, monkeypatch, make_key):
    server = private_redis("redis7", "--requirepass", "sekret")
    monkeypatch.delenv("JUG_REDIS_PASSWORD", raising=False)
    for url in (server.url, f"redis://:wrong@127.0.0.1:{server.port}"):
        with pytest.raises(StoreError) as info:
            redis_store(url)
        assert "refused the credentials" in str(info.value)
        assert "wrong" not in str(info.value).replace("WRONGPASS", "")
    store = redis_store(f"redis://:sekret@127.0.0.1:{server.port}/2")
    store.dump(1, make_key("t"))
    monkeypatch.setenv("JUG_REDIS_PASSWORD", "sekret")
    assert redis_store(server.url + "/2").load(make_key("t")) == 1


def test_missing_redis_package_says_what_to_install(tmp_path):
    fake = tmp_path / "fake"
    (fake / "redis").mkdir(parents=True)
    (fake / "redis" / "__init__.py").write_text("raise ImportError(\"No module named 'redis'\")\n")
    (tmp_path / "jugfile.py").write_text("from jug import Task\nTask(int, 3)\n")
    env = dict(os.environ, PYTHONPATH=str(fake))
    proc = subprocess.run(
        [sys.executable, "-m", "jug", "status", "jugfile.py", "--jugdir", "redis:"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "pip install jug-backends[redis]" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unix_socket_and_database(private_redis, tmp_path, make_key):
    sock = tmp_path / "r.sock"
    server = private_redis("redis7", "--unixsocket", str(sock), "--unixsocketperm", "700")
    store = redis_store(f"unix://{sock}?db=3&prefix=p")
    store.dump("via socket", make_key("t"))
    import redis

    client = redis.Redis(unix_socket_path=str(sock), db=3)
    assert client.exists(f"p:result:{make_key('t')}")
    assert not server.client().exists(f"p:result:{make_key('t')}")  # db 0 is empty


def test_reconnects_after_a_server_restart(private_redis, make_key):
    server = private_redis("redis7", persistent=True)
    store = redis_store(server.url + "?retry=30")
    store.dump("before", make_key("a"))
    lock = store.getlock(make_key("t"))
    assert lock.get()
    server.kill()
    restarter = threading.Timer(1.0, server.start)
    restarter.start()
    try:
        store.dump("during", make_key("b"))  # waits for the server, then succeeds
        assert store.load(make_key("a")) == "before"
        assert lock.refresh()  # the lock survived with the data
        lock.release()
        assert not lock.is_locked()
    finally:
        restarter.join()


def test_gives_up_after_the_retry_time(private_redis, make_key):
    server = private_redis("redis7")
    store = redis_store(server.url + "?retry=0.5")
    lock = store.getlock(make_key("t"))
    assert lock.get()
    server.kill()
    start = time.monotonic()
    with pytest.raises(StoreError) as info:
        store.dump("x", make_key("t"))
    assert time.monotonic() - start < 20
    message = str(info.value)
    assert "lost the connection to redis at 127.0.0.1" in message
    assert "within 0.5s" in message and "?retry=" in message


def _make_certs(where):
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=where, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=jug-test-ca",
            "-keyout", "ca.key", "-out", "ca.pem")  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
            "-keyout", "server.key", "-out", "server.csr")  # fmt: skip
    (where / "san.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "san.cnf", "-out", "server.pem")  # fmt: skip


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_tls(private_redis, tmp_path, make_key):
    _make_certs(tmp_path)
    tls_port = free_port()
    private_redis(
        "redis7",
        *("--tls-port", str(tls_port), "--tls-auth-clients", "no"),
        *("--tls-cert-file", str(tmp_path / "server.pem")),
        *("--tls-key-file", str(tmp_path / "server.key")),
        *("--tls-ca-cert-file", str(tmp_path / "ca.pem")),
    )
    store = redis_store(f"rediss://localhost:{tls_port}/0?ssl_ca_certs={tmp_path / 'ca.pem'}")
    store.dump("secret", make_key("t"))
    assert store.load(make_key("t")) == "secret"
    assert store.getlock(make_key("t")).get()
    # Without our CA the server's certificate is not trusted: a clear error, no fallback.
    with pytest.raises(StoreError) as info:
        redis_store(f"rediss://localhost:{tls_port}/0")
    assert f"cannot connect to redis at localhost:{tls_port}" in str(info.value)
    assert "certificate" in str(info.value).lower()
