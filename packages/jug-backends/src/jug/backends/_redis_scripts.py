"""The server-side (Lua) scripts of the redis store, and running them by SHA.

A lock's value is the JSON record its holder wrote; the holder is whoever knows that exact
value (it contains a random token), so every owner check is "is the value still mine?",
done on the server in the same step as the change, so that no other client can slip in
between. Scripts are sent by SHA (``EVALSHA``) and, when the server does not know them yet
(after a restart or ``SCRIPT FLUSH``), once in full (``EVAL``, which also caches them).

Scripts run on a :class:`jug.backends._redis_client.Link` (raw replies, one connection per
thread).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# KEYS[1] lock; ARGV[1] our record, ARGV[2] lease (ms). Returns 1 if we hold the lock.
# The second test makes a retried call (whose first reply was lost) report success; an
# original-jug lock ('L', no expiry) gets our lease, so that it cannot block forever.
GET = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then return 1 end
if cur == 'L' and redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

# KEYS[1] result, KEYS[2] lock; ARGV[1] our record, ARGV[2] lease (ms). Returns DONE (2) if
# the result is stored (without locking), else what GET returns: LOCKED (1) or HELD (0).
# A retried call whose first reply was lost may have taken the lock before another worker
# stored the result: a lock that is ours is then given back, as nobody will release it.
LOCK_UNLESS_DONE = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
  return 2
end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
local cur = redis.call('GET', KEYS[2])
if cur == ARGV[1] then return 1 end
if cur == 'L' and redis.call('PTTL', KEYS[2]) == -1 then
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return 0
"""
HELD, LOCKED, DONE = 0, 1, 2

# KEYS[1] lock; ARGV[1] our record. Deletes the lock only if it is still ours.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS[1] lock; ARGV[1] our record, ARGV[2] lease (ms). Renews the expiry if still ours.
REFRESH = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""

# KEYS[1] lock; ARGV[1] our record, ARGV[2] the failed record. A plain SET drops the
# expiry: failed marks stay until removed. Already-failed-by-us counts (a retried call).
FAIL = """
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[2] then return 1 end
if cur == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end
return 0
"""

# KEYS: results. Returns a string with one '1' or '0' per key.
EXISTS_MANY = """
local out = {}
for i, key in ipairs(KEYS) do out[i] = redis.call('EXISTS', key) end
return table.concat(out)
"""

# KEYS: locks. Returns value1, pttl1, value2, pttl2, … (false for a vanished lock).
RECORDS = """
local out = {}
for i, key in ipairs(KEYS) do
  out[2 * i - 1] = redis.call('GET', key)
  out[2 * i] = redis.call('PTTL', key)
end
return out
"""


class Script:
    """A Lua script run by SHA, sent in full only when the server lacks it."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    def __call__(self, link: Any, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        """Run the script on *link* (a ``Link``): one round trip, two if the server lacks it."""
        try:
            return link.call("EVALSHA", self.sha, len(keys), *keys, *args)
        except Exception as exc:
            if not is_noscript(exc):
                raise
        return self.eval(link, keys, args)

    def eval(self, link: Any, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        """Run the script sent in full (when the server said it does not know the SHA)."""
        return link.call("EVAL", self.source, len(keys), *keys, *args)

    def command(self, keys: Sequence[Any], args: Sequence[Any]) -> tuple[Any, ...]:
        """The ``EVALSHA`` command for ``Link.calls`` (see :func:`is_noscript`)."""
        return ("EVALSHA", self.sha, len(keys), *keys, *args)


def is_noscript(reply: Any) -> bool:
    """Whether a reply of ``Link.calls`` is the server's "unknown script" error."""
    from redis.exceptions import NoScriptError

    return isinstance(reply, NoScriptError)
