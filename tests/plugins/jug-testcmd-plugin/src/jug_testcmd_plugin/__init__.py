"""``jug testcmd``: a third-party subcommand, written only against the documented API.

It writes a small report on the jugfile's tasks: their number, how many have results,
and a greeting whose default comes from :meth:`parse_defaults` (``hello``), which a
``[testcmd] greeting = ...`` entry in a jugrc file or ``--greeting`` overrides.
``--raise`` makes it raise a TypeError, to check how jug reports a plugin's exception.
"""

from __future__ import annotations

from typing import Any

from jug.subcommands import SubCommand
from jug.task import alltasks


class TestCommand(SubCommand):
    """Write a report on the jugfile's tasks (a test plugin)"""

    name = "testcmd"

    def parse(self, parser: Any) -> None:
        parser.add_argument("--greeting", action="store", dest="testcmd_greeting")
        parser.add_argument("--report", action="store", dest="testcmd_report")
        parser.add_argument("--shout", action="store_const", const=True, dest="testcmd_shout")
        parser.add_argument("--raise", action="store_const", const=True, dest="testcmd_raise")

    def parse_defaults(self) -> dict[str, Any]:
        return {
            "testcmd_greeting": "hello",
            "testcmd_report": "testcmd-report.txt",
            "testcmd_shout": False,
            "testcmd_raise": False,
        }

    def run(self, *args: Any, **kwargs: Any) -> int:
        options, store = kwargs["options"], kwargs["store"]
        if options.testcmd_raise:
            raise TypeError("testcmd was asked to raise")
        greeting = options.testcmd_greeting
        if options.testcmd_shout:
            greeting = greeting.upper()
        done = store.can_load_many(t.hash() for t in alltasks)
        with open(options.testcmd_report, "w") as out:
            out.write(f"{greeting}: {len(alltasks)} tasks, {len(done)} finished\n")
        print(f"testcmd: wrote {options.testcmd_report}")
        return 0
