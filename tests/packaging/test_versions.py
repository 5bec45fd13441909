"""One version for every distribution (DESIGN §2), and `make bump` keeps it so."""

from __future__ import annotations

import shutil
import subprocess
import sys


def test_every_version_site_agrees(repo_root, get_version_sites):
    sites = get_version_sites(repo_root)
    # 5 _version.py files, the meta version, the workspace version and the sibling pins.
    assert len([s for s in sites if s.endswith("_version.py")]) == 5, sites
    assert any("pin jug-core" in s for s in sites), sites
    versions = set(sites.values())
    assert len(versions) == 1, "versions drifted:\n" + "\n".join(
        f"  {site}: {v}" for site, v in sorted(sites.items())
    )


def test_installed_metadata_matches_sources(repo_root, get_version_sites):
    """The installed (editable) distributions report the version their sources declare."""
    from importlib.metadata import version

    expected = next(iter(get_version_sites(repo_root).values()))
    for name in ["jug", "jug-core", "jug-backends", "jug-cli", "jug-contrib", "jug-shell"]:
        assert version(name) == expected, name
    import jug

    assert jug.__version__ == expected


def test_bump_version_rewrites_every_site(repo_root, tmp_path, get_version_sites):
    """scripts/bump_version.py on a copy of the repository's version files."""
    copy = tmp_path / "repo"
    (copy / "scripts").mkdir(parents=True)
    shutil.copy(repo_root / "scripts" / "bump_version.py", copy / "scripts")
    shutil.copy(repo_root / "pyproject.toml", copy)
    for f in (repo_root / "packages").glob("*/pyproject.toml"):
        dest = copy / f.relative_to(repo_root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, dest)
    for f in (repo_root / "packages").glob("*/src/jug/**/_version.py"):
        dest = copy / f.relative_to(repo_root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, dest)
    before = get_version_sites(copy)

    script = copy / "scripts" / "bump_version.py"
    done = subprocess.run(
        [sys.executable, script, "9.8.7rc1"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    after = get_version_sites(copy)
    assert after.keys() == before.keys()
    assert set(after.values()) == {"9.8.7rc1"}, after

    check = subprocess.run([sys.executable, script, "9.8.7rc1", "--check"], capture_output=True)
    assert check.returncode == 0
    check = subprocess.run(
        [sys.executable, script, "9.8.8", "--check"], capture_output=True, text=True
    )
    assert check.returncode == 1 and "_version.py" in check.stderr
    bad = subprocess.run([sys.executable, script, "not-a-version"], capture_output=True, text=True)
    assert bad.returncode == 2 and "usage" in bad.stderr
    assert set(get_version_sites(copy).values()) == {"9.8.7rc1"}
