"""``jug.init`` leaves the caller's ``sys.argv`` alone: a results script run as
``python show.py --n 3`` gives ``--n 3`` to a jugfile that parses it with argparse."""

from __future__ import annotations

import subprocess
import sys

JUGFILE = """
import argparse
from jug import TaskGenerator

parser = argparse.ArgumentParser()
parser.add_argument("--n", type=int, default=2)
args = parser.parse_args()

@TaskGenerator
def square(i):
    return i * i

squares = [square(i) for i in range(args.n)]
"""

SHOW = """
import sys
import jug

store, space = jug.init("jugfile.py", "jugfile.jugdata")
print(sys.argv[1:], [jug.value(t) for t in space["squares"]])
"""


def test_a_results_script_passes_its_arguments_to_the_jugfile(project):
    project.write("jugfile.py", JUGFILE)
    project.write("show.py", SHOW)
    done = project.jug("execute", "--", "--n", "3")
    assert done.returncode == 0, done.stderr
    shown = subprocess.run(
        [sys.executable, "show.py", "--n", "3"],
        cwd=project.path,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == "['--n', '3'] [0, 1, 4]"
    # The default n=2 are the first two of those: found too.
    shown = subprocess.run(
        [sys.executable, "show.py"],
        cwd=project.path,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.stdout.strip() == "[] [0, 1]", shown.stderr
