"""How the ``jug`` package finds the parts of it that other distributions install.

``jug`` is one namespace spread over several distributions (jug-core, jug-backends, jug-cli,
jug-contrib, jug-shell). jug-core's ``jug/__init__.py`` makes it a regular package, so the
import system stops at the first ``jug`` directory it finds; :func:`extend_path` adds every
other ``jug`` directory on ``sys.path`` (separate ones under editable installs) to its
``__path__``, as :func:`pkgutil.extend_path` does for directories. Not importing
:mod:`pkgutil` spares every jug process the modules it pulls in (about 2 ms), and this
module imports nothing at all.
"""

from __future__ import annotations

import os
import sys

__all__ = ["extend_path"]


def extend_path(path: list[str], name: str) -> list[str]:
    """*path* followed by every other directory named *name* in a ``sys.path`` entry.

    Parameters
    ----------
    path : list of str
        The package's ``__path__``.
    name : str
        The package's name (a top-level package).

    Returns
    -------
    path : list of str
        A new list; *path* is not changed.
    """
    path = list(path)
    for entry in sys.path:
        if not isinstance(entry, str):
            continue
        # "" is the working directory, as the import system sees it.
        portion = os.path.join(entry or os.getcwd(), name)
        if portion not in path and os.path.isdir(portion):
            path.append(portion)
    return path
