"""The cache of ``jug status --cache``: the task graph, saved so the jugfile need not load.

Loading a large jugfile (hashing every task) is usually what makes ``jug status`` slow;
asking the store is one bulk query. The cache keeps the task graph (hashes, names,
dependencies) of one jugfile, jugdir and argument list, and the SHA-1 of the jugfile's
text: when the jugfile is edited the cache is rebuilt. It cannot see changes in modules
the jugfile imports or in data files it reads; ``--clear`` (or deleting the file) forces
a rebuild.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# json is imported where a cache is read or written: plain `jug status` imports this
# module too (for CachedGraph), and start-up is what it is timed on.

__all__ = ["CachedGraph", "cache_key", "read_cache", "write_cache"]

_FORMAT = "jug-status-cache-1"


class CachedGraph:
    """A task graph as status needs it.

    Attributes
    ----------
    order : list of str
        Task hashes, each after its dependencies.
    names : dict
        Hash → task name.
    deps : dict
        Hash → hashes of its dependencies, for the tasks that have some (as
        :func:`jug.execution.hash_graph` returns them).
    complete : bool
        False if the jugfile stopped at an unmet barrier when the graph was saved.
    """

    # A plain class, not a dataclass: importing dataclasses (and inspect) costs
    # `jug status` a few milliseconds of start-up.
    __slots__ = ("complete", "deps", "names", "order")

    def __init__(
        self,
        order: list[str],
        names: dict[str, str],
        deps: dict[str, tuple[str, ...]],
        complete: bool,
    ) -> None:
        self.order = order
        self.names = names
        self.deps = deps
        self.complete = complete


def cache_key(jugfile: str, jugdir: str, argv: Sequence[str]) -> dict[str, Any]:
    """What a cache must have been made for to be used."""
    import hashlib

    with open(jugfile, "rb") as fh:
        digest = hashlib.sha1(fh.read()).hexdigest()
    return {
        "jugfile": os.path.abspath(jugfile),
        "sha1": digest,
        "jugdir": jugdir,
        "argv": list(argv),
    }


def read_cache(path: str, key: dict[str, Any]) -> CachedGraph | None:
    """The graph cached in *path* for *key*, or None (missing, unreadable, or for another key)."""
    import json

    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != _FORMAT or data.get("key") != key:
        return None
    try:
        names_table = data["names"]
        order = []
        names = {}
        deps = {}
        for h, name_index, dep_indices in data["tasks"]:
            order.append(h)
            names[h] = names_table[name_index]
            if dep_indices:
                deps[h] = tuple(order[i] for i in dep_indices)
        return CachedGraph(order, names, deps, bool(data["complete"]))
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def write_cache(path: str, key: dict[str, Any], graph: CachedGraph) -> None:
    """Save *graph* for *key* into *path* (atomically: a reader never sees half a file)."""
    import json

    from jug.atomic import write_atomically

    index = {h: i for i, h in enumerate(graph.order)}
    names_table: list[str] = []
    name_index: dict[str, int] = {}
    tasks = []
    for h in graph.order:
        name = graph.names[h]
        if name not in name_index:
            name_index[name] = len(names_table)
            names_table.append(name)
        tasks.append([h, name_index[name], [index[d] for d in graph.deps.get(h, ())]])
    data = {
        "format": _FORMAT,
        "key": key,
        "complete": graph.complete,
        "names": names_table,
        "tasks": tasks,
    }
    text = json.dumps(data, separators=(",", ":"))
    # A cache can be rebuilt: no need to wait for the disk.
    write_atomically(path, text.encode("utf-8"), fsync=False)
