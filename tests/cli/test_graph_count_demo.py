"""``jug graph``, ``jug count`` and ``jug demo``."""

from __future__ import annotations

import os
import shutil
import stat

import pytest

JUGFILE = """
from jug import TaskGenerator

@TaskGenerator
def load(i):
    return i

@TaskGenerator
def clean(x):
    return x

@TaskGenerator
def summarise(xs):
    return sum(xs)

@TaskGenerator
def broken(x):
    raise RuntimeError("no")

loaded = [load(i) for i in range(3)]
summary = summarise(loaded)
broken(summary)
"""


def _no_dot_path(tmp_path):
    """A PATH with no `dot` on it (python is run by absolute path, so nothing else is needed)."""
    empty = tmp_path / "empty-bin"
    empty.mkdir(exist_ok=True)
    return {"PATH": str(empty)}


def test_graph_writes_dot_with_counts_states_and_edges(project, tmp_path):
    project.write("jugfile.py", JUGFILE)
    assert project.jug("execute", "--target", "summarise").returncode == 0
    done = project.jug("graph", "--format", "dot")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Wrote the task graph to jugfile.dot."
    dot = (project.path / "jugfile.dot").read_text()
    assert dot.startswith("digraph jug {") and dot.rstrip().endswith("}")
    # One node per task name, labelled with its counts by state.
    assert '"jugfile.load" [label="jugfile.load\\n3 tasks: 3 finished"' in dot
    assert '"jugfile.summarise" [label="jugfile.summarise\\n1 task: 1 finished"' in dot
    assert '"jugfile.broken" [label="jugfile.broken\\n1 task: 1 ready"' in dot
    assert '"jugfile.clean"' not in dot  # a generator without tasks is no node
    # Edges between names, each once.
    assert dot.count('"jugfile.load" -> "jugfile.summarise";') == 1
    assert dot.count('"jugfile.summarise" -> "jugfile.broken";') == 1
    assert dot.count("->") == 2

    project.jug("execute", "--keep-failed")
    project.jug("graph", "--format", "dot", "--output", "after.dot")
    after = (project.path / "after.dot").read_text()
    assert '"jugfile.broken" [label="jugfile.broken\\n1 task: 1 failed"' in after


def test_graph_without_graphviz_says_how_to_get_it(project, tmp_path):
    project.write("jugfile.py", JUGFILE)
    done = project.jug("graph", env=_no_dot_path(tmp_path))
    assert done.returncode == 0, done.stderr
    assert (project.path / "jugfile.dot").is_file()
    assert "Graphviz" in done.stderr and "apt install graphviz" in done.stderr
    assert "dot -Tpng jugfile.dot -o jugfile.png" in done.stderr
    assert not (project.path / "jugfile.png").exists()


def test_graph_renders_with_dot_when_present(project, tmp_path):
    """A stand-in `dot` on PATH records how it is called (the real one is tested below)."""
    project.write("jugfile.py", JUGFILE)
    bindir = tmp_path / "fake-bin"
    bindir.mkdir()
    fake = bindir / "dot"
    fake.write_text(
        '#!/bin/sh\necho "$@" > dot-args.txt\nfor last; do :; done\necho ok > "$last"\n'
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    done = project.jug("graph", "--format", "svg", env={"PATH": str(bindir)})
    assert done.returncode == 0, done.stderr
    assert (project.path / "dot-args.txt").read_text().split() == [
        "-Tsvg",
        "jugfile.dot",
        "-o",
        "jugfile.svg",
    ]
    assert "Rendered it as jugfile.svg." in done.stdout

    fake.write_text("#!/bin/sh\necho 'Error: syntax error in line 1' >&2\nexit 1\n")
    done = project.jug("graph", env={"PATH": str(bindir)})
    assert done.returncode == 1
    assert "Graphviz could not render jugfile.dot: Error: syntax error in line 1" in done.stderr


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graph_renders_a_real_png(project):
    project.write("jugfile.py", JUGFILE)
    done = project.jug("graph")
    assert done.returncode == 0, done.stderr
    assert (project.path / "jugfile.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_graph_bad_format_is_a_usage_error(project):
    project.write("jugfile.py", JUGFILE)
    done = project.jug("graph", "--format", "gif")
    assert done.returncode == 2
    assert "--format gif: choose one of png, svg, pdf, dot" in done.stderr


def test_count(project):
    project.write("jugfile.py", JUGFILE)
    done = project.jug("count")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["Count", "Task", "name"]
    rows = {p[1]: int(p[0]) for p in (line.split() for line in lines) if p and p[0].isdigit()}
    assert rows == {"jugfile.broken": 1, "jugfile.load": 3, "jugfile.summarise": 1, "Total": 5}
    assert project.jug("count", "--short").stdout.strip() == "5 tasks (3 task names)."
    # count never touches the store.
    assert not (project.path / "jugfile.jugdata").exists()


def test_demo_writes_the_primes_example_and_says_what_to_run(project, parse_status):
    done = project.jug("demo")
    assert done.returncode == 0, done.stderr
    demo = project.path / "jug-demo"
    assert (demo / "primes.py").is_file()
    assert "cd jug-demo" in done.stdout and "jug execute primes.py" in done.stdout
    status = project.jug("status", "primes.py", cwd=demo)
    assert status.returncode == 1, status.stderr  # nothing has run yet
    rows = parse_status(status.stdout)
    assert rows["primes.is_prime"] == [0, 99, 0, 0, 0, 0]
    assert rows["Total"] == [2, 99, 0, 0, 0, 0]

    again = project.jug("demo")
    assert again.returncode == 1
    assert "jug-demo already exists" in again.stderr
    other = project.jug("demo", "elsewhere")
    assert other.returncode == 0
    assert (project.path / "elsewhere" / "primes.py").read_text() == (
        demo / "primes.py"
    ).read_text()


@pytest.mark.slow
def test_demo_runs_to_the_end(project):
    project.jug("demo")
    demo = project.path / "jug-demo"
    workers = [
        project.start("execute", "primes.py", "--wait-cycle-time", "1", cwd=demo) for _ in range(4)
    ]
    for w in workers:
        w.communicate(timeout=120)
        assert w.returncode == 0
    assert (demo / "output.txt").read_text() == "Found 25 primes <= 100.\n"
    assert os.path.isdir(demo / "primes.jugdata")
