"""jug.io: write_task_out, write_metadata, NoLoad, print_task_summary_table."""

from __future__ import annotations

import json
import pickle
from collections import Counter

import pytest
import yaml

from jug import value
from jug.io import NoLoad, print_task_summary_table, write_metadata, write_task_out
from jug.task import alltasks
from jug.testing import run_all

OUTPUTS = """
import numpy as np
from jug import TaskGenerator
from jug.io import write_metadata, write_task_out

@TaskGenerator
def f(x):
    return x * 2

@TaskGenerator
def g(a, b, c=1):
    return {"sum": a + b + c}

@TaskGenerator
def arange(n):
    return np.arange(n)

a = f(3)
b = g(a, f(a), c=a)
write_task_out(b, "out/result.pkl", "out/meta.yaml")
write_task_out(a, "out/a.pkl", "out/meta.json", metadata_format="json")
write_metadata(b, "out/only-meta.yaml")
write_task_out(arange(4), "out/array.npy")
"""


def test_write_task_out_and_metadata(project):
    project.write("jugfile.py", OUTPUTS)
    (project.path / "out").mkdir()
    done = project.jug("execute")
    assert done.returncode == 0, done.stderr
    out = project.path / "out"
    assert pickle.loads((out / "result.pkl").read_bytes()) == {"sum": 24}
    assert pickle.loads((out / "a.pkl").read_bytes()) == 6
    np = pytest.importorskip("numpy")
    assert np.load(out / "array.npy").tolist() == [0, 1, 2, 3]
    assert sorted(p.name for p in out.iterdir()) == [
        "a.pkl",
        "array.npy",
        "meta.json",
        "meta.yaml",
        "only-meta.yaml",
        "result.pkl",
    ]  # no temporary files left behind

    hashes = project.python(
        """
        import json, jug
        from jug.task import alltasks
        jug.init("jugfile.py")
        print(json.dumps({t.hash().decode(): t.name for t in alltasks}))
        """
    )
    meta = yaml.safe_load((out / "meta.yaml").read_text())
    assert meta["name"] == "jugfile.g" and hashes[meta["hash"]] == "jugfile.g"
    first, second = meta["args"]
    assert first["name"] == "jugfile.f" and first["args"] == [3]
    assert second["name"] == "jugfile.f" and second["args"][0]["hash"] == first["hash"]
    assert meta["kwargs"]["c"]["hash"] == first["hash"]
    assert meta["meta"]["computed"] is True and meta["written"][:2] == "20"
    assert yaml.safe_load((out / "only-meta.yaml").read_text())["hash"] == meta["hash"]
    small = json.loads((out / "meta.json").read_text())
    assert small["name"] == "jugfile.f" and small["args"] == [3] and "kwargs" not in small


def test_write_tasks_are_named_and_checked(memory_store):
    from jug import Task

    def f(x):
        return x

    t = Task(f, 1)
    w = write_task_out(t, "x.pkl")
    assert w.name == "jug.io._do_write_task_out" and w.args[0] is t
    assert isinstance(w.args[1], NoLoad) and w.args[2:] == ("x.pkl", None, "yaml")
    assert write_metadata(t, "m.json", "json").args[2:] == (None, "m.json", "json")
    with pytest.raises(ValueError, match="metadata_format"):
        write_task_out(t, "x.pkl", "m.xml", metadata_format="xml")
    del alltasks[:]


NOLOAD = """
from jug import TaskGenerator
from jug.io import NoLoad

@TaskGenerator
def big(n):
    return list(range(n))

@TaskGenerator
def inspect(w):
    return [type(w).__name__, w.base.name, w.base.is_loaded(), len(w.base.result)]

data = big(1000)
info = inspect(NoLoad(data))
"""


def test_noload_passes_the_task_not_its_result(project):
    project.write("jugfile.py", NOLOAD)
    done = project.jug("execute", "--aggressive-unload")
    assert done.returncode == 0, done.stderr
    got = project.python(
        """
        import json, jug
        _, ns = jug.init("jugfile.py")
        print(json.dumps(jug.value(ns["info"])))
        """
    )
    assert got == ["NoLoad", "jugfile.big", False, 1000]


def test_noload_api(module_factory, memory_store):
    mod = module_factory(
        "noloadfuncs",
        """
        from jug import TaskGenerator

        @TaskGenerator
        def f(x):
            return x

        @TaskGenerator
        def base_name(w):
            return w.base.name
        """,
    )
    t = mod.f(1)
    w = NoLoad(t)
    user = mod.base_name(w)
    assert w.t is t and w.f == "NoLoad" and list(w.dependencies()) == [t]
    assert list(user.dependencies()) == [t]
    assert not user.can_run() and not w.can_load()  # still waits for the task
    assert value(w) is w
    assert NoLoad(t).__jug_hash__() == w.__jug_hash__() != t.hash()
    run_all()
    assert w.can_load() and value(user) == "noloadfuncs.f"


class Options:
    def __init__(self, short=False):
        self.short = short
        self.lines = []

    def print_out(self, text):
        self.lines.append(text)


def test_print_task_summary_table(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    groups = [
        ("Executed", Counter({"a.f": 3, "jug.mapreduce._jug_map": 10})),
        ("Loaded", {"a.f": 1}),
    ]
    print_task_summary_table(None, groups)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["Executed", "Loaded", "Task", "name"]
    assert lines[2].split() == ["3", "1", "a.f"]
    assert lines[3].split() == ["10", "0", "jug.mapreduce._jug_map"]
    assert lines[-1].split() == ["13", "1", "Total"]
    opts = Options(short=True)
    print_task_summary_table(opts, groups)
    assert opts.lines == ["Executed: 13, Loaded: 1 tasks"]
    opts = Options()
    print_task_summary_table(opts, [])
    table = opts.lines[0].splitlines()
    assert table[0].split() == ["Task", "name"] and table[-1].split() == ["Total"]


def test_the_command_line_uses_the_same_table(project):
    from jug.table import format_table

    project.write(
        "jugfile.py",
        """
        from jug import TaskGenerator
        @TaskGenerator
        def f(x):
            return x
        ts = [f(i) for i in range(3)]
        """,
    )
    done = project.jug("execute", env={"COLUMNS": "80"})
    assert done.returncode == 0, done.stderr
    table = format_table(["Executed", "Loaded"], [("jugfile.f", [3, 0])], width=80)
    assert done.stdout.rstrip("\n") == table


def test_metadata_describes_every_kind_of_argument(module_factory, memory_store, tmp_path):
    mod = module_factory(
        "metafuncs",
        """
        from jug import TaskGenerator

        @TaskGenerator
        def pair(x):
            return x, x + 1

        @TaskGenerator
        def use(*args, **kwargs):
            return len(args)
        """,
    )
    p = mod.pair(1)
    odd = {1: "int key"}
    t = mod.use(p[0], NoLoad(p), [1.5, None, "s"], odd, object, b"raw" * 100, flag=True)
    write_metadata(t, str(tmp_path / "m.json"), "json")
    run_all()
    meta = json.loads((tmp_path / "m.json").read_text())
    tasklet, noload, plain, mapping, obj, raw = meta["args"]
    assert tasklet["of"]["name"] == "metafuncs.pair" and len(tasklet["tasklet"]) == 40
    assert noload == {"noload": tasklet["of"]}
    assert plain == [1.5, None, "s"] and mapping == repr(odd)
    assert obj == repr(object) and raw.endswith("...") and len(raw) == 200
    assert meta["kwargs"] == {"flag": True} and meta["hash"] == t.hash().decode()
