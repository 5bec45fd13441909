"""Lock records (jug.store.LockInfo.new) name their holder: this process, also after a fork."""

from __future__ import annotations

import json
import os

import pytest

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


def test_a_record_round_trips_through_json_and_copies_are_independent():
    info = LockInfo.new(60)
    info.extra["job"] = {"id": 7}
    for compact in (False, True):
        text = info.to_json(compact=compact)
        assert (": " in text) is not compact
        back = LockInfo.from_json(text)
        assert back == info and back is not info
    assert LockInfo.from_json(info.to_json().encode()) == info  # bytes too
    copy = info.copy()
    copy.extra["job"]["id"] = 8
    copy.failed = True
    assert info.extra == {"job": {"id": 7}} and not info.failed


def test_what_is_not_a_record_is_refused():
    for bad in ("[1, 2]", "not json", b"\xff\xfe"):
        with pytest.raises(ValueError):
            LockInfo.from_json(bad)
    # Unknown fields (written by a newer jug) are ignored.
    assert LockInfo.from_json('{"token": "t", "future": 1}').token == "t"


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"host": 'we"ird\\host'},
        {"host": "hôte"},
        {"token": "tab\there"},
        {"lease": float("inf")},
        {"lease": 60},
        {"pid": True},
        {"failed": True, "error": "Traceback\nValueError: x", "failed_at": 5.5},
        {"extra": {"job": "123_4"}},
    ],
)
def test_to_json_is_what_json_writes(changes):
    """The direct formatting of plain records gives exactly json.dumps' text; any other
    record goes through json."""
    info = LockInfo.new(600)
    for name, value in changes.items():
        setattr(info, name, value)
    assert info.to_json() == json.dumps(vars(info))
    assert info.to_json(compact=True) == json.dumps(vars(info), separators=(",", ":"))
