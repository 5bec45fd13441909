"""The namespace rules of DESIGN §2, checked on the source tree and the distributions."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict

EXPECTED = {"jug", "jug-core", "jug-backends", "jug-cli", "jug-contrib", "jug-shell"}


def test_six_distributions(distributions):
    assert {d.name for d in distributions} == EXPECTED
    for d in distributions:
        assert d.path.name == d.name, f"{d.path} holds {d.name}"


def test_exactly_one_jug_init_in_jug_core(repo_root):
    inits = sorted(
        p.relative_to(repo_root) for p in (repo_root / "packages").glob("*/src/jug/__init__.py")
    )
    assert [str(p) for p in inits] == ["packages/jug-core/src/jug/__init__.py"]
    # ... and nothing else under packages/ extends the jug namespace path.
    extenders = sorted(
        str(p.relative_to(repo_root))
        for p in (repo_root / "packages").rglob("*.py")
        if "extend_path" in p.read_text()
    )
    assert extenders == [
        "packages/jug-core/src/jug/__init__.py",
        "packages/jug-core/src/jug/_namespace.py",
    ]
    first = (repo_root / "packages/jug-core/src/jug/__init__.py").read_text()
    code = [
        line for line in first.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    assert code[:2] == [
        "from ._namespace import extend_path as _extend_path",
        "__path__ = _extend_path(__path__, __name__)",
    ], "extending __path__ must be the first thing jug/__init__.py does"


def test_extend_path_finds_what_pkgutil_finds(tmp_path, monkeypatch):
    """jug._namespace.extend_path (which spares every process importing pkgutil) adds the
    same portions as pkgutil.extend_path: directories, not files; the working directory
    for ""; no duplicates; entries that are not strings skipped."""
    import pkgutil

    from jug._namespace import extend_path

    for where in ("a", "b", "c", "d", "cwd"):
        (tmp_path / where).mkdir()
    for where in ("a", "c", "cwd"):
        (tmp_path / where / "nspkg").mkdir()
    (tmp_path / "b" / "nspkg.py").write_text("")  # a module, not a portion
    (tmp_path / "d" / "nspkg").write_text("")  # a file named like the package
    monkeypatch.chdir(tmp_path / "cwd")
    entries = ["", str(tmp_path / "a"), str(tmp_path / "b"), str(tmp_path / "c")]
    entries += [str(tmp_path / "a"), str(tmp_path / "d"), str(tmp_path / "missing"), b"x"]
    monkeypatch.setattr(sys, "path", entries)
    start = [str(tmp_path / "c" / "nspkg")]
    ours = extend_path(start, "nspkg")
    assert ours == pkgutil.extend_path(list(start), "nspkg")
    assert ours == [str(tmp_path / p / "nspkg") for p in ("c", "cwd", "a")]
    assert start == [str(tmp_path / "c" / "nspkg")]  # not changed in place


def test_importing_jug_imports_neither_pkgutil_nor_typing():
    """Both cost every jug process milliseconds (see jug._namespace)."""
    code = (
        "import sys, jug, jug.jug, jug.execution.executor, jug.backends.file_store;"
        "print(sorted({'pkgutil', 'typing', 'importlib.util'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_name_below_jug_has_one_owner(distributions):
    owners = defaultdict(list)
    for d in distributions:
        for portion in d.portions:
            owners[portion.name].append(d.name)
    shared = {name: who for name, who in owners.items() if len(who) > 1}
    assert not shared, f"names below jug shipped by several distributions: {shared}"
    meta = next(d for d in distributions if d.name == "jug")
    assert meta.portions == [], "the meta package ships no modules"


def test_src_layout_and_hatchling(distributions):
    for d in distributions:
        assert d.pyproject["build-system"]["build-backend"] == "hatchling.build", d.name
        if d.name == "jug":
            assert d.pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["bypass-selection"]
            continue
        wheel = d.pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]
        assert wheel["packages"] == ["src/jug"], d.name
        assert "dev-mode-exact" not in str(d.pyproject.get("tool", {})), d.name


def test_py_typed_readme_and_description(distributions):
    for d in distributions:
        readme = d.path / d.project["readme"]
        assert readme.is_file() and len(readme.read_text().strip()) > 40, d.name
        description = d.project["description"].strip()
        assert description and "\n" not in description and len(description) > 30, d.name
        if d.name == "jug":
            continue  # ships no modules, so nothing to type
        typed = [p for p in (d.path / "src" / "jug").rglob("py.typed")]
        assert typed, f"{d.name} has no py.typed"
        # py.typed sits beside the distribution's own modules, not at src/jug/.
        for p in typed:
            assert p.parent != d.path / "src" / "jug" or d.name == "jug-core", p


def test_dependencies_point_one_way(distributions):
    """core <- backends, contrib <- cli <- shell; core depends on nothing."""
    allowed = {
        "jug-core": set(),
        "jug-backends": {"jug-core"},
        "jug-contrib": {"jug-core"},
        "jug-cli": {"jug-core", "jug-backends", "jug-contrib"},
        "jug-shell": {"jug-cli", "jug-core", "jug-backends", "jug-contrib"},
        "jug": EXPECTED - {"jug"},
    }
    for d in distributions:
        deps = {
            re.split(r"[\[=<>!~ ]", r, maxsplit=1)[0] for r in d.project.get("dependencies", [])
        }
        siblings = deps & EXPECTED
        assert siblings <= allowed[d.name], f"{d.name} depends on {siblings - allowed[d.name]}"
    core = next(d for d in distributions if d.name == "jug-core")
    assert core.project.get("dependencies", []) == []


def test_makefile_has_every_target(repo_root, run):
    targets = [
        "sync",
        "demo",
        "test",
        "lint",
        "type",
        "build",
        "check-wheels",
        "test-split",
        "docs",
        "bench",
        "bench-quick",
    ]
    for target in targets:
        done = run(["make", "-n", "-C", repo_root, target])
        assert done.returncode == 0, f"make {target}: {done.stderr}"
    done = run(["make", "-n", "-C", repo_root, "bump", "V=1.2.3"])
    assert done.returncode == 0 and "bump_version.py 1.2.3" in done.stdout
    assert run(["make", "-C", repo_root, "bump"]).returncode != 0  # V is required
