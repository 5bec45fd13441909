"""The documentation stays true: links resolve and marked examples run (scripts/check_docs.py)."""

from __future__ import annotations

import re
import sys

FENCE = "```"


def _check_docs(run, repo_root, *args):
    return run([sys.executable, repo_root / "scripts" / "check_docs.py", *args], timeout=600)


def test_repository_docs_are_true(run, repo_root, jug_script):
    done = _check_docs(run, repo_root)
    assert done.returncode == 0, done.stdout + done.stderr
    m = re.search(r"(\d+) pages, (\d+) relative links, (\d+) runnable examples", done.stdout)
    assert m, done.stdout
    pages, links, examples = map(int, m.groups())
    # README + the docs pages + the six package READMEs; the tutorial, tasks page and
    # README carry runnable examples.
    assert pages >= 15 and links >= 20 and examples >= 4, done.stdout


def test_every_docs_page_is_linked_from_the_index(repo_root):
    index = (repo_root / "docs" / "index.md").read_text()
    for page in sorted((repo_root / "docs").glob("*.md")):
        if page.name != "index.md":
            assert f"]({page.name})" in index, f"docs/index.md does not link {page.name}"


def _tree(tmp_path, readme, page=""):
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text(readme)
    (tmp_path / "docs" / "page.md").write_text(page or "# Page\n\n## A section\n")
    return tmp_path


def test_check_docs_reports_broken_links(run, repo_root, tmp_path):
    root = _tree(
        tmp_path,
        "# T\n\n[ok](docs/page.md) [anchor](docs/page.md#a-section) [web](https://example.org)\n"
        f"{FENCE}text\n[not a link](nowhere.md)\n{FENCE}\n"
        "[gone](docs/missing.md) and [bad anchor](docs/page.md#no-such-heading)\n",
    )
    done = _check_docs(run, repo_root, "--root", root)
    assert done.returncode == 1
    assert "docs/missing.md" in done.stderr and "#no-such-heading" in done.stderr
    assert "nowhere.md" not in done.stderr  # inside a code block: not a link
    assert "2 problems" in done.stdout


def test_check_docs_runs_marked_examples(run, repo_root, tmp_path, jug_script):
    good = (
        f"{FENCE}python\n# jugfile: good.py\nfrom jug import TaskGenerator\n\n"
        "@TaskGenerator\ndef f(x):\n    return x + 1\n\nys = [f(i) for i in range(3)]\n"
        f"{FENCE}\n\n"
        f"{FENCE}python\n# after: good.py\nimport jug\n_, ns = jug.init('good.py')\n"
        "assert jug.value(ns['ys']) == [1, 2, 3]\n"
        f"{FENCE}\n"
    )
    bad = (
        f"{FENCE}python\n# jugfile: bad.py\nfrom jug import TaskGenerator\n\n"
        "@TaskGenerator\ndef f(x):\n    raise ValueError('documented bug')\n\nt = f(1)\n"
        f"{FENCE}\n"
    )
    root = _tree(tmp_path, "# T\n", good)
    done = _check_docs(run, repo_root, "--root", root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 runnable examples" in done.stdout

    (root / "README.md").write_text("# T\n\n" + bad)
    done = _check_docs(run, repo_root, "--root", root)
    assert done.returncode == 1
    assert "README.md:3: `jug execute bad.py` exited 1" in done.stderr
    assert "documented bug" in done.stderr
