"""Regenerate ``orig_store/`` with the ORIGINAL jug 2.7 (not with ours).

Run with the original's interpreter, from this directory::

    /tmp/origjug/bin/python make_orig_fixtures.py

Each result is stored under the sha1 of its name (see ``OBJECTS``); the tests rebuild the
same objects and compare. Lock files are also copied as plain text: git does not keep
modification times, and the original marks a failed lock with an mtime of 1, so the
tests re-apply it.
"""

import hashlib
import os
import shutil

import numpy as np

from jug.backends.file_store import file_store


def objects():
    return {
        "none": None,
        "int": 3,
        "str": "hello",
        "dict": {"a": [1, 2], "b": (3.5, None)},
        "bytes": b"xyz",
        "list_of_array": [np.arange(3)],
        "arr": np.arange(5),
        "arr0d": np.array(3.5),
        "arrobj": np.array([1, "a", None], dtype=object),
        "arr_noncontig": np.arange(20).reshape(4, 5)[:, ::2],
        "arr_fortran": np.asfortranarray(np.arange(12.0).reshape(3, 4)),
        "arr_record": np.array([(1, 2.0), (3, 4.0)], dtype=[("a", "<i4"), ("b", "<f8")]),
        "masked": np.ma.array([1, 2, 3], mask=[0, 1, 0]),
    }


def key(name):
    return hashlib.sha1(name.encode()).hexdigest()


def main():
    shutil.rmtree("orig_store", ignore_errors=True)
    store = file_store("orig_store")
    for name, obj in objects().items():
        store.dump(obj, key(name))
    compressed = file_store("orig_store", compress_numpy=True)
    compressed.dump(np.arange(7), key("arr_compressed"))
    running = store.getlock(key("running"))
    running.get()
    failed = store.getlock(key("failed"))
    failed.get()
    failed.fail()
    for name in ("running", "failed"):
        src = os.path.join("orig_store", "locks", key(name) + ".lock")
        shutil.copyfile(src, f"orig_lock_{name}.txt")
    shutil.rmtree(os.path.join("orig_store", "locks"))
    shutil.rmtree(os.path.join("orig_store", "tempfiles"), ignore_errors=True)


if __name__ == "__main__":
    main()
