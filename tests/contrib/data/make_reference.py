"""Compute the reference hashes of tests/contrib/data/reference/*.py with Jug 2.7.

Run with the ORIGINAL jug's interpreter (it is how the committed JSON was made)::

    /tmp/origjug/bin/python tests/contrib/data/make_reference.py

Each jugfile is loaded in a fresh process, in a scratch copy of the directory, against an
empty ``dict_store``; the script records every task (name, hash) and the hashes of the
objects named in the jugfile's ``__check__`` list. tests/contrib/test_reference_hashes.py
loads the same jugfiles with this jug and compares.
"""

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

PROBE = r"""
import json, sys
import jug
from jug.task import alltasks

def h(o):
    if isinstance(o, dict):
        return {str(k): h(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [h(x) for x in o]
    if not hasattr(o, "__jug_hash__"):
        return o
    x = o.__jug_hash__()
    return x.decode() if isinstance(x, bytes) else x

jugfile = sys.argv[1]
_, ns = jug.init(jugfile, "dict_store")
out = {
    "tasks": [[t.name, t.hash().decode()] for t in alltasks],
    "objects": {k: h(ns[k]) for k in ns["__check__"]},
}
print("JSON" + json.dumps(out))
"""


def probe(python: str, jugfile: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(jugfile, tmp)
        done = subprocess.run(
            [python, "-c", PROBE, jugfile.name],
            cwd=tmp,
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        raise SystemExit(f"{jugfile.name}: {done.stderr}")
    line = [x for x in done.stdout.splitlines() if x.startswith("JSON")][-1]
    return json.loads(line[4:])


def main() -> None:
    python = sys.argv[1] if len(sys.argv) > 1 else sys.executable
    data = {p.name: probe(python, p) for p in sorted((HERE / "reference").glob("*.py"))}
    out = HERE / "reference_hashes.json"
    out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
