"""Regenerate ``orig_redis.json`` with the ORIGINAL jug 2.7 (not with ours).

Run with the original's interpreter, from this directory, against an EMPTY scratch server::

    redis-server --port 6399 --save '' &
    /tmp/origjug/bin/python make_orig_redis_fixtures.py redis://127.0.0.1:6399/

The original stores the objects of ``make_orig_fixtures.objects()`` (each under the sha1 of
its name) and takes a lock and a failed lock; every key's raw value is then saved as it
is on the server (the values are ASCII: base64 for results, ``L``/``F`` for locks).
"""

import hashlib
import json
import sys

from make_orig_fixtures import objects

from jug.backends.redis_store import redis_store


def key(name):
    return hashlib.sha1(name.encode()).hexdigest()


def main(url):
    store = redis_store(url)
    assert not list(store.redis.scan_iter()), "use an empty server"
    for name, obj in objects().items():
        store.dump(obj, key(name))
    store.getlock(key("running")).get()
    failed = store.getlock(key("failed"))
    failed.get()
    failed.fail()
    raw = {k.decode(): store.redis.get(k).decode("ascii") for k in store.redis.scan_iter()}
    with open("orig_redis.json", "w") as out:
        json.dump(dict(sorted(raw.items())), out, indent=1)
        out.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
