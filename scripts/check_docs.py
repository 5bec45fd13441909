"""Keep the documentation true: check its links and run its examples.

Checks README.md, docs/**/*.md and packages/*/README.md:

* every relative link ``[text](path)`` or ``[text](path#anchor)`` points at a file that
  exists (and, for a Markdown file, at a heading that exists);
* runnable code blocks run. A fenced ``python`` block is runnable when its first line is
  one of these marker comments:

  ``# jugfile: NAME.py``
      written to a scratch directory (one per page, shared by the page's blocks in
      order), then ``jug execute NAME.py``, ``jug status NAME.py`` and ``jug check NAME.py``
      must all exit 0 (so every task really finished);
  ``# file: NAME``
      written to the scratch directory before later blocks run (a helper module or data);
  ``# after: NAME.py``
      run with ``python`` in the scratch directory (after the jugfile above was
      executed); it must exit 0: use it to show reading results with ``jug.init``.

Usage: python scripts/check_docs.py [--root DIR] [--links-only] [-v]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

_FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)")
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*([^)\s]+)\s*\)")
_MARKER = re.compile(r"^#\s*(jugfile|file|after):\s*(\S+)\s*$")
_EXTERNAL = ("http://", "https://", "mailto:", "ftp://")


@dataclass
class Block:
    path: Path
    line: int
    lang: str
    text: str


def markdown_files(root: Path) -> list[Path]:
    files = [root / "README.md"] if (root / "README.md").is_file() else []
    files += sorted((root / "docs").rglob("*.md")) if (root / "docs").is_dir() else []
    files += sorted((root / "packages").glob("*/README.md"))
    return files


def split_blocks(path: Path) -> tuple[list[tuple[int, str]], list[Block]]:
    """(prose lines with their numbers, fenced code blocks) of a Markdown file."""
    prose: list[tuple[int, str]] = []
    blocks: list[Block] = []
    fence: str | None = None
    lang = ""
    start = 0
    body: list[str] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        m = _FENCE.match(line.strip())
        if fence is None and m:
            fence, lang, start, body = m.group(1), m.group(2).lower(), n, []
        elif fence is not None and re.fullmatch(
            re.escape(fence[0]) + f"{{{len(fence)},}}", line.strip()
        ):
            blocks.append(Block(path, start, lang, "\n".join(body) + "\n"))
            fence = None
        elif fence is not None:
            body.append(line)
        else:
            prose.append((n, line))
    return prose, blocks


def slug(heading: str) -> str:
    """The anchor a Markdown renderer (GitHub's rules) gives a heading."""
    text = re.sub(r"`([^`]*)`", r"\1", heading.strip().lower())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    prose, _ = split_blocks(path)
    out: set[str] = set()
    for _, line in prose:
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m:
            base = slug(m.group(1))
            name, i = base, 1
            while name in out:
                name, i = f"{base}-{i}", i + 1
            out.add(name)
    return out


def check_links(path: Path) -> tuple[int, list[str]]:
    prose, _ = split_blocks(path)
    problems: list[str] = []
    count = 0
    for n, line in prose:
        line = re.sub(r"`[^`]*`", "", line)  # links inside inline code are not links
        for m in [*_LINK.finditer(line), *_IMAGE.finditer(line)]:
            target = m.group(1)
            if target.startswith(_EXTERNAL):
                continue
            count += 1
            file_part, _, fragment = target.partition("#")
            dest = (path.parent / file_part).resolve() if file_part else path
            where = f"{path}:{n}"
            if not dest.exists():
                problems.append(f"{where}: broken link {target!r} ({dest} does not exist)")
            elif fragment and dest.suffix == ".md" and fragment not in anchors(dest):
                problems.append(f"{where}: link {target!r}: no heading #{fragment} in {dest.name}")
    return count, problems


def _jug() -> str:
    beside = Path(sys.executable).parent / "jug"
    if beside.exists():
        return str(beside)
    found = shutil.which("jug")
    if found is None:
        raise FileNotFoundError("no `jug` command found (is jug-cli installed? run `make sync`)")
    return found


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env["NO_COLOR"] = "1"
    return subprocess.run(
        cmd,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )


def run_examples(path: Path, verbose: bool) -> tuple[int, list[str]]:
    """Run the marked blocks of one page in a scratch directory; return (count, problems)."""
    _, blocks = split_blocks(path)
    marked = []
    for b in blocks:
        first = b.text.splitlines()[0] if b.text.strip() else ""
        m = _MARKER.match(first)
        if m and b.lang in ("python", "py", ""):
            marked.append((b, m.group(1), m.group(2)))
    if not marked:
        return 0, []
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="jug-docs-") as tmp:
        work = Path(tmp)
        for block, kind, name in marked:
            where = f"{path}:{block.line}"
            target = work / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if kind in ("file", "jugfile"):
                target.write_text(block.text)
            if kind == "file":
                continue
            if kind == "jugfile":
                # check: every task finished (barriers included), not just "no error".
                steps = [[_jug(), cmd, name] for cmd in ("execute", "status", "check")]
            else:
                script = work / f"_after_{block.line}.py"
                script.write_text(block.text)
                steps = [[sys.executable, script.name]]
            for cmd in steps:
                t0 = time.perf_counter()
                done = _run(cmd, work)
                label = " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd))
                if verbose:
                    print(
                        f"  {where}: {label} -> {done.returncode} ({time.perf_counter() - t0:.1f} s)"
                    )
                if done.returncode != 0:
                    problems.append(
                        f"{where}: `{label}` exited {done.returncode}:\n"
                        + (done.stdout + done.stderr).rstrip()
                    )
                    break
    return len([m for m in marked if m[1] != "file"]), problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--links-only", action="store_true", help="do not run examples")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    files = markdown_files(root)
    if not files:
        print(f"check-docs: no Markdown files under {root}", file=sys.stderr)
        return 1
    problems: list[str] = []
    links = examples = 0
    for f in files:
        n, p = check_links(f)
        links += n
        problems += p
        if not args.links_only:
            try:
                n, p = run_examples(f, args.verbose)
            except FileNotFoundError as exc:
                problems.append(f"{f}: {exc}")
                continue
            examples += n
            problems += p
    for p in problems:
        print(f"check-docs: {p}", file=sys.stderr)
    status = "FAILED" if problems else "OK"
    print(
        f"check-docs: {status}: {len(files)} pages, {links} relative links, "
        f"{examples} runnable examples, {len(problems)} problems"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
