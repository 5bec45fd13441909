"""Connecting to a redis server, sending commands, retrying lost connections, and one-line
error messages."""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Sequence

from jug.errors import StoreError

from ._redis_url import RedisTarget

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    T = TypeVar("T")

log = logging.getLogger("jug")


INSTALL_HINT = "pip install jug-backends[redis] (or pip install jug)"
# Backoff between reconnection attempts: doubling from the first to the last value.
_FIRST_DELAY = 0.05
_MAX_DELAY = 2.0
# A dropped server is noticed through this socket timeout at worst (large results take a
# while to transfer, so it is generous); connecting gets a shorter one.
_SOCKET_TIMEOUT = 120.0
_CONNECT_TIMEOUT = 10.0


def import_redis() -> Any:
    """The ``redis`` package, or a one-line error saying how to install it."""
    try:
        import redis
    except ImportError as exc:
        raise StoreError(
            f"the redis store needs the `redis` Python package: {INSTALL_HINT}"
        ) from exc
    return redis


def connect(target: RedisTarget) -> Any:
    """A ``redis.Redis`` client for *target* (no connection is made yet).

    redis-py's own retries are disabled: :func:`retrying` retries with a bounded backoff
    and then fails with a clear message.
    """
    redis = import_redis()
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis(
        **target.kwargs,
        socket_timeout=_SOCKET_TIMEOUT,
        socket_connect_timeout=_CONNECT_TIMEOUT,
        socket_keepalive=True,
        retry=Retry(NoBackoff(), 0),
        retry_on_error=[],
        health_check_interval=30,
    )


# Arguments longer than this are sent as chunks of their own, never copied into a buffer.
_INLINE = 1 << 14


def pack(commands: Sequence[tuple[Any, ...]]) -> list[bytes]:
    """The RESP request for *commands*: chunks to send in order.

    Arguments are ``bytes``, ``str`` (sent UTF-8) or ``int``. This is what redis-py's packer
    does for such arguments, at a fraction of its cost (it handles every Python type and
    splits command names with spaces).
    """
    chunks: list[bytes] = []
    buf: list[bytes] = []
    for command in commands:
        buf.append(b"*%d\r\n" % len(command))
        for arg in command:
            if not isinstance(arg, bytes):
                if isinstance(arg, str):
                    arg = arg.encode()
                elif isinstance(arg, int):
                    arg = b"%d" % arg
                else:
                    raise TypeError(f"cannot send a {type(arg).__name__} to redis")
            if len(arg) > _INLINE:
                buf.append(b"$%d\r\n" % len(arg))
                chunks.append(b"".join(buf))
                chunks.append(arg)
                buf = [b"\r\n"]
            else:
                buf.append(b"$%d\r\n%b\r\n" % (len(arg), arg))
    chunks.append(b"".join(buf))
    return chunks


# Counts the forks of this process (in the child): a link opens new connections after one.
_forks = 0


def _forked() -> None:
    global _forks
    _forks += 1


os.register_at_fork(after_in_child=_forked)


class Link:
    """Commands to a server on a connection of the calling thread's own; replies raw.

    ``redis.Redis`` takes a connection from its pool and gives it back around every command
    and post-processes each reply by command name, which costs several times the round trip
    to a local server. A link keeps one connection per thread (the lease heartbeat of
    ``jug execute`` has its own thread, so it never waits behind a large transfer) and opens
    new ones after a fork. Connections are made as *client*'s pool would make them (address,
    credentials, TLS, database, timeouts, health checks), when first needed.

    Replies are what the server sent: ``bytes``, ``int``, ``None`` or lists of those. An
    error reply raises its ``redis.exceptions.ResponseError`` (the connection stays usable).
    Anything else that interrupts a command (a lost connection, ``KeyboardInterrupt``)
    closes the connection, so that a late reply is never read as the answer to the next
    command; the next command reconnects.

    Parameters
    ----------
    client : redis.Redis
        The client whose connection settings to use.
    """

    def __init__(self, client: Any) -> None:
        from redis.exceptions import ResponseError

        self._pool = client.connection_pool
        self._error_reply = ResponseError
        self._local = threading.local()
        self._open: weakref.WeakSet[Any] = weakref.WeakSet()
        self._mutex = threading.Lock()

    def _connection(self) -> Any:
        local = self._local
        conn = getattr(local, "conn", None)
        if conn is None or local.forks != _forks:
            pool = self._pool
            conn = pool.connection_class(**pool.connection_kwargs)
            local.conn, local.forks = conn, _forks
            with self._mutex:
                self._open.add(conn)
        return conn

    def call(self, *args: Any) -> Any:
        """Send one command (e.g. ``call("GET", key)``) and return its reply.

        Arguments are ``bytes``, ``str`` or ``int`` (see :func:`pack`).
        """
        conn = self._connection()
        try:
            conn.send_packed_command(pack((args,)))
            return conn.read_response()
        except self._error_reply:
            raise
        except BaseException:
            conn.disconnect()
            raise

    def calls(self, commands: Sequence[tuple[Any, ...]]) -> list[Any]:
        """Send *commands* together (one round trip); return their replies in order.

        An error reply is returned as its exception, not raised: every reply is read.
        """
        conn = self._connection()
        try:
            conn.send_packed_command(pack(commands))
            replies: list[Any] = []
            for _ in commands:
                try:
                    replies.append(conn.read_response())
                except self._error_reply as exc:
                    replies.append(exc)
            return replies
        except BaseException:
            conn.disconnect()
            raise

    def close(self) -> None:
        """Close every connection of this link (a later command opens a new one)."""
        with self._mutex:
            conns = list(self._open)
        for conn in conns:
            conn.disconnect()


def describe(target: RedisTarget, exc: BaseException, what: str) -> StoreError | None:
    """The one-line :class:`StoreError` for a redis error that is not worth retrying.

    Returns ``None`` for connection errors, which are worth retrying.
    """
    from redis import exceptions as rx

    reason = str(exc).strip() or type(exc).__name__
    if isinstance(exc, rx.AuthenticationError) or (
        isinstance(exc, rx.ResponseError)
        and reason.upper().startswith(("NOAUTH", "WRONGPASS", "INVALID USERNAME"))
    ):
        return StoreError(
            f"redis at {target.address} refused the credentials ({reason}): check the password "
            f"(in the URL, or the JUG_REDIS_PASSWORD environment variable) and the user name"
        )
    if isinstance(exc, rx.NoPermissionError):
        return StoreError(f"redis at {target.address} denied permission to {what}: {reason}")
    if isinstance(exc, rx.ConnectionError | rx.TimeoutError):
        return None
    if isinstance(exc, rx.RedisError):
        return StoreError(f"redis at {target.address} could not {what}: {reason}")
    return None


def unreachable(target: RedisTarget, exc: BaseException) -> StoreError:
    """The error for a server that cannot be reached at all."""
    reason = str(exc).strip().rstrip(".") or type(exc).__name__
    if ". " in reason:  # redis-py prefixes "Error N connecting to host:port. <reason>"
        reason = reason.rsplit(". ", 1)[1]
    return StoreError(
        f"cannot connect to redis at {target.address}: {reason}. "
        f"Is a redis server running there? Start one with `{target.start_hint}`"
    )


def retrying(target: RedisTarget, what: str, fn: Callable[[], T]) -> T:
    """Call *fn*, retrying for up to ``target.retry`` seconds while the server is unreachable.

    Every operation of the store is safe to repeat (results are written in one command,
    lock changes are idempotent scripts), so a call whose reply was lost is simply sent again.

    Raises
    ------
    StoreError
        With a one-line message: the server stayed unreachable, refused the credentials,
        or rejected the command.
    """
    try:
        return fn()  # the common case, without the bookkeeping below
    except Exception as exc:
        from redis import exceptions as rx

        if not isinstance(exc, rx.RedisError):
            raise
        first = exc
    return _retry(target, what, fn, first)


def _retry(target: RedisTarget, what: str, fn: Callable[[], T], exc: Exception) -> T:
    """The rest of :func:`retrying`, after *fn* failed with *exc* the first time."""
    from redis import exceptions as rx

    deadline = time.monotonic() + target.retry
    delay = _FIRST_DELAY
    warned = False
    while True:
        fatal = describe(target, exc, what)
        if fatal is not None:
            raise fatal from exc
        if not warned and target.retry > 0:
            log.warning(
                "lost the connection to redis at %s (%s); retrying for up to %gs",
                target.address,
                exc,
                target.retry,
            )
            warned = True
        now = time.monotonic()
        if now >= deadline:
            raise StoreError(
                f"lost the connection to redis at {target.address} while trying to {what} "
                f"and could not reconnect within {target.retry:g}s ({exc}); "
                f"set ?retry=SECONDS in the jugdir to wait longer"
            ) from exc
        time.sleep(min(delay, deadline - now))
        delay = min(delay * 2, _MAX_DELAY)
        try:
            return fn()
        except rx.RedisError as again:
            exc = again
