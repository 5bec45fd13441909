"""Set one version across every distribution of the repository.

Rewrites, in place:

* every ``packages/*/src/jug/**/_version.py`` (``__version__ = "…"``);
* the ``version = "…"`` of the meta package ``packages/jug/pyproject.toml`` and of the root
  workspace ``pyproject.toml``;
* every ``==`` pin between sibling distributions in the packages' ``pyproject.toml``
  (e.g. ``"jug-backends[redis]==3.0.0"``).

Run ``uv lock`` afterwards (``make bump V=x.y.z`` does both).

Usage: python scripts/bump_version.py X.Y.Z [--check]
  --check  change nothing; exit 1 (listing the files) if any is not at X.Y.Z.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ROOT / "packages"

# A PEP 440 public version: 1.2.3, 1.2.3rc1, 3.0.0.dev1, 1.2.post3 ...
_VERSION = re.compile(r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?$")
_VERSION_PY = re.compile(r'^(__version__\s*=\s*)"[^"]*"', re.M)
_PROJECT_VERSION = re.compile(r'^(version\s*=\s*)"[^"]*"', re.M)


def sibling_names() -> list[str]:
    """Names of the distributions in packages/, read from their pyproject.toml."""
    names = []
    for pyproject in sorted(PACKAGES.glob("*/pyproject.toml")):
        m = re.search(r'^name\s*=\s*"([^"]+)"', pyproject.read_text(), re.M)
        if m:
            names.append(m.group(1))
    return names


def _pin_pattern(names: list[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    # "jug-core==1.0", "jug-backends[redis]==1.0": name, optional extras, == version.
    return re.compile(r'"((?:' + alternatives + r')(?:\[[^\]]*\])?)\s*==\s*[^";,\s]+"')


def rewrite(version: str) -> dict[Path, str]:
    """Return the new text of every file that must change to carry *version*."""
    pins = _pin_pattern(sibling_names())
    out: dict[Path, str] = {}
    for path in sorted(PACKAGES.glob("*/src/jug/**/_version.py")):
        text = path.read_text()
        new = _VERSION_PY.sub(rf'\g<1>"{version}"', text)
        out[path] = new
    for path in sorted(PACKAGES.glob("*/pyproject.toml")):
        text = path.read_text()
        new = pins.sub(rf'"\g<1>=={version}"', text)
        if _PROJECT_VERSION.search(_project_table(new)):  # a static version (the meta package)
            new = _PROJECT_VERSION.sub(rf'\g<1>"{version}"', new, count=1)
        out[path] = new
    root = ROOT / "pyproject.toml"
    out[root] = _PROJECT_VERSION.sub(rf'\g<1>"{version}"', root.read_text(), count=1)
    return out


def _project_table(text: str) -> str:
    """The text of the [project] table (to see whether its version is static)."""
    m = re.search(r"^\[project\]\n(.*?)(?=^\[)", text + "\n[", re.M | re.S)
    return m.group(1) if m else ""


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    check = "--check" in argv
    if len(args) != 1 or not _VERSION.match(args[0]):
        print("usage: bump_version.py X.Y.Z [--check]  (a PEP 440 version)", file=sys.stderr)
        return 2
    version = args[0]
    changed = []
    for path, new in rewrite(version).items():
        if path.read_text() != new:
            changed.append(path)
            if not check:
                path.write_text(new)
    rel = [str(p.relative_to(ROOT)) for p in changed]
    if check:
        if rel:
            print(f"not at {version}: {', '.join(rel)}", file=sys.stderr)
            return 1
        return 0
    print(f"version {version}: updated {len(rel)} files" + (": " + ", ".join(rel) if rel else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
