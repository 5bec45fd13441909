# Reference jugfile: jug.utils and jug.io (hashes compared with Jug 2.7).
import os

from jug import TaskGenerator
from jug.hash import hash_one
from jug.io import NoLoad, write_metadata, write_task_out
from jug.utils import CustomHash, cached_glob, identity, jug_execute, timed_path

# Files with a fixed modification time and size, for timed_path.
for name, text in [("data.txt", "hello\n"), ("other.dat", "0123456789")]:
    with open(name, "w") as f:
        f.write(text)
    os.utime(name, (1600000000.75, 1600000000.75))


@TaskGenerator
def f(x):
    return x * 2


@TaskGenerator
def g(a, b, c=1):
    return {"sum": a + b + c}


@TaskGenerator
def count_lines(path):
    with open(path) as fh:
        return len(fh.readlines())


def by_length(x):
    return hash_one(len(x))


def value_after(val, token):
    return identity([val, token])[0]


ids = [identity([1, 2, 3]), identity(5), identity([]), identity(f(1))]
after = value_after("output.txt", f(2))
custom = [f(CustomHash([1, 2], by_length)), f(CustomHash("abc", lambda s: b"fixed"))]
timed = [timed_path("data.txt"), timed_path(b"data.txt"), count_lines(timed_path("other.dat"))]
commands = [
    jug_execute(["echo", "hi"]),
    jug_execute(["echo", "hi"], check_exit=False, run_after=f(3), return_value=True),
    jug_execute(["true"], run_after=[f(4), f(5)]),
]
globbed = cached_glob("*.dat")
a = f(3)
b = g(a, f(a), c=a)
outputs = [
    write_task_out(b, "out.pkl", "meta.yaml"),
    write_task_out(a, "out2.pkl", "meta.json", metadata_format="json"),
    write_metadata(b, "m2.yaml"),
    write_task_out(a, "plain.pkl"),
]
noload = [NoLoad(a), g(NoLoad(a), 1)]

__check__ = ["ids", "after", "custom", "timed", "commands", "globbed", "outputs", "noload"]
