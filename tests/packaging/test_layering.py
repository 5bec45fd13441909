"""The layering of the distributions, checked from the import statements of every module.

* a distribution imports only from itself and the jug distributions it depends on (as its
  ``pyproject.toml`` declares them, transitively): jug-core from none, jug-backends and
  jug-contrib from jug-core only, jug-cli not from jug-shell;
* no distribution imports another's underscored module or underscored name: what a
  sibling needs is public API of its owner.

Every import statement counts: at module level, inside functions, and under
``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ROOT / "packages"


def _distributions() -> dict[str, Path]:
    """Distribution name → its ``src`` directory (the meta package has none)."""
    out = {}
    for pyproject in sorted(PACKAGES.glob("*/pyproject.toml")):
        name = tomllib.loads(pyproject.read_text())["project"]["name"]
        src = pyproject.parent / "src"
        if src.is_dir():
            out[name] = src
    return out


def _allowed() -> dict[str, set[str]]:
    """Distribution → the jug distributions it may import from (itself included)."""
    direct: dict[str, set[str]] = {}
    for pyproject in PACKAGES.glob("*/pyproject.toml"):
        project = tomllib.loads(pyproject.read_text())["project"]
        deps = {re.split(r"[\[=<>~ ]", d, maxsplit=1)[0] for d in project.get("dependencies", [])}
        direct[project["name"]] = {d for d in deps if d.startswith("jug")}
    closed = {}
    for dist, deps in direct.items():
        seen, todo = {dist}, list(deps)
        while todo:
            d = todo.pop()
            if d not in seen:
                seen.add(d)
                todo.extend(direct.get(d, ()))
        closed[dist] = seen
    return closed


def _module_name(src: Path, path: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, tuple[str, Path]]:
    """Every module below ``jug``: name → (owning distribution, file)."""
    out = {}
    for dist, src in _distributions().items():
        for path in sorted((src / "jug").rglob("*.py")):
            out[_module_name(src, path)] = (dist, path)
    return out


def _owner(module: str, modules: dict[str, tuple[str, Path]]) -> str | None:
    """The distribution owning *module* (the longest known prefix), None if not jug's."""
    parts = module.split(".")
    while parts:
        found = modules.get(".".join(parts))
        if found is not None:
            return found[0]
        parts.pop()
    return None


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def imports_of(path: Path, module: str, is_package: bool) -> list[tuple[int, str, str | None]]:
    """``(line, imported module, imported name or None)`` of every import in *path*."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if is_package else module.rpartition(".")[0]
    out: list[tuple[int, str, str | None]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.extend((node.lineno, target, alias.name) for alias in node.names)
    return out


def module_problems(
    module: str, dist: str, path: Path, modules: dict[str, tuple[str, Path]]
) -> list[tuple[int, str]]:
    """``(line, problem)`` for each import of *module* (of *dist*, in *path*) that breaks a rule."""
    allowed = _allowed()[dist]
    problems = []
    for line, target, name in imports_of(path, module, path.name == "__init__.py"):
        if not (target == "jug" or target.startswith("jug.")):
            continue
        # `from jug import log` imports the module jug.log; `from jug.task import Task`
        # the name Task of jug.task.
        full = f"{target}.{name}" if name and f"{target}.{name}" in modules else target
        imported_name = None if full != target else name
        owner = _owner(full, modules)
        if owner is None or owner == dist:
            continue
        if owner not in allowed:
            problems.append((line, f"{dist} imports {full} of {owner}"))
        if any(_private(p) for p in full.split(".")) or (imported_name and _private(imported_name)):
            what = full + (f".{imported_name}" if imported_name else "")
            problems.append((line, f"{dist} imports the private {what} of {owner}"))
    return problems


def layering_problems(modules: dict[str, tuple[str, Path]]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line}: {problem}"
        for module, (dist, path) in sorted(modules.items())
        for line, problem in module_problems(module, dist, path, modules)
    ]


def test_the_distributions_are_layered():
    modules = _modules()
    assert {"jug.execution", "jug.task", "jug.backends.file_store", "jug.jug"} <= set(modules)
    assert layering_problems(modules) == []


def test_jug_core_imports_no_other_distribution():
    """The first rule on its own, so that a failure says plainly what broke."""
    modules = _modules()
    core = {m: v for m, v in modules.items() if v[0] == "jug-core"}
    others = {
        target
        for m, (_, path) in core.items()
        for _, target, _name in imports_of(path, m, path.name == "__init__.py")
        if (target == "jug" or target.startswith("jug."))
        and _owner(target, modules) not in (None, "jug-core")
    }
    assert others == set()


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from jug.subcommands import SubCommand\n", "jug-core imports jug.subcommands of jug-cli"),
        ("from jug.backends import _redis_url\n", "imports jug.backends._redis_url of"),
        ("def f():\n    from jug.hooks import register_hook\n", "imports jug.hooks of jug-contrib"),
    ],
)
def test_the_check_finds_violations(tmp_path, source, expected):
    """A module of jug-core importing what it must not is reported (the check can fail)."""
    modules = _modules()
    bad = tmp_path / "bad.py"
    bad.write_text(source)
    modules["jug.bad"] = ("jug-core", bad)
    problems = [p for _, p in module_problems("jug.bad", "jug-core", bad, modules)]
    assert any(expected in p for p in problems), problems


def test_private_names_of_siblings_are_refused(tmp_path):
    modules = _modules()
    bad = tmp_path / "bad.py"
    bad.write_text("from jug.execution.executor import _Run\nfrom jug.task import _find_tasks\n")
    modules["jug.shell.bad"] = ("jug-shell", bad)
    problems = [p for _, p in module_problems("jug.shell.bad", "jug-shell", bad, modules)]
    assert len(problems) == 2 and all("private" in p for p in problems), problems
