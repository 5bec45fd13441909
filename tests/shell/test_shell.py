"""``jug shell`` (jug-shell), driven through its stdin: the namespace it offers, the Task
methods of spec §6.8, use while a worker runs, and the message without IPython."""

from __future__ import annotations

import subprocess
import sys
import time

N = 4

# The British-parliament shape: fan-in (add_counts), then fan-out (divergence).
JUGFILE = f"""
from jug import TaskGenerator

@TaskGenerator
def count_words(mp):
    return 10 * (mp + 1)

@TaskGenerator
def add_counts(counts):
    return sum(counts) / len(counts)

@TaskGenerator
def divergence(count, avgs):
    return count - avgs

counts = [count_words(mp) for mp in range({N})]
avgs = add_counts(counts)
divs = [divergence(c, avgs) for c in counts]
"""


def test_namespace_and_recursive_invalidate(shell_project):
    p = shell_project
    p.write("jugfile.py", JUGFILE)
    assert p.jug("execute").returncode == 0
    done, shown = p.shell(
        """
        show('banner-ok')
        show(value(avgs), value(divs))
        show(len(get_tasks()))
        show(len(get_filtered_tasks('divergence')), len(get_filtered_tasks('/^jugfile\\\\.count/')))
        show(len(get_filtered_tasks(state='finished')))
        show(load_all(), avgs.is_loaded())
        show(invalidate(avgs))
        show(avgs.can_load(), [d.can_load() for d in divs], counts[0].can_load())
        show(len(get_filtered_tasks(state='ready')), len(get_filtered_tasks(state='waiting')))
        """,
    )
    assert done.returncode == 0, done.stderr
    assert "jug shell: jugfile.py is loaded (9 tasks)" in done.stdout
    assert shown == [
        "banner-ok",
        "25.0 [-15.0, -5.0, 5.0, 15.0]",
        "9",
        "4 4",
        "9",
        "4 True",  # the 5 results already read (avgs, divs) stay loaded
        "5",  # avgs and every divergence: recursive over dependents
        "False [False, False, False, False] True",
        "1 4",
    ]
    status = p.jug("status", "--short")
    assert status.stdout.strip() == "5 tasks to be run, 4 finished, (none running)."


def test_task_methods_inside_the_shell(shell_project):
    """`run()`, `can_run()`, `can_load()`, `invalidate()` (not recursive) and `.f`."""
    p = shell_project
    p.write("jugfile.py", JUGFILE)
    assert p.jug("execute", "--target", "count_words").returncode == 0
    done, shown = p.shell(
        """
        show(avgs.can_run(), avgs.can_load(), divs[0].can_run())
        show(avgs.run())
        show(avgs.can_load(), divs[0].can_run())
        show(avgs.f.__name__, avgs.f([1, 3]))
        avgs.invalidate()
        show(avgs.can_load(), counts[0].can_load())
        show(invalidate('count_words'))
        """,
    )
    assert done.returncode == 0, done.stderr
    assert shown == [
        "True False False",
        "25.0",
        "True True",
        "add_counts 2.0",
        "False True",
        "4",  # pattern form of invalidate(): the four count_words (avgs has no result now)
    ]


def test_provenance_inside_the_shell(shell_project):
    p = shell_project
    p.write("jugfile.py", JUGFILE)
    assert p.jug("execute", "--target", "count_words", env={"SLURM_JOB_ID": "314"}).returncode == 0
    done, shown = p.shell(
        """
        import os
        q = provenance(counts[0])
        show(q.host == os.uname().nodename, q.pid > 0, q.duration >= 0, q.peak_rss > 0)
        show(q.scheduler, q.job, q == counts[0].provenance())
        show(provenance(avgs), divs[0].provenance())
        show('ran' in q.describe())
        """,
    )
    assert done.returncode == 0, done.stderr
    assert "provenance(t)" in done.stdout  # in the banner
    assert shown == ["True True True True", "slurm 314 True", "None None", "True"]


def test_value_of_an_unfinished_task_raises(shell_project):
    p = shell_project
    p.write("jugfile.py", JUGFILE)
    done, shown = p.shell(
        """
        from jug.errors import ResultNotAvailableError
        try:
            value(avgs)
        except ResultNotAvailableError as e:
            show(isinstance(e, KeyError), e.state, str(e))

        show('after')
        """,
    )
    assert done.returncode == 0, done.stderr
    assert len(shown) == 2 and shown[1] == "after"
    # An error naming the task and its state (a KeyError too, as the store's was).
    is_key_error, state, message = shown[0].split(" ", 2)
    assert (is_key_error, state) == ("True", "waiting")
    assert message.startswith("task jugfile.") and "has no result: it is waiting" in message


def test_shell_while_a_worker_runs(shell_project):
    p = shell_project
    p.write(
        "jugfile.py",
        """
        import os, time
        from jug import TaskGenerator

        @TaskGenerator
        def quick(x):
            return x

        @TaskGenerator
        def slow(xs):
            open("started", "w").close()
            while not os.path.exists("go"):
                time.sleep(0.05)
            return sum(xs)

        parts = [quick(i) for i in range(3)]
        total = slow(parts)
        """,
    )
    worker = p.start("execute")
    try:
        deadline = time.monotonic() + 60
        while not (p.path / "started").exists():
            assert time.monotonic() < deadline, "the slow task never started"
            time.sleep(0.05)
        done, shown = p.shell(
            """
            show(value(parts))
            show([t.name for t in get_filtered_tasks(state='running')])
            show(invalidate(total), total.can_load())
            """,
        )
        assert done.returncode == 0, done.stderr
        assert shown == ["[0, 1, 2]", "['jugfile.slow']", "0 False"]
    finally:
        (p.path / "go").touch()
        out, err = worker.communicate(timeout=60)
    # The shell took no lock and removed none: the worker finished normally.
    assert worker.returncode == 0, err
    done, shown = p.shell("show(value(total))\n")
    assert shown == ["3"]


def test_without_ipython_a_clear_message(shell_project):
    p = shell_project
    p.write("jugfile.py", JUGFILE)
    # `import IPython` fails in this process, exactly as when it is not installed.
    script = (
        "import sys; sys.modules['IPython'] = None\n"
        "from jug.jug import run\n"
        "sys.exit(run(['shell']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=p.path, env=p.env, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "jug: jug shell needs IPython, which is not installed: pip install jug-shell "
        "(or pip install ipython)"
    )


def test_shell_help_and_listing(shell_project):
    p = shell_project
    listing = p.jug("--help").stdout
    assert "  shell           Open an IPython shell with the jugfile loaded" in listing
    done = p.jug("shell", "--help")
    assert done.returncode == 0 and done.stdout.startswith("usage: jug shell")


def test_shell_help_does_not_import_ipython(shell_project):
    script = (
        "import sys\n"
        "from jug.jug import run\n"
        "try:\n"
        "    run(['shell', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('MODULES', 'jug.shell' in sys.modules, 'IPython' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=shell_project.env
    )
    assert done.returncode == 0, done.stderr
    assert "usage: jug shell" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "MODULES True False"
