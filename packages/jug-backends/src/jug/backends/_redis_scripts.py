"""The server-side (Lua) scripts of the redis store, and running them by SHA.

A lock's value is the JSON record its holder wrote; the holder is whoever knows that exact
value (it contains a random token), so every owner check is "is the value still mine?",
done on the server in the same step as the change, so that no other client can slip in
between. Scripts are sent by SHA (``EVALSHA``) and, when the server does not know them yet
(after a restart or ``SCRIPT FLUSH``), once in full (``EVAL``, which also caches them).
"""

from __future__ import annotations

import hashlib
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

    def __call__(self, client: Any, keys: list[Any], args: list[Any]) -> Any:
        from redis.exceptions import NoScriptError

        try:
            return client.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return self.eval(client, keys, args)

    def eval(self, client: Any, keys: list[Any], args: list[Any]) -> Any:
        """Run the script sent in full (when the server said it does not know the SHA)."""
        return client.eval(self.source, len(keys), *keys, *args)

    def queue(self, pipe: Any, keys: list[Any], args: list[Any]) -> None:
        """Add the script, by SHA, to the pipeline *pipe* (see :func:`is_noscript`)."""
        pipe.evalsha(self.sha, len(keys), *keys, *args)


def is_noscript(reply: Any) -> bool:
    """Whether a pipelined reply is the server's "unknown script" error."""
    from redis.exceptions import NoScriptError

    return isinstance(reply, NoScriptError)
