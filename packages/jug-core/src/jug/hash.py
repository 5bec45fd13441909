"""Hashing of task arguments: the rules that make jug's results findable again.

A task's hash is a sha1 over its name and arguments, fed in exactly the order and
encoding the original jug 2.x used, so that results computed by either implementation are
found by the other. The rules, for each ``(label, value)`` pair fed:

* the label is pickled and fed;
* a value with ``__jug_hash__()`` feeds what that returns (bytes);
* a ``list`` or ``tuple`` feeds ``repr(type)`` then its items, labelled by position;
* a ``set`` / ``frozenset`` feeds ``b'set'`` / ``b'frozenset'`` then the sorted hashes of its
  items (sorting hashes, not items, keeps it independent of hash randomisation);
* a ``dict`` feeds ``b'dict'`` then its values, labelled by the hashes of their keys, sorted;
* a numpy ``ndarray`` feeds ``b'np.ndarray'``, its pickled dtype and shape, then its raw
  bytes (object arrays: their items in flat order);
* anything else is pickled and the pickle is fed.

Pickles use protocol 4, the default of the Python versions the original ran on; pinning it
keeps hashes stable on Python 3.14 and later, whose default protocol is 5.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable, Iterable

from ._hash_ints import all_plain_ints, feed_int_sequence

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["hash_one", "hash_update", "new_hash_object", "task_hash"]

#: The pickle protocol whose bytes enter hashes. Never change it: hashes would change.
HASH_PICKLE_PROTOCOL = 4

_dumps = pickle.dumps
# Lists of ints at least this long take the vectorised path (same bytes, less time).
_FAST_INTS_MIN = 64
_LIST_TAG = repr(list).encode("ascii")
_TUPLE_TAG = repr(tuple).encode("ascii")
# Pickles of small labels recur for every argument; caching them is a measurable win.
_label_cache: dict[Any, bytes] = {}


def new_hash_object() -> Any:
    """Return a fresh hash object of the kind jug uses (sha1)."""
    return hashlib.sha1()


def _label(n: Any) -> bytes:
    try:
        return _label_cache[n]
    except KeyError:
        pass
    except TypeError:  # unhashable label
        return _dumps(n, HASH_PICKLE_PROTOCOL)
    out = _dumps(n, HASH_PICKLE_PROTOCOL)
    if len(_label_cache) < 10_000:
        _label_cache[n] = out
    return out


def _jug_hash_of(e: Any) -> bytes:
    h = e.__jug_hash__()
    if isinstance(h, str):
        return h.encode("utf-8")
    return h


def hash_update(M: Any, elems: Iterable[tuple[Any, Any]]) -> Any:
    """Feed the ``(label, value)`` pairs *elems* into the hash object *M*.

    Parameters
    ----------
    M : hashlib hash object
        Object whose ``update`` method receives the bytes.
    elems : iterable of (label, value) pairs
        Usually ``enumerate(sequence)`` or a list of named values.

    Returns
    -------
    M : hashlib hash object
        The same object, for chaining.
    """
    update = M.update
    for n, e in elems:
        update(_label(n))
        t = type(e)
        if t is int or t is str or t is float or t is bool or e is None or t is bytes:
            # The common leaf case, ahead of the attribute probe below.
            update(_dumps(e, HASH_PICKLE_PROTOCOL))
        elif hasattr(e, "__jug_hash__"):
            update(_jug_hash_of(e))
        elif t is list or t is tuple:
            update(_LIST_TAG if t is list else _TUPLE_TAG)
            if len(e) >= _FAST_INTS_MIN and all_plain_ints(e):
                feed_int_sequence(M, e)
            else:
                hash_update(M, enumerate(e))
        elif t is set or t is frozenset:
            update(b"set" if t is set else b"frozenset")
            hash_update(M, enumerate(sorted(map(hash_one, e))))
        elif t is dict:
            update(b"dict")
            items = [(hash_one(k), v) for k, v in e.items()]
            items.sort(key=lambda kv: kv[0])
            hash_update(M, items)
        elif t.__name__ == "ndarray" and t.__module__ == "numpy":
            _update_ndarray(M, e)
        else:
            update(_dumps(e, HASH_PICKLE_PROTOCOL))
    return M


def _update_ndarray(M: Any, e: Any) -> None:
    M.update(b"np.ndarray")
    M.update(_dumps(e.dtype, HASH_PICKLE_PROTOCOL))
    M.update(_dumps(e.shape, HASH_PICKLE_PROTOCOL))
    if e.dtype.hasobject:
        hash_update(M, enumerate(e.flat))
        return
    if not e.flags.c_contiguous:
        e = e.copy()
    # Feeding a memoryview hashes the buffer in place: no copy of a large array.
    M.update(memoryview(e).cast("B") if e.ndim else e.tobytes())


# Argument types that hash as their pickle (the leaf rule of hash_update).
_PICKLED_LEAVES = frozenset({int, str, float, bool, bytes, type(None)})
# Per task name: a hash object already fed the bytes every task of that name starts with.
_task_prefixes: dict[str, Any] = {}
_KWARGS_EMPTY = _dumps("kwargs", HASH_PICKLE_PROTOCOL) + b"dict"
_LABEL_0 = _dumps(0, HASH_PICKLE_PROTOCOL)


def _task_prefix(name: str) -> Any:
    M = new_hash_object()
    M.update(_label("name"))
    M.update(_dumps(name.encode("utf-8"), HASH_PICKLE_PROTOCOL))
    M.update(_label("args"))
    M.update(_TUPLE_TAG)
    if len(_task_prefixes) < 100_000:
        _task_prefixes[name] = M
    return M


def _single_leaf_hasher() -> Callable[[str, Any], str]:
    """The hash of a task with one plain argument and no keyword arguments.

    The most common task of all, hashed once per task of a large jugfile: a closure with
    the lookups done once, for loops over many tasks (see :func:`jug.task.task_keys`).
    """
    prefixes, dumps, protocol = _task_prefixes, _dumps, HASH_PICKLE_PROTOCOL
    new_prefix, label_0, kwargs_empty = _task_prefix, _LABEL_0, _KWARGS_EMPTY

    def single_leaf_hash(name: str, arg: Any) -> str:
        prefix = prefixes.get(name)
        M = (prefix if prefix is not None else new_prefix(name)).copy()
        M.update(label_0 + dumps(arg, protocol) + kwargs_empty)
        digest: str = M.hexdigest()  # typed, not str(): no call per task
        return digest

    return single_leaf_hash


# task_hash(name, (arg,), {}) for an *arg* whose type is in _PICKLED_LEAVES.
_single_leaf_hash = _single_leaf_hasher()


def task_hash(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """Return the hash (hex) of the task calling *name* with *args* and *kwargs*.

    The same digest as feeding ``[("name", name.encode()), ("args", args), ("kwargs",
    kwargs)]`` to :func:`hash_update`, with a short cut for the common case: the bytes every
    task of a name starts with are hashed once per name, and plain arguments (numbers,
    strings, ``None``) are pickled in one go.
    """
    if type(args) is not tuple:  # not built by Task(): the generic rule throughout
        parts = [("name", name.encode("utf-8")), ("args", args), ("kwargs", kwargs)]
        return str(hash_update(new_hash_object(), parts).hexdigest())
    leaves = _PICKLED_LEAVES
    if not kwargs and len(args) == 1 and type(args[0]) in leaves:
        return _single_leaf_hash(name, args[0])
    prefix = _task_prefixes.get(name)
    M = (prefix if prefix is not None else _task_prefix(name)).copy()
    if all(type(a) in leaves for a in args):
        label = _label
        fed = b"".join([label(i) + _dumps(a, HASH_PICKLE_PROTOCOL) for i, a in enumerate(args)])
    else:
        hash_update(M, enumerate(args))
        fed = b""
    if kwargs:
        M.update(fed)
        hash_update(M, [("kwargs", kwargs)])
    else:
        M.update(fed + _KWARGS_EMPTY)
    digest: str = M.hexdigest()
    return digest


def hash_one(obj: Any) -> bytes:
    """Return the jug hash of a single object, as hex ``bytes``.

    This is what to call inside a ``__jug_hash__`` method to reuse jug's hashing of the
    object's parts.
    """
    h = new_hash_object()
    hash_update(h, [("hash1", obj)])
    return h.hexdigest().encode("utf-8")
