"""Command-line options and configuration files of the ``jug`` program.

Every option's value comes from, in increasing priority:

1. the built-in default (and a subcommand's :meth:`~jug.subcommands.SubCommand.parse_defaults`);
2. the user's configuration file: ``~/.config/jug/jugrc``, or, when it is missing, the
   legacy ``~/.config/jugrc``, or else ``~/.jug/configrc`` (``$XDG_CONFIG_HOME`` replaces
   ``~/.config`` when set);
3. the project's configuration: ``.jugrc`` and ``jugrc`` in each directory from the root of
   the file system down to the jugfile's directory (deeper directories win);
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
a file turned on. A key no subcommand knows gives a warning naming the file and the key.
``jug config`` (or ``--show-config`` on any subcommand) prints the effective options and
where each value came from.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Sequence

from jug.errors import ConfigError, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import configparser
    from pathlib import Path
    from typing import Any, NoReturn

    from jug.subcommands import SubCommand

# pathlib and configparser are imported only once a configuration file is found: most runs
# have none, and importing both costs every `jug` start ~4 ms.

__all__ = [
    "COMMON_DEFAULTS",
    "ConfigError",
    "Options",
    "UsageError",
    "VERBOSITY_LEVELS",
    "config_files",
    "expand_jugdir",
    "format_config",
    "make_parser",
    "parse",
    "project_config_files",
    "user_config_files",
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

#: Source of a value that nobody set.
DEFAULT_SOURCE = "default"
#: Source of a value given on the command line.
CLI_SOURCE = "command line"

# Names of the project configuration files, in reading order within one directory.
_PROJECT_NAMES = (".jugrc", "jugrc")


class Options(argparse.Namespace):
    """The options a subcommand runs with: attributes named after each option's ``dest``.

    Besides the options, it has ``subcommand`` (the name), ``argv`` (the arguments passed
    to the jugfile, its ``sys.argv[1:]``), ``config_files`` (the files that were read, lowest
    priority first), ``sources`` (``dest`` → where its value came from: ``"default"``,
    ``"command line"`` or ``"FILE [section]"``) and ``cli_args`` (the command line after
    the subcommand name).
    """

    jugfile: str
    jugdir: str
    verbose: str
    debug: bool
    pdb: bool
    aggressive_unload: bool
    short: bool
    show_config: bool
    subcommand: str
    argv: list[str]
    config_files: list[str]
    sources: dict[str, str]
    cli_args: list[str]


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
    group.add_argument(
        "--show-config",
        action="store_true",
        help="print the effective options, and where each value comes from, then exit",
    )
    # Accepted (and ignored) so that scripts written for the original keep working.
    group.add_argument("--will-cite", action="store_true", help=argparse.SUPPRESS)


class _Parser(argparse.ArgumentParser):
    """argparse's parser, whose message for unknown options says where jugfile arguments go."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments:"):
            message += (
                f" (`{self.prog} --help` lists its options; arguments for the jugfile go "
                "after `--`)"
            )
        super().error(message)


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, told the terminal's width (argparse would import shutil for it).

    argparse makes a formatter for every ``add_argument``, so without this every ``jug``
    command would pay for importing :mod:`shutil` (~2 ms) even when no help is printed.
    """

    def __init__(self, prog: str, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("width") is None and len(args) < 3:
            from jug.table import terminal_width

            kwargs["width"] = max(terminal_width() - 2, 11)  # argparse's own margin
        super().__init__(prog, *args, **kwargs)


def make_parser(command: SubCommand) -> argparse.ArgumentParser:
    """The argparse parser of ``jug COMMAND`` (common options plus the command's own).

    A ``default=`` given by the command's :meth:`~jug.subcommands.SubCommand.parse` is
    taken out of argparse (it would hide configuration files) and used as if it came
    from :meth:`~jug.subcommands.SubCommand.parse_defaults`; see :func:`parser_defaults`.
    """
    parser = _Parser(
        prog=f"jug {command.name}",
        usage=f"jug {command.name} [JUGFILE] [OPTIONS] [-- ARGS]",
        description=command.description() or None,
        argument_default=argparse.SUPPRESS,
        formatter_class=_HelpFormatter,
        epilog="Options can also be set in configuration files: section [main] or "
        f"[{command.name}] of ~/.config/jug/jugrc or of .jugrc in the jugfile's directory "
        "(or above it); `jug config` shows the effective values.",
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
    given: dict[str, Any] = {}
    aliases: dict[str, str] = {}
    for action in own._group_actions:
        if action.default is not argparse.SUPPRESS and action.dest != argparse.SUPPRESS:
            given[action.dest] = action.default
            action.default = argparse.SUPPRESS
        for flag in action.option_strings:
            # `--greeting` with dest="report_greeting": `greeting = ...` works in a file too.
            if flag.startswith("--") and flag[2:].replace("-", "_") != action.dest:
                aliases[flag[2:].replace("-", "_")] = action.dest
    parser._jug_parse_defaults = given  # type: ignore[attr-defined]
    parser._jug_aliases = aliases  # type: ignore[attr-defined]
    if not own._group_actions:
        parser._action_groups.remove(own)
    _add_common_options(parser.add_argument_group("common options"))
    return parser


def parser_defaults(parser: argparse.ArgumentParser) -> dict[str, Any]:
    """Defaults that a subcommand gave with ``add_argument(default=...)``."""
    return dict(getattr(parser, "_jug_parse_defaults", {}))


def parser_aliases(parser: argparse.ArgumentParser) -> dict[str, str]:
    """Option names (``-`` as ``_``) of a subcommand's own options whose ``dest`` differs,
    mapped to the ``dest``: both may be used as keys in the subcommand's own section."""
    return dict(getattr(parser, "_jug_aliases", {}))


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


def _user_candidates() -> list[str]:
    home = os.path.expanduser("~")
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    return [
        os.path.join(base, "jug", "jugrc"),
        os.path.join(base, "jugrc"),
        os.path.join(home, ".jug", "configrc"),
    ]


def user_config_files() -> list[Path]:
    """The user's configuration file, if any: the first of ``~/.config/jug/jugrc``,
    ``~/.config/jugrc`` and ``~/.jug/configrc`` that exists (as a one-element list)."""
    for path in _user_candidates():
        if os.path.isfile(path):
            from pathlib import Path

            return [Path(path)]
    return []


def ignored_user_config_files() -> list[Path]:
    """Legacy user configuration files that exist but are not read (a newer one is)."""
    found = [p for p in _user_candidates() if os.path.isfile(p)]
    if len(found) < 2:
        return []
    from pathlib import Path

    return [Path(p) for p in found[1:]]


def project_config_files(jugfile: str) -> list[Path]:
    """``.jugrc`` and ``jugrc`` files from ``/`` down to the directory of *jugfile*."""
    here = os.path.dirname(os.path.abspath(jugfile))
    directories = [here]
    while (parent := os.path.dirname(directories[-1])) != directories[-1]:
        directories.append(parent)
    user: set[str] | None = None
    files = []
    for directory in reversed(directories):
        for name in _PROJECT_NAMES:
            path = os.path.join(directory, name)
            if not os.path.isfile(path):
                continue
            if user is None:
                user = {os.path.realpath(p) for p in user_config_files()}
            if os.path.realpath(path) not in user:
                files.append(_shorten(path))
    return files


def _shorten(path: str) -> Path:
    """*path* (absolute) relative to the current directory when it is inside it (shorter
    messages)."""
    from pathlib import Path

    try:
        return Path(path).relative_to(Path.cwd())
    except ValueError:
        return Path(path)


def config_files(jugfile: str | None = None) -> list[Path]:
    """All configuration files that apply to *jugfile*, lowest priority first.

    Without a jugfile, the project files are looked for from the current directory.
    """
    return user_config_files() + project_config_files(jugfile or "jugfile.py")


def _read_config(path: Path) -> configparser.ConfigParser:
    import configparser

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
        raise ConfigError(
            f"{where}: expected yes or no, got {raw!r} (true/false, on/off and 1/0 work too)"
        )
    try:
        return type(default)(text)
    except (TypeError, ValueError):
        kind = type(default).__name__
        article = "an" if kind[:1] in "aeiou" else "a"
        raise ConfigError(f"{where}: expected {article} {kind}, got {raw!r}") from None


_warned: set[str] = set()


def _warn(message: str) -> None:
    # Files are read more than once (finding the jugfile, `jug config`): warn once.
    if message not in _warned:
        _warned.add(message)
        print(f"jug: warning: {message}", file=sys.stderr)


def _known_elsewhere(dest: str) -> bool:
    """Whether some installed subcommand has an option *dest* (imports the subcommands).

    Only asked about a ``[main]`` key the running subcommand does not know, which is rare.
    """
    from jug.subcommands._registry import all_option_names

    return dest in all_option_names()


def _apply_config(
    values: dict[str, Any],
    sources: dict[str, str],
    defaults: dict[str, Any],
    path: Path,
    command: str,
    aliases: dict[str, str],
) -> None:
    from jug.subcommands._registry import subcommand_names

    cfg = _read_config(path)
    for section in cfg.sections():
        if section not in ("main", command) and section not in subcommand_names():
            _warn(f"{path}: unknown section [{section}] (no such subcommand), ignored")
    for section in ("main", command):
        if not cfg.has_section(section):
            continue
        for key, raw in cfg.items(section):
            dest = key.replace("-", "_")
            if section == command:
                dest = aliases.get(dest, dest)
            if dest not in defaults:
                # [main] may hold options of other subcommands (e.g. `target` for execute).
                if section == command or not _known_elsewhere(dest):
                    _warn(f"{path}: unknown option {key!r} in [{section}], ignored")
                continue
            if dest in ("show_config", "will_cite"):
                continue
            values[dest] = _convert(raw, defaults[dest], f"{path}: [{section}] {key}")
            sources[dest] = f"{path} [{section}]"


def check_config_file(path: Path) -> list[str]:
    """Problems of the configuration file *path*: unknown sections, keys and bad values.

    Imports every installed subcommand (used by ``jug config``).
    """
    from jug.subcommands._registry import all_option_defaults

    options = all_option_defaults()
    problems = []
    cfg = _read_config(path)
    everything: dict[str, Any] = {k: v for opts, _ in options.values() for k, v in opts.items()}
    for section in cfg.sections():
        if section != "main" and section not in options:
            problems.append(f"{path}: unknown section [{section}] (no such subcommand)")
            continue
        known = everything if section == "main" else options[section][0]
        aliases = {} if section == "main" else options[section][1]
        for key, raw in cfg.items(section):
            dest = key.replace("-", "_")
            dest = aliases.get(dest, dest)
            if dest not in known:
                problems.append(f"{path}: unknown option {key!r} in [{section}]")
                continue
            try:
                _convert(raw, known[dest], f"{path}: [{section}] {key}")
            except ConfigError as exc:
                problems.append(str(exc))
    return problems


def expand_jugdir(jugdir: str, jugfile: str) -> str:
    """Fill in the ``%(jugfile)s`` and ``%(date)s`` placeholders of a jugdir."""
    base = jugfile[:-3] if jugfile.endswith(".py") else jugfile
    return jugdir.replace("%(jugfile)s", base).replace("%(date)s", time.strftime("%Y-%m-%d"))


def _resolve_jugfile(jugfile: str) -> str:
    if not os.path.exists(jugfile) and os.path.exists(jugfile + ".py"):
        return jugfile + ".py"
    return jugfile


def command_defaults(command: SubCommand) -> tuple[dict[str, Any], dict[str, str]]:
    """Every option of *command* with its default value (common options included), and
    the aliases of its option names (see :func:`parser_aliases`)."""
    parser = make_parser(command)
    defaults = {**COMMON_DEFAULTS, **parser_defaults(parser), **command.parse_defaults()}
    return defaults, parser_aliases(parser)


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
    cli_args = list(args)
    args = list(args)
    extra: list[str] = []
    if "--" in args:
        cut = args.index("--")
        args, extra = args[:cut], args[cut + 1 :]
    parser = make_parser(command)
    cli = vars(parser.parse_intermixed_args(_normalise_verbose(args)))
    positional = list(cli.pop("args", []) or [])
    cli.pop("will_cite", None)
    show_config = bool(cli.pop("show_config", False))

    defaults = {**COMMON_DEFAULTS, **parser_defaults(parser), **command.parse_defaults()}
    values = dict(defaults)
    sources = dict.fromkeys(defaults, DEFAULT_SOURCE)
    aliases = parser_aliases(parser)
    read = user_config_files()
    for path in read:
        _apply_config(values, sources, defaults, path, command.name, aliases)
    if positional:
        jugfile = positional[0]
    else:
        # A project file near the current directory may name the jugfile.
        probe, probe_sources = dict(values), dict(sources)
        for path in project_config_files("jugfile.py"):
            _apply_config(probe, probe_sources, defaults, path, command.name, aliases)
        jugfile = str(probe["jugfile"])
    project = project_config_files(_resolve_jugfile(jugfile))
    for path in project:
        _apply_config(values, sources, defaults, path, command.name, aliases)
    read = read + project

    for dest, raw in cli.items():
        values[dest] = _convert(raw, defaults.get(dest), f"option --{dest.replace('_', '-')}")
        sources[dest] = CLI_SOURCE
    if positional:
        values["jugfile"] = positional[0]
        sources["jugfile"] = CLI_SOURCE
    if values.get("pdb"):
        values["debug"] = True

    options = Options(**values)
    options.jugfile = _resolve_jugfile(str(values["jugfile"]))
    options.jugdir = expand_jugdir(str(values["jugdir"]), options.jugfile)
    options.show_config = show_config
    options.subcommand = command.name
    options.argv = positional[1:] + extra
    options.config_files = [str(p) for p in read]
    options.sources = sources
    options.cli_args = cli_args
    return options


def format_config(options: Options, check: bool = False) -> str:
    """The report of ``jug config`` / ``--show-config``: files read, then each option.

    Parameters
    ----------
    options : Options
        As returned by :func:`parse`.
    check : bool, optional
        Also list problems of the files read (unknown keys of any subcommand, bad values).
    """
    lines = ["Configuration files (later ones override earlier ones):"]
    lines += [f"  {p}" for p in options.config_files] or ["  (none found)"]
    for path in ignored_user_config_files():
        lines.append(f"  (not read: {path}; a newer user configuration file exists)")
    lines += ["", f"Effective options of `jug {options.subcommand}`:"]
    rows = []
    for dest in sorted(options.sources, key=lambda d: (d not in COMMON_DEFAULTS, d)):
        value = getattr(options, dest, None)
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        rows.append((dest.replace("_", "-"), shown, options.sources[dest]))
    if options.argv:
        rows.append(("(jugfile arguments)", " ".join(options.argv), CLI_SOURCE))
    key_w = max(len("option"), *(len(r[0]) for r in rows))
    val_w = min(max(len("value"), *(len(r[1]) for r in rows)), 40)
    lines.append(f"  {'option':<{key_w}}  {'value':<{val_w}}  source")
    lines += [f"  {k:<{key_w}}  {v:<{val_w}}  {s}" for k, v, s in rows]
    if check:
        from pathlib import Path

        problems = [p for f in options.config_files for p in check_config_file(Path(f))]
        if problems:
            lines += ["", "Problems:"] + [f"  {p}" for p in problems]
    return "\n".join(lines)
