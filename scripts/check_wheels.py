"""Check the built wheels keep the namespace rules of DESIGN.md §2.

* exactly one ``jug/__init__.py`` across all wheels, shipped by jug-core;
* no file shipped by two wheels;
* no stray top-level directories (only ``jug/`` and the ``.dist-info``);
* all six distributions built, wheels and sdists, with one version;
* every wheel but the meta package ships a ``py.typed``; every wheel's metadata has a
  summary and a README long description.

Usage: python scripts/check_wheels.py DIST_DIR
"""

from __future__ import annotations

import email.parser
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

EXPECTED = {"jug", "jug_core", "jug_backends", "jug_cli", "jug_shell", "jug_contrib"}


def _metadata_problems(wheel: Path, zf: zipfile.ZipFile, dist_name: str) -> list[str]:
    """py.typed shipped (except by the meta package), summary and README present."""
    names = zf.namelist()
    out = []
    if dist_name != "jug" and not any(n.endswith("/py.typed") for n in names):
        out.append(f"{wheel.name} ships no py.typed")
    meta = next((n for n in names if n.endswith(".dist-info/METADATA")), None)
    if meta is None:
        return [*out, f"{wheel.name} has no METADATA"]
    msg = email.parser.Parser().parsestr(zf.read(meta).decode("utf-8"))
    if not (msg.get("Summary") or "").strip():
        out.append(f"{wheel.name} has no Summary (description)")
    body = msg.get_payload()
    if not isinstance(body, str) or len(body.strip()) < 40:
        out.append(f"{wheel.name} has no README long description")
    return out


def main(dist: Path) -> int:
    problems: list[str] = []
    wheels = sorted(dist.glob("*.whl"))
    sdists = sorted(dist.glob("*.tar.gz"))
    names = {w.name.split("-")[0] for w in wheels}
    if names != EXPECTED:
        problems.append(f"wheels built for {sorted(names)}, expected {sorted(EXPECTED)}")
    snames = {s.name.rsplit("-", 1)[0].replace("-", "_") for s in sdists}
    if snames != EXPECTED:
        problems.append(f"sdists built for {sorted(snames)}, expected {sorted(EXPECTED)}")
    versions = {w.name.split("-")[1] for w in wheels}
    versions |= {s.name[: -len(".tar.gz")].rsplit("-", 1)[1] for s in sdists}
    if len(versions) != 1:
        problems.append(f"wheels and sdists carry different versions: {sorted(versions)}")
    owners: dict[str, list[str]] = defaultdict(list)
    for wheel in wheels:
        dist_name = wheel.name.split("-")[0]
        with zipfile.ZipFile(wheel) as zf:
            for name in zf.namelist():
                top = name.split("/", 1)[0]
                if top.endswith(".dist-info"):
                    continue
                if top != "jug":
                    problems.append(f"{wheel.name} ships {name} outside the jug namespace")
                owners[name].append(dist_name)
            problems.extend(_metadata_problems(wheel, zf, dist_name))
    inits = owners.get("jug/__init__.py", [])
    if inits != ["jug_core"]:
        problems.append(f"jug/__init__.py must be shipped by jug_core alone, found in {inits}")
    for name, dists in sorted(owners.items()):
        if len(dists) > 1:
            problems.append(f"{name} is shipped by several wheels: {dists}")
    if "jug" in names:
        meta = next(w for w in wheels if w.name.startswith("jug-"))
        with zipfile.ZipFile(meta) as zf:
            shipped = [n for n in zf.namelist() if ".dist-info/" not in n]
        if shipped:
            problems.append(f"the meta-package jug ships files: {shipped}")
    for p in problems:
        print(f"check-wheels: {p}", file=sys.stderr)
    if not problems:
        print(
            f"check-wheels: {len(wheels)} wheels, {len(sdists)} sdists, "
            f"{len(owners)} files, one owner each; jug/__init__.py only in jug-core"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "dist")))
