"""The version of jug, and how to cite it (the original jug's ``jug.jug_version`` module)."""

from __future__ import annotations

from ._version import __version__

__all__ = ["CITATION", "__version__"]

#: The reference to cite for jug in a publication (the original jug's paper).
CITATION = """\
L. P. Coelho. Jug: Software for Parallel Reproducible Computation in Python.
Journal of Open Research Software 5(1), 30 (2017). doi:10.5334/jors.161"""
