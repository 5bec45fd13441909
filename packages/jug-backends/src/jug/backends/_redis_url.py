"""Parsing redis jugdirs into connection settings (no redis import: parsing needs none).

Accepted forms (anything else is an error that shows them; nothing falls back to localhost)::

    redis:                                         localhost:6379, db 0
    redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]     TCP
    rediss://[[USER]:PASSWORD@]HOST[:PORT][/DB]    TCP with TLS
    unix:///PATH/TO/redis.sock[?db=N]              a unix socket
    redis:HOST[:PORT][/DB]                         the original jug's documented short form

Query parameters: ``prefix=NAME`` (namespace the keys), ``retry=SECONDS`` (how long to keep
retrying a dropped connection), ``password=…``/``username=…`` (useful with ``unix://``),
``db=N`` and, for ``rediss://``, ``ssl_ca_certs``, ``ssl_certfile``, ``ssl_keyfile``,
``ssl_cert_reqs`` (``required``, ``optional`` or ``none``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from jug.errors import InvalidJugdirError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: The forms, as shown in error messages.
EXPECTED = (
    "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss://… (TLS), "
    "unix:///PATH/TO/SOCKET[?db=N], or redis: (localhost:6379); "
    "optional ?prefix=NAME"
)
DEFAULT_PORT = 6379
#: Seconds to keep retrying a lost connection before failing (``?retry=`` or this variable).
RETRY_ENV = "JUG_REDIS_RETRY"
DEFAULT_RETRY = 60.0
#: Password used when the URL gives none (keeps it off command lines and process lists).
PASSWORD_ENV = "JUG_REDIS_PASSWORD"

# Prefixes become part of SCAN patterns: no glob characters, so no escaping is needed.
_PREFIX = re.compile(r"[A-Za-z0-9_.\-/]+")
_SSL_PARAMS = ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile", "ssl_cert_reqs")
_PARAMS = ("prefix", "retry", "db", "password", "username", *_SSL_PARAMS)
_CERT_REQS = ("required", "optional", "none")


@dataclass
class RedisTarget:
    """Where a redis store lives and how to reach it.

    Attributes
    ----------
    kwargs : dict
        Keyword arguments for ``redis.Redis`` (host/port or unix_socket_path, db, auth, TLS).
    address : str
        The server, for messages (never includes the password).
    prefix : str
        Key prefix including its trailing ``:`` (empty: the original jug's bare keys).
    retry : float
        Seconds to keep retrying a lost connection.
    """

    kwargs: dict[str, Any] = field(default_factory=dict)
    address: str = ""
    prefix: str = ""
    retry: float = DEFAULT_RETRY

    @property
    def start_hint(self) -> str:
        """A command that starts a server where this target expects one."""
        path = self.kwargs.get("unix_socket_path")
        if path:
            return f"redis-server --port 0 --unixsocket {path}"
        port = self.kwargs.get("port", DEFAULT_PORT)
        return "redis-server" if port == DEFAULT_PORT else f"redis-server --port {port}"


def _fail(jugdir: str, why: str) -> InvalidJugdirError:
    shown = _hide_password(jugdir)
    return InvalidJugdirError(f"malformed redis jugdir {shown!r}: {why}; expected {EXPECTED}")


def _hide_password(url: str) -> str:
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url)


def _int(jugdir: str, text: str, what: str) -> int:
    if not text.isdigit():
        raise _fail(jugdir, f"{what} {text!r} is not a number")
    return int(text)


def parse(jugdir: str) -> RedisTarget:
    """Return the :class:`RedisTarget` that the redis jugdir *jugdir* names.

    Raises
    ------
    InvalidJugdirError
        If *jugdir* is not one of the accepted forms (the message lists them).
    """
    url = jugdir
    if url == "redis:" or url.startswith("redis:?"):
        url = "redis://localhost" + url[len("redis:") :]
    elif url.startswith("redis:") and not url.startswith("redis://"):
        url = "redis://" + url[len("redis:") :]  # the original's redis:HOST:PORT/DB
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _fail(jugdir, str(exc)) from None
    if parts.fragment:
        raise _fail(jugdir, "unexpected '#…'")
    try:
        query = dict(parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        if parts.query:
            raise _fail(jugdir, f"cannot read the query {parts.query!r}") from None
        query = {}
    unknown = sorted(set(query) - set(_PARAMS))
    if unknown:
        raise _fail(jugdir, f"unknown parameter {unknown[0]!r} (known: {', '.join(_PARAMS)})")

    target = RedisTarget()
    kw = target.kwargs
    scheme = parts.scheme
    if scheme in ("redis", "rediss"):
        host = parts.hostname
        if not host:
            raise _fail(jugdir, "no host name")
        if parts.path not in ("", "/"):
            kw["db"] = _int(jugdir, parts.path[1:], "database number")
        kw["host"] = host
        kw["port"] = DEFAULT_PORT if port is None else port
        shown_host = f"[{host}]" if ":" in host else host
        target.address = f"{shown_host}:{kw['port']}"
        if scheme == "rediss":
            kw["ssl"] = True
            for name in _SSL_PARAMS:
                if name in query:
                    kw[name] = query[name]
            if kw.get("ssl_cert_reqs", "required") not in _CERT_REQS:
                raise _fail(jugdir, f"ssl_cert_reqs must be one of {', '.join(_CERT_REQS)}")
        elif any(name in query for name in _SSL_PARAMS):
            raise _fail(jugdir, "TLS parameters need rediss://")
    elif scheme == "unix":
        if parts.netloc.rpartition("@")[2] or not parts.path.startswith("/"):
            raise _fail(jugdir, "a unix socket needs an absolute path (three slashes)")
        kw["unix_socket_path"] = unquote(parts.path)
        target.address = f"unix socket {kw['unix_socket_path']}"
    else:
        raise _fail(jugdir, f"unknown scheme {scheme!r}")

    if "db" in query:
        if "db" in kw:
            raise _fail(jugdir, "the database is given twice (path and ?db=)")
        kw["db"] = _int(jugdir, query["db"], "database number")
    kw.setdefault("db", 0)
    username = unquote(parts.username) if parts.username else query.get("username")
    password = unquote(parts.password) if parts.password else query.get("password")
    if password is None:
        password = os.environ.get(PASSWORD_ENV) or None
    if username:
        kw["username"] = username
    if password is not None:
        kw["password"] = password
    if kw["db"]:
        target.address += f" (db {kw['db']})"

    if "prefix" in query:
        prefix = query["prefix"]
        if not _PREFIX.fullmatch(prefix):
            raise _fail(jugdir, "a prefix may contain only letters, digits and _ . - /")
        target.prefix = prefix + ":"
    if "retry" in query:
        target.retry = _seconds(query["retry"], lambda why: _fail(jugdir, f"retry={why}"))
    elif os.environ.get(RETRY_ENV) is not None:
        # Not the jugdir's fault: the message names the variable.
        target.retry = _seconds(
            os.environ[RETRY_ENV], lambda why: InvalidJugdirError(f"{RETRY_ENV}={why}")
        )
    return target


def _seconds(text: str, error: Callable[[str], InvalidJugdirError]) -> float:
    """*text* as a number of seconds >= 0, or *error* (given what is wrong) raised."""
    try:
        value = float(text)
    except ValueError:
        raise error(f"{text!r} is not a number of seconds") from None
    if not value >= 0:
        raise error(f"{text!r}: the retry time must be a number of seconds >= 0")
    return value
