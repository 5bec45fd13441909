"""Lock records (jug.store.LockInfo.new) name their holder: this process, also after a fork."""

from __future__ import annotations

import json
import os

from jug.store import LockInfo


def test_tokens_are_unique_within_a_process():
    infos = [LockInfo.new(60) for _ in range(1000)]
    assert len({i.token for i in infos}) == 1000
    assert {i.pid for i in infos} == {os.getpid()}


def test_a_forked_child_is_another_holder():
    """The child gets its own pid and token prefix (os.register_at_fork), so a lock the
    child takes is never mistaken for one of its parent's."""
    before = LockInfo.new(60)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report a fresh record, then leave without any clean-up
        try:
            info = LockInfo.new(60)
            os.write(write, json.dumps([info.pid, info.token]).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as stream:
        child_pid, child_token = json.loads(stream.read())
    os.waitpid(pid, 0)
    assert child_pid == pid != before.pid
    prefix = before.token.rsplit("-", 1)[0]
    assert not child_token.startswith(prefix + "-")
    after = LockInfo.new(60)  # the parent is still itself
    assert after.pid == os.getpid() and after.token.startswith(prefix + "-")
