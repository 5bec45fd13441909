"""Selecting tasks by name: the one matcher behind every ``--target`` (execute, invalidate, the shell).

A pattern is one of:

* ``/regex/`` — a regular expression, searched for anywhere in the task name
  (``/count_/`` matches ``jugfile.count_words``; anchor it with ``^`` and ``$``);
* a dotted name (``jugfile.add_counts``) — exactly that task name;
* a bare name (``add_counts``) — that function name, in any module;
* a name with shell wildcards (``*``, ``?``, ``[...]``) — matched against the full name
  and against the function name (``jugfile.count_*``, ``count_*``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from fnmatch import fnmatchcase

from jug.errors import BadPatternError

__all__ = ["compile_pattern", "compile_patterns", "name_matches"]


def compile_pattern(pattern: str) -> Callable[[str], bool]:
    """Turn *pattern* into a predicate on task names (``module.function``).

    Raises
    ------
    BadPatternError
        If *pattern* is ``/.../`` and not a valid regular expression, or is empty.
    """
    if not pattern:
        raise BadPatternError("an empty --target pattern matches nothing")
    if len(pattern) >= 2 and pattern.startswith("/") and pattern.endswith("/"):
        try:
            regex = re.compile(pattern[1:-1])
        except re.error as exc:
            raise BadPatternError(
                f"--target {pattern}: not a valid regular expression ({exc})"
            ) from None
        return lambda name: regex.search(name) is not None
    if any(ch in pattern for ch in "*?["):
        return lambda name: fnmatchcase(name, pattern) or fnmatchcase(_function(name), pattern)
    if "." in pattern:
        return lambda name: name == pattern
    return lambda name: _function(name) == pattern


def compile_patterns(patterns: Iterable[str]) -> Callable[[str], bool]:
    """A predicate true for names matching any of *patterns* (see :func:`compile_pattern`)."""
    tests = [compile_pattern(p) for p in patterns]
    cache: dict[str, bool] = {}

    def matches(name: str) -> bool:
        # Thousands of tasks share a handful of names: decide each name once.
        hit = cache.get(name)
        if hit is None:
            hit = cache[name] = any(test(name) for test in tests)
        return hit

    return matches


def name_matches(name: str, pattern: str) -> bool:
    """Whether task *name* matches *pattern* (see the module docstring for the rules)."""
    return compile_pattern(pattern)(name)


def _function(name: str) -> str:
    return name.rsplit(".", 1)[-1]
