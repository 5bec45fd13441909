"""User subcommands from ~/.config/jug/jug_user_commands.py (the documented plugin API)."""

from __future__ import annotations

USER_COMMANDS = """
from jug.subcommands import SubCommand

class FancyReport(SubCommand):
    "Produces a fancy report of my results"

    name = "my-fancy-report"

    def parse(self, parser):
        parser.add_argument('--tofile', action='store', dest='report_tofile',
                            help='Name of file to use for report')
        parser.add_argument('--loud', action='store_const', const=True, dest='report_loud')

    def parse_defaults(self):
        return {"report_tofile": "report.txt", "report_loud": False}

    def run(self, *args, **kwargs):
        options, store, jugspace = kwargs["options"], kwargs["store"], kwargs["jugspace"]
        with open(options.report_tofile, "w") as out:
            out.write(f"{len(jugspace['values'])} {options.report_loud} {type(store).__name__}")
        return 3

fancy_report = FancyReport()
"""

JUGFILE = """
from jug import TaskGenerator

@TaskGenerator
def double(x):
    return 2 * x

values = [double(i) for i in range(3)]
"""


def test_user_command_is_listed_and_runs(project):
    project.write("home/.config/jug/jug_user_commands.py", USER_COMMANDS)
    project.write("jugfile.py", JUGFILE)
    listing = project.jug("--help").stdout
    assert "my-fancy-report  Produces a fancy report of my results" in listing
    assert "--tofile" in project.jug("my-fancy-report", "--help").stdout

    done = project.jug("my-fancy-report")
    assert done.returncode == 3, done.stderr
    assert (project.path / "report.txt").read_text() == "3 False file_store"

    done = project.jug("my-fancy-report", "--tofile", "other.txt", "--loud")
    assert (project.path / "other.txt").read_text() == "3 True file_store"


def test_user_command_options_from_config(project):
    project.write("home/.config/jug/jug_user_commands.py", USER_COMMANDS)
    project.write("jugfile.py", JUGFILE)
    project.write(
        ".jugrc", "[my-fancy-report]\nreport_tofile = configured.txt\nreport-loud = yes\n"
    )
    done = project.jug("my-fancy-report")
    assert done.returncode == 3, done.stderr
    assert (project.path / "configured.txt").read_text() == "3 True file_store"
