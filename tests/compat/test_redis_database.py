"""The original jug ignores the database of a redis URL (``redis://HOST:PORT/3``) and
writes to database 0. When the database asked for holds none of a jugfile's results but
database 0 does, status and execute say so in one line, with the jugdir to use."""

from __future__ import annotations

import pytest

JUGFILE = """
from jug import TaskGenerator

@TaskGenerator
def double(x):
    return 2 * x

values = [double(i) for i in range(4)]
"""

pytestmark = pytest.mark.requires_redis


def _original_has_redis(original) -> bool:
    return original.run("import redis", cwd=".").returncode == 0


def test_results_the_original_wrote_to_database_0_are_pointed_at(project, original, redis_server):
    if not _original_has_redis(original):
        pytest.skip("the original's environment has no redis package")
    project.write("jugfile.py", JUGFILE)
    asked = f"{redis_server.url}/3"
    done = original.jug("execute", "jugfile.py", "--jugdir", asked, cwd=project.path)
    assert done.returncode == 0, done.stderr
    expected = (
        "jug: warning: database 3 holds none of this jugfile's results, but database 0 "
        "holds 4 of 4: the original jug ignored the database of redis URLs and always "
        f"wrote to 0; to use those results, run with --jugdir {redis_server.url}/0"
    )
    status = project.jug("status", "--jugdir", asked)
    assert status.returncode == 1
    assert status.stderr.strip() == expected
    right = project.jug("status", "--jugdir", f"{redis_server.url}/0")
    assert right.returncode == 0 and right.stderr == ""
    # execute says it too, before computing everything again in database 3.
    run = project.jug("execute", "--jugdir", asked)
    assert run.returncode == 0 and run.stderr.strip() == expected
    # Once database 3 has results, there is nothing to say (and nothing is asked of 0).
    again = project.jug("status", "--jugdir", asked)
    assert again.returncode == 0 and again.stderr == ""


def test_no_hint_without_results_elsewhere(project, redis_server):
    project.write("jugfile.py", JUGFILE)
    for db in ("3", "0"):
        status = project.jug("status", "--jugdir", f"{redis_server.url}/{db}")
        assert status.returncode == 1 and status.stderr == "", status.stderr
    query = project.jug("status", "--jugdir", f"{redis_server.url}?db=2")
    assert query.stderr == ""


@pytest.mark.parametrize(
    "url, expected",
    [
        ("redis://h:1/3", "redis://h:1/0"),
        ("redis://:pw@h:1/3?prefix=p", "redis://:pw@h:1/0?prefix=p"),
        ("redis://h:1?db=3&prefix=p", "redis://h:1?db=0&prefix=p"),
        ("redis:h:1/3", "redis://h:1/0"),
        ("unix:///tmp/s.sock?db=5", "unix:///tmp/s.sock?db=0"),
    ],
)
def test_the_url_of_database_0(url, expected):
    from jug.backends.redis_store import _with_database

    assert _with_database(url, 0) == expected
