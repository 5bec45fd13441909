"""Redis jugdir forms: every accepted form, and a clear error (never localhost) otherwise."""

from __future__ import annotations

import pytest

from jug.backend_registry import backend_name_for, load_backend
from jug.backends import redis_store
from jug.backends._redis_url import parse
from jug.errors import InvalidJugdirError


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    monkeypatch.delenv("JUG_REDIS_RETRY", raising=False)
    monkeypatch.delenv("JUG_REDIS_PASSWORD", raising=False)


@pytest.mark.parametrize(
    ("url", "kwargs", "address"),
    [
        ("redis:", {"host": "localhost", "port": 6379, "db": 0}, "localhost:6379"),
        ("redis://example.org", {"host": "example.org", "port": 6379, "db": 0}, "example.org:6379"),
        ("redis://10.0.0.5:7000/", {"host": "10.0.0.5", "port": 7000, "db": 0}, "10.0.0.5:7000"),
        ("redis://h:7000/3", {"host": "h", "port": 7000, "db": 3}, "h:7000 (db 3)"),
        ("redis://[::1]:7000/1", {"host": "::1", "port": 7000, "db": 1}, "[::1]:7000 (db 1)"),
        # The original jug's documented short form.
        ("redis:h:7000/2", {"host": "h", "port": 7000, "db": 2}, "h:7000 (db 2)"),
        (
            "redis://:s%40cret@h/0",
            {"host": "h", "port": 6379, "db": 0, "password": "s@cret"},
            "h:6379",
        ),
        (
            "redis://alice:pw@h:1/0",
            {"host": "h", "port": 1, "db": 0, "username": "alice", "password": "pw"},
            "h:1",
        ),
        (
            "rediss://h:6380/0",
            {"host": "h", "port": 6380, "db": 0, "ssl": True},
            "h:6380",
        ),
        (
            "rediss://h/0?ssl_ca_certs=/ca.pem&ssl_cert_reqs=required",
            {
                "host": "h",
                "port": 6379,
                "db": 0,
                "ssl": True,
                "ssl_ca_certs": "/ca.pem",
                "ssl_cert_reqs": "required",
            },
            "h:6379",
        ),
        (
            "unix:///run/redis/redis.sock",
            {"unix_socket_path": "/run/redis/redis.sock", "db": 0},
            "unix socket /run/redis/redis.sock",
        ),
        (
            "unix:///tmp/r.sock?db=4&password=pw",
            {"unix_socket_path": "/tmp/r.sock", "db": 4, "password": "pw"},
            "unix socket /tmp/r.sock (db 4)",
        ),
    ],
)
def test_accepted_forms(url, kwargs, address):
    target = parse(url)
    assert target.kwargs == kwargs
    assert target.address == address
    assert target.prefix == ""
    assert load_backend(backend_name_for(url)) is redis_store.from_jugdir


def test_prefix_and_retry():
    target = parse("redis://h/1?prefix=proj-a.v2&retry=2.5")
    assert target.prefix == "proj-a.v2:"
    assert target.retry == 2.5
    assert parse("redis:?prefix=x").prefix == "x:"
    assert parse("redis:").retry == 60.0


def test_environment(monkeypatch):
    monkeypatch.setenv("JUG_REDIS_RETRY", "7")
    monkeypatch.setenv("JUG_REDIS_PASSWORD", "from-env")
    target = parse("redis://h/0")
    assert target.retry == 7.0
    assert target.kwargs["password"] == "from-env"
    # A password in the URL wins over the environment.
    assert parse("redis://:url@h/0").kwargs["password"] == "url"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("redis://", "no host"),
        ("redis:///0", "no host"),
        ("redis://h:port/0", "Port could not be cast"),
        ("redis://h:99999/0", "out of range"),
        ("redis://h/zero", "database number 'zero'"),
        ("redis://h/0/1", "database number"),
        ("redis://h/0?prefix=a*b", "prefix"),
        ("redis://h/0?prefix=", "prefix"),
        ("redis://h/0?colour=red", "unknown parameter 'colour'"),
        ("redis://h/0?retry=soon", "retry='soon'"),
        ("redis://h/0?retry=-1", "retry"),
        ("redis://h/1?db=2", "twice"),
        ("redis://h/0?ssl_ca_certs=/x", "rediss://"),
        ("rediss://h/0?ssl_cert_reqs=maybe", "ssl_cert_reqs"),
        ("unix://relative/sock", "absolute path"),
        ("unix:", "absolute path"),
        ("redis://h/0#frag", "#"),
        ("rediss:", "no host"),
    ],
)
def test_malformed_urls_say_what_is_expected(url, why):
    with pytest.raises(InvalidJugdirError) as info:
        parse(url)
    message = str(info.value)
    assert why in message
    assert "expected redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]" in message
    assert "unix:///" in message and "rediss://" in message
    assert "\n" not in message


def test_errors_hide_the_password():
    with pytest.raises(InvalidJugdirError) as info:
        parse("redis://:hunter2@h/zero")
    assert "hunter2" not in str(info.value)
    assert "***" in str(info.value)


def test_start_hint():
    assert parse("redis:").start_hint == "redis-server"
    assert parse("redis://h:7000").start_hint == "redis-server --port 7000"
    assert "--unixsocket /tmp/r.sock" in parse("unix:///tmp/r.sock").start_hint
