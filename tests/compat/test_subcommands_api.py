"""Subcommands called from Python as the original jug's code called them: the module-level
instances with the original's argument order, ``cmdapi`` and its errors."""

from __future__ import annotations

import pytest

JUGFILE = """
from jug import TaskGenerator

@TaskGenerator
def double(x):
    return 2 * x

@TaskGenerator
def total(xs):
    return sum(xs)

result = total([double(i) for i in range(3)])
"""

DRIVER = """
import json, sys
import jug
import jug.subcommands.check
import jug.subcommands.execute
import jug.subcommands.invalidate
from jug.options import default_options, parse
from jug.subcommands import NoSuchCommandError, cmdapi

out = {}
# execute(options), as the original's tests did: it opens the project the options name.
out["execute"] = jug.subcommands.execute.execute(parse(["execute", "jugfile.py"]))
store, space = jug.init("jugfile.py")
out["value"] = jug.value(space["result"])
# check(store, options) and invalidate(store, options), with the original's option names.
out["check"] = jug.subcommands.check.check(store, default_options)
opts = default_options.copy()
opts.invalid_name = "double"
jug.subcommands.invalidate.invalidate(store, opts)
out["after"] = jug.subcommands.check.check(store, default_options)
out["cmdapi"] = type(cmdapi.get("status")).__name__
try:
    cmdapi.get("no-such-command")
except NoSuchCommandError as exc:
    out["unknown"] = str(exc).split(";")[0]
print(json.dumps(out))
"""


def test_the_originals_calls(project):
    project.write("jugfile.py", JUGFILE)
    out = project.python(DRIVER)
    assert out == {
        "execute": 0,
        "value": 6,
        "check": 0,
        "after": 1,
        "cmdapi": "StatusCommand",
        "unknown": "unknown subcommand 'no-such-command'",
    }
    assert project.jug("status", "--short").stdout.strip() == (
        "4 tasks to be run, 0 finished, (none running)."
    )


def test_too_many_or_repeated_arguments():
    from jug.subcommands.count import count

    with pytest.raises(TypeError, match="at most 3 positional arguments"):
        count(1, 2, 3, 4)
    with pytest.raises(TypeError, match="store given twice"):
        count(None, store=None)
