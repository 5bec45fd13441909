"""Shared helpers for the packaging tests: the repository's layout, read from its files."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ROOT / "packages"
META = "jug"


@dataclass
class Distribution:
    """One distribution of the monorepo, as its directory and pyproject.toml describe it."""

    name: str
    path: Path
    pyproject: dict

    @property
    def project(self) -> dict:
        return self.pyproject["project"]

    @property
    def portions(self) -> list[Path]:
        """What the distribution ships below src/jug/ (modules and subpackages)."""
        src = self.path / "src" / "jug"
        if not src.is_dir():
            return []
        return sorted(p for p in src.iterdir() if p.name != "__pycache__")


def _load_distributions(root: Path) -> list[Distribution]:
    out = []
    for pyproject in sorted((root / "packages").glob("*/pyproject.toml")):
        data = tomllib.loads(pyproject.read_text())
        out.append(Distribution(data["project"]["name"], pyproject.parent, data))
    return out


def version_sites(root: Path) -> dict[str, str]:
    """Every place a version of the distributions is written, mapped to that version.

    Keys name the place (file and what in it), values are the versions found there.
    """
    sites: dict[str, str] = {}
    dists = _load_distributions(root)
    names = {d.name for d in dists}
    for vfile in sorted((root / "packages").glob("*/src/jug/**/_version.py")):
        m = re.search(r'^__version__\s*=\s*"([^"]+)"', vfile.read_text(), re.M)
        sites[str(vfile.relative_to(root))] = m.group(1) if m else "<missing>"
    for d in dists:
        rel = str((d.path / "pyproject.toml").relative_to(root))
        if "version" in d.project:
            sites[f"{rel} [project] version"] = d.project["version"]
        for req in d.project.get("dependencies", []):
            m = re.match(r"^\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*(==|>=|~=|<=|>|<|!=)?\s*(.*)$", req)
            assert m, f"cannot parse requirement {req!r} in {rel}"
            if m.group(1) in names:
                assert m.group(3) == "==", f"{rel}: sibling {req!r} must be pinned with =="
                sites[f"{rel} pin {m.group(1)}"] = m.group(4).strip()
    root_project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    sites["pyproject.toml (workspace) version"] = root_project["version"]
    return sites


@pytest.fixture(scope="session")
def distributions() -> list[Distribution]:
    dists = _load_distributions(ROOT)
    assert len(dists) == 6, [d.name for d in dists]
    return dists


@pytest.fixture(scope="session")
def uv() -> str:
    """The uv executable (the Makefile exports JUG_UV; else PATH or .tools/)."""
    for candidate in (os.environ.get("JUG_UV"), shutil.which("uv"), str(ROOT / ".tools/bin/uv")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail("uv is needed for this test: run it through `make test`")


def _run(cmd: list[str], env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(c) for c in cmd],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=kw.pop("timeout", 120),
        **kw,
    )


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def get_version_sites():
    """The function mapping a repository root to its version sites (see version_sites)."""
    return version_sites


@pytest.fixture(scope="session")
def run():
    """Run a command without stdin; return the CompletedProcess (text output captured)."""
    return _run


@pytest.fixture(scope="session")
def jug_script() -> Path:
    """The ``jug`` console script installed beside the test interpreter."""
    script = Path(sys.executable).parent / "jug"
    if not script.exists():
        pytest.fail(f"no jug console script at {script}: is jug-cli installed (make sync)?")
    return script
