"""Loading jugfiles, choosing stores, init() and is_jug_running()."""

import pytest

import jug
from jug import jugfile, runtime
from jug.errors import JugfileError, UnknownBackendError
from jug.task import Task, alltasks
from jug.testing import MemoryStore, run_all


def test_jugfile_is_a_module_named_after_its_file(store, tmp_path):
    jf = tmp_path / "analysis.py"
    jf.write_text(
        "import sys\nfrom jug import TaskGenerator\n"
        "@TaskGenerator\ndef f(x): return x\n"
        "t = f(1)\nARGV = list(sys.argv)\n"
    )
    ns, complete = jugfile.load_jugfile(jf, argv=["--alpha", "3"])
    assert complete
    assert ns["t"].name == "analysis.f"
    assert ns["ARGV"] == [str(jf), "--alpha", "3"]
    assert ns["__name__"] == "analysis"
    import sys

    assert sys.modules["analysis"].t is ns["t"]


def test_reloading_replaces_the_task_list(store, tmp_path):
    jf = tmp_path / "reload_me.py"
    jf.write_text(
        "from jug import TaskGenerator\n@TaskGenerator\ndef f(x): return x\nts=[f(i) for i in range(3)]\n"
    )
    jugfile.load_jugfile(jf)
    jugfile.load_jugfile(jf)
    assert len(alltasks) == 3


def test_missing_jugfile_is_a_clear_error(tmp_path):
    with pytest.raises(JugfileError, match="not found"):
        jugfile.load_jugfile(tmp_path / "nope.py")


def test_jugfile_exception_carries_its_own_traceback(store, tmp_path):
    jf = tmp_path / "broken.py"
    jf.write_text("x = 1\n\ndef helper():\n    raise KeyError('missing-thing')\n\nhelper()\n")
    with pytest.raises(JugfileError) as info:
        jugfile.load_jugfile(jf)
    msg = str(info.value)
    assert "broken.py" in msg and "line 4" in msg and "missing-thing" in msg
    assert "runtime.py" not in msg  # jug's own frames are not shown


def test_syntax_error_in_jugfile(store, tmp_path):
    jf = tmp_path / "syntax.py"
    jf.write_text("def f(:\n")
    with pytest.raises(JugfileError, match="SyntaxError"):
        jugfile.load_jugfile(jf)


def test_default_jugdir():
    assert jugfile.default_jugdir("analysis.py") == "analysis.jugdata"
    assert jugfile.default_jugdir("dir/x.py") == "dir/x.jugdata"
    assert jugfile.default_jugdir("noext") == "noext.jugdata"


def test_set_jugdir_accepts_a_store_object():
    saved = Task.store
    try:
        s = MemoryStore()
        assert jug.set_jugdir(s) is s
        assert Task.store is s
    finally:
        Task.store = saved


def test_unknown_scheme_is_an_error_not_a_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UnknownBackendError, match="unknown jugdir scheme 'nosuchbackend'"):
        jug.set_jugdir("nosuchbackend:whatever")
    assert not (tmp_path / "nosuchbackend:whatever").exists()


def test_init_loads_jugfile_and_returns_store_and_namespace(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "proj.py").write_text(
        "from jug import TaskGenerator, is_jug_running\n"
        "@TaskGenerator\ndef sq(x): return x*x\n"
        "vals = [sq(i) for i in range(4)]\nRUNNING = is_jug_running()\n"
    )
    saved = Task.store
    try:
        mem = MemoryStore()
        store, space = jug.init("proj", store=mem)
        assert store is mem
        assert space["RUNNING"] is True
        run_all()
        assert jug.value(space["vals"]) == [0, 1, 4, 9]
    finally:
        Task.store = saved
        runtime._jug_running = False
        del alltasks[:]


def test_init_on_error_raise(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.py").write_text("raise RuntimeError('nope')\n")
    saved = Task.store
    try:
        with pytest.raises(JugfileError, match="nope"):
            jug.init("bad.py", store=MemoryStore(), on_error="raise")
        with pytest.raises(SystemExit):
            jug.init("bad.py", store=MemoryStore())
    finally:
        Task.store = saved
        runtime._jug_running = False


def test_is_jug_running_false_in_plain_python():
    assert jug.is_jug_running() is False
