"""jug.mapreduce through real `jug execute` / `jug status` runs: the spec's examples."""

from __future__ import annotations

from pathlib import Path

# The word-count jugfile is the reference one run against the original jug (its inputs and
# functions), ending in the `final_counts` task each test chooses.
_REFERENCE = Path(__file__).parent / "data" / "reference" / "wordcount.py"
_WORDCOUNT_BODY = _REFERENCE.read_text().split("\nplain = ")[0]


def wordcount_jugfile(final: str) -> str:
    return f"{_WORDCOUNT_BODY}\nfinal_counts = {final}\n"


PLAIN = "jug.mapreduce.mapreduce(merge_dicts, count1, inputs, map_step=1)"
COMPOUND = "CompoundTask(jug.mapreduce.mapreduce, merge_dicts, count1, inputs, map_step=1)"
EXPECTED = {"banana": 4, "apple": 6, "pear": 3, "football": 2, "waldorf": 1, "salad": 1}
READ = """
import json, jug
_, ns = jug.init("jugfile.py")
print(json.dumps(dict(jug.value(ns["final_counts"]))))
"""


def test_word_count_with_mapreduce(project, parse_status, parse_summary):
    project.write("jugfile.py", wordcount_jugfile(PLAIN))
    before = parse_status(project.jug("status").stdout)
    assert before["jug.mapreduce._jug_map_reduce"] == [0, 7, 0, 0, 0, 0]
    assert before["jug.mapreduce._jug_reduce"] == [1, 0, 0, 0, 0, 0]
    done = project.jug("execute")
    assert done.returncode == 0, done.stderr
    assert parse_summary(done.stdout)["Total"][:2] == [8, 0]
    assert project.python(READ) == EXPECTED


def test_word_count_as_a_compound_task(project, parse_status):
    project.write(
        "jugfile.py",
        wordcount_jugfile(COMPOUND),
    )
    before = parse_status(project.jug("status").stdout)
    assert before["jug.mapreduce._jug_map_reduce"] == [0, 7, 0, 0, 0, 0]
    assert before["jug.mapreduce.mapreduce"] == [1, 0, 0, 0, 0, 0]
    done = project.jug("execute")
    assert done.returncode == 0, done.stderr
    after = project.jug("status")
    rows = parse_status(after.stdout)
    # Once it has run, the compound task is all there is: one finished task.
    assert rows == {"jug.mapreduce.mapreduce": [0, 0, 1, 0, 0, 0], "Total": [0, 0, 1, 0, 0, 0]}
    assert project.python(READ) == EXPECTED
    assert project.jug("check").returncode == 0


SWEEP = """
import jug.mapreduce
from jug import TaskGenerator

def score(p0, p1):
    return -((p0 - 7) ** 2) - (p1 - 3) ** 2

@TaskGenerator
def tscore(p0, p1):
    return score(p0, p1)

def mapper(params):
    p0, p1 = params
    return (p0, p1, score(p0, p1))

def reducer(a, b):
    return a if a[2] > b[2] else b

best = jug.mapreduce.mapreduce(
    reducer, mapper, [(p0, p1) for p0 in range(10) for p1 in range(-5, 6)], map_step=8
)
results = {}
for p0 in range(10):
    for p1 in range(-5, 6):
        results[p0, p1] = tscore(p0, p1)
"""


def test_parameter_sweep(project):
    project.write("jugfile.py", SWEEP)
    done = project.jug("execute")
    assert done.returncode == 0, done.stderr
    got = project.python(
        """
        import json, jug
        _, ns = jug.init("jugfile.py")
        results = jug.value(ns["results"])
        print(json.dumps([jug.value(ns["best"]), max((v, k) for k, v in results.items())]))
        """
    )
    assert got == [[7, 3, 0], [0, [7, 3]]]


AFTER_BARRIER = """
import jug.mapreduce
from jug import TaskGenerator, barrier, value

@TaskGenerator
def make(n):
    return list(range(n))

@TaskGenerator
def total(xs):
    return sum(xs)

def square(x):
    return x * x

numbers = make(10)
barrier()
squares = jug.mapreduce.map(square, value(numbers), map_step=3)
summed = total(squares)
middle = total(squares[2:5])
"""


def test_map_after_a_barrier(project, parse_summary):
    project.write("jugfile.py", AFTER_BARRIER)
    done = project.jug("execute")
    assert done.returncode == 0, done.stderr
    rows = parse_summary(done.stdout)
    assert rows["jug.mapreduce._jug_map"][0] == 4 and rows["jugfile.total"][0] == 2
    got = project.python(
        """
        import json, jug
        _, ns = jug.init("jugfile.py")
        print(json.dumps([jug.value(ns["summed"]), jug.value(ns["middle"])]))
        """
    )
    assert got == [sum(x * x for x in range(10)), 4 + 9 + 16]
    assert project.jug("check").returncode == 0
