"""Finding plugins: the entry points that installed distributions declare.

Backends (group ``jug.backends``) and subcommands (group ``jug.subcommands``) are found
here, jug's own and third-party ones alike::

    from jug.plugins import entry_points

    for name, ep in entry_points("jug.backends").items():
        print(name, ep.value, ep.distribution)

Only the selected entry is imported (:meth:`EntryPoint.load`). When two distributions
register the same name, one of jug's own modules (``jug.…``) wins, then the first
distribution on ``sys.path``: a plugin cannot take over a built-in name.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from functools import cache

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["EntryPoint", "entry_points"]


class EntryPoint:
    """One registered plugin: *name* in *group*, the object at *value* (``module:attr``).

    Attributes
    ----------
    name, group, value : str
    metadata : str
        The metadata directory of the distribution that registers it (``…dist-info``),
        or its name.
    """

    __slots__ = ("group", "metadata", "name", "value")

    def __init__(self, name: str, value: str, group: str, metadata: str) -> None:
        self.name = name
        self.value = value
        self.group = group
        self.metadata = metadata

    @property
    def distribution(self) -> str:
        """The name of the distribution that registers it (as in its metadata)."""
        for filename in ("METADATA", "PKG-INFO"):
            try:
                with open(os.path.join(self.metadata, filename), encoding="utf-8") as fh:
                    for line in fh:
                        if line.startswith("Name:"):
                            return line[len("Name:") :].strip()
                        if not line.strip():
                            break
            except (OSError, UnicodeDecodeError):
                continue
        return os.path.basename(self.metadata).partition("-")[0]

    def __repr__(self) -> str:
        return (
            f"EntryPoint(name={self.name!r}, value={self.value!r}, group={self.group!r}, "
            f"metadata={self.metadata!r})"
        )

    @property
    def module(self) -> str:
        """The module that holds the object."""
        return self.value.partition(":")[0].strip()

    def load(self) -> Any:
        """Import the module and return the object (raises what the import raises)."""
        module, _, attr = self.value.partition(":")
        obj: Any = importlib.import_module(module.strip())
        # An entry point may name extras after the object: `module:attr [extra]`.
        for part in attr.split("[")[0].strip().split("."):
            if part:
                obj = getattr(obj, part)
        return obj


def entry_points(group: str) -> dict[str, EntryPoint]:
    """The entry points of *group* by name, read once per process.

    Parameters
    ----------
    group : str
        E.g. ``"jug.backends"``.
    """
    found: dict[str, EntryPoint] = {}
    for ep in _all_entry_points().get(group, ()):
        current = found.get(ep.name)
        if current is None or (_is_jugs(ep) and not _is_jugs(current)):
            found[ep.name] = ep
    return found


def _is_jugs(ep: EntryPoint) -> bool:
    return ep.module == "jug" or ep.module.startswith("jug.")


# Reading every distribution's metadata through importlib.metadata costs each process
# 15-20 ms (most of it importing the module, with email and zipfile); the entry points of
# distributions installed in directories are read here in about 1 ms. Anything else on
# sys.path (a zip file) goes through importlib.metadata.
@cache
def _all_entry_points() -> dict[str, list[EntryPoint]]:
    if any(os.path.isfile(entry) for entry in sys.path if entry):
        return _from_importlib()
    groups: dict[str, list[EntryPoint]] = {}
    seen: set[str] = set()
    for entry in sys.path:
        try:
            names = sorted(os.listdir(entry or "."))
        except OSError:
            continue
        for dirname in names:
            if not dirname.endswith((".dist-info", ".egg-info")):
                continue
            dist = dirname.rpartition(".")[0].partition("-")[0]
            normal = _normalise(dist)
            if normal in seen:
                continue  # an earlier entry of sys.path has this distribution
            seen.add(normal)
            metadata = os.path.join(entry or ".", dirname)
            try:
                with open(os.path.join(metadata, "entry_points.txt"), "rb") as fh:
                    text = fh.read().decode("utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            for ep in _parse(text, metadata):
                groups.setdefault(ep.group, []).append(ep)
    return groups


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _parse(text: str, metadata: str) -> list[EntryPoint]:
    """The entry points in the text of an ``entry_points.txt`` file (an INI file)."""
    out: list[EntryPoint] = []
    group = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1].strip()
            continue
        name, sep, value = line.partition("=")
        if sep and group:
            out.append(EntryPoint(name.strip(), value.strip(), group, metadata))
    return out


def _from_importlib() -> dict[str, list[EntryPoint]]:
    from importlib.metadata import entry_points as all_entry_points

    groups: dict[str, list[EntryPoint]] = {}
    found: Any = all_entry_points()
    for ep in found:
        dist = getattr(ep, "dist", None)
        where = str(getattr(dist, "_path", "")) or (dist.name if dist is not None else "?")
        groups.setdefault(ep.group, []).append(EntryPoint(ep.name, ep.value, ep.group, where))
    return groups
