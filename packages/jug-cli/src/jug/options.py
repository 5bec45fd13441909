"""Command-line options and configuration files of the ``jug`` program.

Every option's value comes from, in increasing priority:

1. the built-in default (and a subcommand's :meth:`~jug.subcommands.SubCommand.parse_defaults`);
2. the user's configuration: ``~/.config/jugrc`` (or, if it is missing, the legacy
   ``~/.jug/configrc``), then ``~/.config/jug/jugrc`` (``$XDG_CONFIG_HOME`` is honoured);
3. the project's configuration: ``.jugrc`` in the current directory, then ``.jugrc`` in the
   jugfile's directory;
4. the command line.

Configuration files are in ``.ini`` format. Section ``[main]`` applies to every
subcommand, a section named after a subcommand (``[execute]``, ``[status]``, ...) to that
one only; keys are option names, with ``-`` or ``_``::

    [main]
    jugdir = %(jugfile)s.jugdata

    [execute]
    lease = 300
    keep-going = yes
    wait-cycle-time = 5

Boolean options accept ``yes/no``, ``true/false``, ``on/off`` and ``1/0`` in files, and have
``--flag``/``--no-flag`` forms on the command line, so that the command line can undo what
a file turned on.
"""

from __future__ import annotations

import argparse
import configparser
import os
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jug.errors import JugError

if TYPE_CHECKING:
    from jug.subcommands import SubCommand

__all__ = [
    "COMMON_DEFAULTS",
    "ConfigError",
    "Options",
    "VERBOSITY_LEVELS",
    "config_files",
    "expand_jugdir",
    "make_parser",
    "parse",
]

#: Defaults of the options every subcommand has.
COMMON_DEFAULTS: dict[str, Any] = {
    "jugfile": "jugfile.py",
    "jugdir": "%(jugfile)s.jugdata",
    "verbose": "warning",
    "debug": False,
    "pdb": False,
    "aggressive_unload": False,
    "short": False,
}

#: Accepted values of ``--verbose`` (a bare ``--verbose`` means ``info``).
VERBOSITY_LEVELS = ("debug", "info", "warning", "error", "quiet")


class ConfigError(JugError):
    """A configuration file or an option value is invalid."""


class Options(argparse.Namespace):
    """The options a subcommand runs with: attributes named after each option's ``dest``.

    Besides the options, it has ``subcommand`` (the name), ``argv`` (the arguments passed
    to the jugfile, its ``sys.argv[1:]``) and ``config_files`` (the files that were read).
    """

    jugfile: str
    jugdir: str
    verbose: str
    debug: bool
    pdb: bool
    aggressive_unload: bool
    short: bool
    subcommand: str
    argv: list[str]
    config_files: list[str]


def _level(value: str) -> str:
    level = value.lower()
    if level not in VERBOSITY_LEVELS:
        raise argparse.ArgumentTypeError(
            f"invalid verbosity {value!r} (choose from {', '.join(VERBOSITY_LEVELS)})"
        )
    return level


def _add_common_options(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--jugdir",
        help="where results are stored: a directory, or a backend URL such as "
        "redis://host:port/db or dict_store:FILE; %%(jugfile)s stands for the jugfile "
        "name without .py, %%(date)s for today's date (default: %%(jugfile)s.jugdata)",
    )
    group.add_argument(
        "--verbose",
        metavar="LEVEL",
        type=_level,
        help="log level: debug, info, warning, error or quiet "
        "(a bare --verbose means info; default: warning)",
    )
    group.add_argument(
        "--debug",
        action=argparse.BooleanOptionalAction,
        help="debug mode: extra checks (tasks must not modify their arguments) and full "
        "tracebacks of jug's own errors",
    )
    group.add_argument(
        "--pdb",
        action=argparse.BooleanOptionalAction,
        help="start the Python debugger when a task raises (implies --debug)",
    )
    group.add_argument(
        "--aggressive-unload",
        action=argparse.BooleanOptionalAction,
        help="drop every result from memory as soon as possible (less memory, more loading)",
    )
    group.add_argument("--short", action=argparse.BooleanOptionalAction, help="short output")
    # Accepted (and ignored) so that scripts written for the original keep working.
    group.add_argument("--will-cite", action="store_true", help=argparse.SUPPRESS)


def make_parser(command: SubCommand) -> argparse.ArgumentParser:
    """The argparse parser of ``jug COMMAND`` (common options plus the command's own)."""
    parser = argparse.ArgumentParser(
        prog=f"jug {command.name}",
        usage=f"jug {command.name} [JUGFILE] [OPTIONS] [-- ARGS]",
        description=command.description() or None,
        argument_default=argparse.SUPPRESS,
        epilog="Options can also be set in configuration files: section [main] or "
        f"[{command.name}] of ~/.config/jugrc or of .jugrc next to the jugfile "
        "(see the configuration documentation).",
    )
    parser.add_argument(
        "args",
        nargs="*",
        metavar="JUGFILE",
        help="the jugfile (default: jugfile.py), then arguments for it (its sys.argv[1:]); "
        "put arguments that start with a dash after --",
    )
    own = parser.add_argument_group(f"options of jug {command.name}")
    command.parse(own)
    if not own._group_actions:
        parser._action_groups.remove(own)
    _add_common_options(parser.add_argument_group("common options"))
    return parser


def _normalise_verbose(args: Sequence[str]) -> list[str]:
    """``--verbose`` takes an optional level: ``--verbose``, ``--verbose info``, ``--verbose=info``."""
    out: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--verbose":
            nxt = args[i + 1] if i + 1 < len(args) else ""
            if nxt.lower() in VERBOSITY_LEVELS:
                out.append(f"--verbose={nxt}")
                i += 2
                continue
            out.append("--verbose=info")
        else:
            out.append(arg)
        i += 1
    return out


def user_config_files() -> list[Path]:
    """The user's configuration files that exist, in reading order."""
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    files = []
    primary = base / "jugrc"
    if primary.is_file():
        files.append(primary)
    elif (Path.home() / ".jug" / "configrc").is_file():
        files.append(Path.home() / ".jug" / "configrc")
    if (base / "jug" / "jugrc").is_file():
        files.append(base / "jug" / "jugrc")
    return files


def config_files(jugfile: str | None = None) -> list[Path]:
    """All configuration files that apply, lowest priority first."""
    files = user_config_files()
    local = Path(".jugrc")
    if local.is_file():
        files.append(local)
    if jugfile is not None:
        beside = Path(jugfile).parent / ".jugrc"
        if beside.is_file() and not (local.is_file() and beside.samefile(local)):
            files.append(beside)
    return files


def _read_config(path: Path) -> configparser.ConfigParser:
    cfg = configparser.ConfigParser(interpolation=None)
    try:
        with open(path, encoding="utf-8") as fh:
            cfg.read_file(fh)
    except (configparser.Error, OSError, UnicodeDecodeError) as exc:
        detail = str(exc).splitlines()[0]
        raise ConfigError(f"cannot read configuration file {path}: {detail}") from exc
    return cfg


_TRUE = {"1", "yes", "true", "on"}
_FALSE = {"0", "no", "false", "off"}


def _convert(raw: Any, default: Any, where: str) -> Any:
    """Convert *raw* (a string from a file or the command line) to the type of *default*."""
    if not isinstance(raw, str) or default is None or isinstance(default, str):
        return raw
    text = raw.strip()
    if isinstance(default, list):
        # Lists (e.g. `target = f, g`) are separated by commas or whitespace.
        return [item for item in re.split(r"[,\s]+", text) if item]
    if isinstance(default, bool):
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ConfigError(f"{where}: expected yes or no, got {raw!r}")
    try:
        return type(default)(text)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: expected a {type(default).__name__}, got {raw!r}") from None


def _apply_config(
    values: dict[str, Any], defaults: dict[str, Any], path: Path, command: str
) -> None:
    cfg = _read_config(path)
    for section in ("main", command):
        if not cfg.has_section(section):
            continue
        for key, raw in cfg.items(section):
            dest = key.replace("-", "_")
            if dest not in defaults:
                # [main] may hold options of other subcommands; only flag typos in [command].
                # A warning, not an error: the original's documented `[status] cache`
                # must not stop jug from starting.
                if section == command:
                    print(
                        f"jug: warning: {path}: unknown option {key!r} in [{section}], ignored",
                        file=sys.stderr,
                    )
                continue
            values[dest] = _convert(raw, defaults[dest], f"{path}: [{section}] {key}")


def expand_jugdir(jugdir: str, jugfile: str) -> str:
    """Fill in the ``%(jugfile)s`` and ``%(date)s`` placeholders of a jugdir."""
    base = jugfile[:-3] if jugfile.endswith(".py") else jugfile
    return jugdir.replace("%(jugfile)s", base).replace("%(date)s", time.strftime("%Y-%m-%d"))


def _resolve_jugfile(jugfile: str) -> str:
    if not os.path.exists(jugfile) and os.path.exists(jugfile + ".py"):
        return jugfile + ".py"
    return jugfile


def parse(command: SubCommand, args: Sequence[str]) -> Options:
    """Parse the arguments of ``jug COMMAND ARGS...`` and apply configuration files.

    Parameters
    ----------
    command : SubCommand
        The subcommand (its :meth:`parse` and :meth:`parse_defaults` add options).
    args : sequence of str
        The command line after the subcommand name.

    Returns
    -------
    options : Options

    Raises
    ------
    ConfigError
        If a configuration file or value is invalid.
    SystemExit
        For ``--help`` and for command-line usage errors (argparse's behaviour).
    """
    args = list(args)
    extra: list[str] = []
    if "--" in args:
        cut = args.index("--")
        args, extra = args[:cut], args[cut + 1 :]
    parser = make_parser(command)
    cli = vars(parser.parse_intermixed_args(_normalise_verbose(args)))
    positional = list(cli.pop("args", []) or [])
    cli.pop("will_cite", None)

    defaults = {**COMMON_DEFAULTS, **command.parse_defaults()}
    values = dict(defaults)
    read: list[Path] = []
    # The jugfile's own directory may hold a .jugrc: find the jugfile first.
    early = config_files(None)
    for path in early:
        _apply_config(values, defaults, path, command.name)
    read.extend(early)
    jugfile = positional[0] if positional else values["jugfile"]
    for path in config_files(jugfile)[len(early) :]:
        _apply_config(values, defaults, path, command.name)
        read.append(path)

    for dest, raw in cli.items():
        values[dest] = _convert(raw, defaults.get(dest), f"option --{dest.replace('_', '-')}")
    if positional:
        values["jugfile"] = positional[0]
    if values.get("pdb"):
        values["debug"] = True

    options = Options(**values)
    options.jugfile = _resolve_jugfile(str(values["jugfile"]))
    options.jugdir = expand_jugdir(str(values["jugdir"]), options.jugfile)
    options.subcommand = command.name
    options.argv = positional[1:] + extra
    options.config_files = [str(p) for p in read]
    return options
