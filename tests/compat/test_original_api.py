"""Every public name of the original Jug 2.7's modules works here, from the same import
path, with a compatible signature: ``data/original_api.json`` lists them (written by
``data/api_inventory.py`` run with the original; checked live against it when the original
is installed). :data:`DIFFERENCES` are the deliberate exceptions, each with its reason;
docs/compatibility.md lists them too.
"""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
SNAPSHOT = json.loads((DATA / "original_api.json").read_text())

#: "module:name" (or "module:Class.member", or "module:*" for a whole module) -> why it is
#: not provided as the original had it.
DIFFERENCES = {
    # Internals of the original's subcommands: their sqlite status cache, its web page,
    # debugging helpers. This jug's subcommands are other code (status caches to JSON).
    "jug.subcommands.status:*": "internals of the original's status subcommand",
    "jug.subcommands.webstatus:*": "the original's web status page (jug webstatus is its own)",
    "jug.subcommands.internal_validation:*": "the original's self-test subcommand",
    "jug.subcommands.shell:*": "internals of the original's shell (jug.shell here)",
    "jug.subcommands.graph:handle_tasklet": "an internal of the original's graph subcommand",
    "jug.subcommands.graph:stderr": "sys.stderr, imported by the original's module",
    "jug.subcommands.execute:TaskStats": "the original's per-run counters (ExecutionResult)",
    "jug.subcommands:SubCommandDict": "the original's registry internals (entry points here)",
    "jug.subcommands:SubCommandManager": "the original's registry internals (cmdapi is here)",
    "jug.subcommands.demo:*": "the demo writes another example",
    # Behaviour kept on purpose, with another signature.
    "jug:internal": "the original's pdb helper package (--pdb works without it)",
    "jug:tests": "the original's own test suite",
    "jug.options:Options.__init__": "next defaults to None here (the original required it)",
    # Locks are made by store.getlock(key); their constructors are the stores' business.
    "jug.backends.dict_store:dict_lock.__init__": "locks are made by store.getlock()",
    "jug.backends.file_store:file_based_lock.__init__": "locks are made by store.getlock()",
    "jug.backends.file_store:file_keepalive_based_lock.__init__": "made by store.getlock()",
    "jug.backends.redis_store:redis_lock.__init__": "locks are made by store.getlock()",
    "jug.backends.memoize_store:cache_lock.__init__": "locks are made by store.getlock()",
    "jug.backends.file_store:file_keepalive_based_lock.start_monitor": (
        "every lock is a lease renewed by a thread of its worker: no monitor process"
    ),
    "jug.backends.file_store:file_keepalive_based_lock.stop_monitor": (
        "every lock is a lease renewed by a thread of its worker: no monitor process"
    ),
}


def _allowed(module: str, name: str, member: str | None = None) -> bool:
    keys = [f"{module}:*", f"{module}:{name}"]
    if member is not None:
        keys.append(f"{module}:{name}.{member}")
    return any(k in DIFFERENCES for k in keys)


def _compatible(theirs: list[list], ours: object) -> str | None:
    """Why *ours* cannot be called as the original's parameters *theirs* allow, or None."""
    try:
        mine = list(inspect.signature(ours).parameters.values())  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    kinds = {p.kind.name for p in mine}
    positional = [p for p in mine if p.kind.name in ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD")]
    by_name = {p.name: p for p in mine}
    used = set()
    for i, (name, kind, has_default, _default) in enumerate(theirs):
        if kind == "VAR_POSITIONAL":
            if "VAR_POSITIONAL" not in kinds:
                return "no *args"
            continue
        if kind == "VAR_KEYWORD":
            if "VAR_KEYWORD" not in kinds:
                return "no **kwargs"
            continue
        if kind in ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD"):
            if i >= len(positional):
                if "VAR_POSITIONAL" in kinds:
                    continue
                return f"no parameter {i} ({name})"
            p = positional[i]
            # Required parameters are passed by position; those with a default are passed
            # by name as often (keeplocks=..., compress_numpy=...): those names must agree.
            if has_default and p.name != name and "VAR_KEYWORD" not in kinds:
                return f"parameter {i} is {p.name!r}, not {name!r}"
        else:  # keyword-only
            p = by_name.get(name)
            if p is None:
                if "VAR_KEYWORD" in kinds:
                    continue
                return f"no keyword {name!r}"
        used.add(p.name)
        if has_default and p.default is p.empty:
            return f"{p.name!r} has no default"
    for p in mine:
        if p.name in used or p.kind.name in ("VAR_POSITIONAL", "VAR_KEYWORD"):
            continue
        if p.default is p.empty:
            return f"{p.name!r} must be given here, not there"
    return None


def _problems() -> list[str]:
    problems = []
    for module_name, names in sorted(SNAPSHOT.items()):
        if _allowed(module_name, "*"):
            continue
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            problems.append(f"{module_name}: cannot be imported ({exc})")
            continue
        for name, what in sorted(names.items()):
            if _allowed(module_name, name):
                continue
            try:
                ours = getattr(module, name)
            except AttributeError:
                problems.append(f"{module_name}:{name}: missing")
                continue
            if what["kind"] == "function" and what["params"] is not None:
                why = _compatible(what["params"], ours)
                if why:
                    problems.append(f"{module_name}:{name}: {why}")
            if what["kind"] == "class":
                for member, info in sorted(what["members"].items()):
                    if _allowed(module_name, name, member):
                        continue
                    if not hasattr(ours, member):
                        problems.append(f"{module_name}:{name}.{member}: missing")
                        continue
                    params = info.get("params")
                    if params is not None and inspect.isclass(ours):
                        raw = inspect.getattr_static(ours, member)
                        target = (
                            raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
                        )
                        why = _compatible(params, target)
                        if why:
                            problems.append(f"{module_name}:{name}.{member}: {why}")
    return problems


def test_every_public_name_of_the_original_is_here():
    assert _problems() == []


def test_the_snapshot_is_the_originals(original, tmp_path):
    done = subprocess.run(
        [str(original.python), str(DATA / "api_inventory.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == SNAPSHOT


@pytest.mark.parametrize("reason", sorted(set(DIFFERENCES.values())))
def test_each_difference_has_a_reason(reason):
    assert len(reason) > 10
