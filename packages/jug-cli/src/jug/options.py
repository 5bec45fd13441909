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

The options object
------------------
:func:`parse_command` (what the ``jug`` program runs) returns an :class:`Options` that holds
what the command line and the configuration files set, and *chains* to
:data:`default_options` for everything else, which chains in turn to
:data:`subcommand_defaults`. So a jugfile that sets, say,
``jug.options.default_options.execute_nr_wait_cycles = 1`` changes the default of
``jug execute`` (unless the command line or a file set it): the jugfile is loaded before
the subcommand reads its options.

The original jug's API
----------------------
Scripts and test suites written for the original jug use :func:`parse` (``parse(["execute",
"--keep-going"])``), :data:`default_options` and its ``copy()``, :func:`set_jugdir`,
:func:`read_configuration_file` and :func:`find_local_configuration_files`; they work here.
The original named subcommand options with a prefix (``execute_keep_going``,
``status_cache``, ``invalid_name``...): :data:`ORIGINAL_NAMES` maps those names to this
jug's, and an :class:`Options` answers (and stores) either name.
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
    "ORIGINAL_NAMES",
    "Options",
    "UsageError",
    "VERBOSITY_LEVELS",
    "add_common_options",
    "build_parser",
    "config_files",
    "default_options",
    "expand_jugdir",
    "find_local_configuration_files",
    "format_config",
    "key_to_option",
    "load_default_options",
    "make_parser",
    "parse",
    "parse_command",
    "project_config_files",
    "read_configuration_file",
    "set_jugdir",
    "subcommand_defaults",
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
    "secret_file": None,
}

#: Accepted values of ``--verbose`` (a bare ``--verbose`` means ``info``).
VERBOSITY_LEVELS = ("debug", "info", "warning", "error", "quiet")

#: Source of a value that nobody set.
DEFAULT_SOURCE = "default"
#: Source of a value given on the command line.
CLI_SOURCE = "command line"

# Names of the project configuration files, in reading order within one directory.
_PROJECT_NAMES = (".jugrc", "jugrc")


#: The original jug's names of subcommand options (and of ``argv``) → this jug's.
ORIGINAL_NAMES: dict[str, str] = {
    "execute_wait_cycle_time": "wait_cycle_time",
    "execute_nr_wait_cycles": "nr_wait_cycles",
    "execute_keep_going": "keep_going",
    "execute_keep_failed": "keep_failed",
    "execute_target": "target",
    "status_cache": "cache",
    "status_cache_file": "cache_file",
    "status_cache_clear": "clear",
    "cleanup_locks_only": "locks_only",
    "cleanup_failed_only": "failed_only",
    "cleanup_keep_locks": "keep_locks",
    "invalid_name": "invalid",
    "invalid_target": "invalid",
    "user_args": "argv",
}


class Options:
    """Options, as attributes, that fall back on another :class:`Options` (``next``).

    An attribute this object does not hold is looked up in ``next``, and so on along the
    chain (:class:`AttributeError` at its end). Names of :data:`ORIGINAL_NAMES` are
    stored and looked up under this jug's name, so either works.

    Parameters
    ----------
    next : Options, optional
        Where to look up what this object does not hold.
    autoinit : callable, optional
        Called once, with this object, the first time a lookup reaches it (to fill in
        defaults lazily, as :data:`default_options` does).

    Attributes
    ----------
    The options a subcommand runs with (from :func:`parse_command`) also have
    ``subcommand`` (the name), ``argv`` (the jugfile's ``sys.argv[1:]``), ``config_files``
    (the files that were read, lowest priority first), ``sources`` (``dest`` → where its
    value came from: ``"default"``, ``"command line"`` or ``"FILE [section]"``) and
    ``cli_args`` (the command line after the subcommand name).
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

    def __init__(self, next: Options | None = None, autoinit: Any = False) -> None:
        object.__setattr__(self, "next", next)
        object.__setattr__(self, "_autoinit", autoinit)

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, ORIGINAL_NAMES.get(name, name), value)

    def __delattr__(self, name: str) -> None:
        object.__delattr__(self, ORIGINAL_NAMES.get(name, name))

    def __getattr__(self, name: str) -> Any:
        # Only called when `name` is not in this object's own __dict__.
        if name.startswith("__") or name == "_autoinit":
            raise AttributeError(name)
        name = ORIGINAL_NAMES.get(name, name)
        node: Options | None = self
        while node is not None:
            own = node.__dict__
            init = own.get("_autoinit")
            if init:
                object.__setattr__(node, "_autoinit", False)
                init(node)
            if name in own:
                return own[name]
            node = own.get("next")
        raise AttributeError(f"no option {name!r}")

    def __contains__(self, name: str) -> bool:
        try:
            getattr(self, name)
        except AttributeError:
            return False
        return True

    def __repr__(self) -> str:
        own = {k: v for k, v in vars(self).items() if k not in ("next", "_autoinit")}
        return f"Options({own!r})"

    def update(self, values: dict[str, Any]) -> None:
        """Set every ``name: value`` of *values* on this object."""
        for name, value in values.items():
            setattr(self, name, value)

    def copy(self) -> Options:
        """A deep copy (of the whole chain), which can be changed without touching this."""
        import copy

        return copy.deepcopy(self)


#: Defaults of every subcommand's options: the last link of every chain of options.
#: :func:`parse_command` installs the defaults of the subcommand it parses for.
subcommand_defaults = Options(None)


def load_default_options(opt: Options) -> None:
    """Set the default values of the options every subcommand has on *opt*, and chain it
    to :data:`subcommand_defaults` (``jug execute``'s defaults are there from the start)."""
    from jug.execution.options import ExecutionOptions
    from jug.store import DEFAULT_LEASE

    opt.update(COMMON_DEFAULTS)
    opt.update({"subcommand": None, "argv": [], "print_out": print, "will_cite": False})
    execute = {**ExecutionOptions.defaults(), "lease": DEFAULT_LEASE, "env_exit_checks": True}
    execute["target"] = list(execute["target"])
    execute.pop("debug"), execute.pop("pdb"), execute.pop("aggressive_unload")
    execute.pop("progress")
    for name, value in execute.items():
        if name not in subcommand_defaults.__dict__:
            setattr(subcommand_defaults, name, value)
    object.__setattr__(opt, "next", subcommand_defaults)


#: The defaults of every option, for this process: a jugfile or a script may change them
#: (``jug.options.default_options.execute_nr_wait_cycles = 1``). Filled on first use.
default_options = Options(None, autoinit=load_default_options)


def _level(value: str) -> str:
    level = value.lower()
    if level not in VERBOSITY_LEVELS:
        raise argparse.ArgumentTypeError(
            f"invalid verbosity {value!r} (choose from {', '.join(VERBOSITY_LEVELS)})"
        )
    return level


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """Add the options every subcommand has (``--jugdir``, ``--verbose``, ...) to *parser*,
    as a group of their own."""
    group = parser.add_argument_group("common options")
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
        "--secret-file",
        metavar="FILE",
        help="sign every result saved, and check every result loaded, with the secret key "
        "in FILE (see docs/signing.md; default: the file JUG_SECRET_FILE names, or the key "
        "in JUG_SECRET_KEY, or no key: results unsigned)",
    )
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
    add_common_options(parser)
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


def _read_config(path: Any) -> configparser.ConfigParser:
    """The configuration in the file *path* (or an open text file)."""
    import configparser

    cfg = configparser.ConfigParser(interpolation=None)
    try:
        if hasattr(path, "read"):
            cfg.read_file(path)
        else:
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
    path: Any,
    command: str,
    aliases: dict[str, str],
) -> None:
    from jug.subcommands._registry import subcommand_names

    cfg = _read_config(path)
    if hasattr(path, "read"):  # an open file: name it in messages
        path = getattr(path, "name", None) or "<optionsfile>"
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


def parse_command(command: SubCommand, args: Sequence[str], optionsfile: Any = None) -> Options:
    """Parse the arguments of ``jug COMMAND ARGS...`` and apply configuration files.

    Parameters
    ----------
    command : SubCommand
        The subcommand (its :meth:`parse` and :meth:`parse_defaults` add options).
    args : sequence of str
        The command line after the subcommand name.
    optionsfile : path or text file, optional
        Read this configuration file instead of the user's and the project's.

    Returns
    -------
    options : Options
        What the command line and the files set, chained to :data:`default_options` (see
        the module docstring).

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
    read: list[Any]
    if optionsfile is not None:
        read = [optionsfile]
        _apply_config(values, sources, defaults, optionsfile, command.name, aliases)
    else:
        read = user_config_files()
        for path in read:
            _apply_config(values, sources, defaults, path, command.name, aliases)
    if positional:
        jugfile = positional[0]
    elif optionsfile is not None:
        jugfile = str(values["jugfile"])
    else:
        # A project file near the current directory may name the jugfile.
        probe, probe_sources = dict(values), dict(sources)
        for path in project_config_files("jugfile.py"):
            _apply_config(probe, probe_sources, defaults, path, command.name, aliases)
        jugfile = str(probe["jugfile"])
    if optionsfile is None:
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
        sources.setdefault("debug", sources["pdb"])

    # The defaults stay below, in the chain (a jugfile may still change them there).
    for dest, value in defaults.items():
        if dest not in COMMON_DEFAULTS:
            setattr(subcommand_defaults, dest, value)
    options = Options(default_options)
    options.update(
        {d: v for d, v in values.items() if sources.get(d, CLI_SOURCE) != DEFAULT_SOURCE}
    )
    if values.get("pdb"):
        options.debug = True
    options.jugfile = _resolve_jugfile(str(values["jugfile"]))
    options.jugdir = expand_jugdir(str(values["jugdir"]), options.jugfile)
    options.show_config = show_config
    options.subcommand = command.name
    options.argv = positional[1:] + extra
    options.config_files = [
        getattr(p, "name", "<optionsfile>") if hasattr(p, "read") else str(p) for p in read
    ]
    options.sources = sources
    options.cli_args = cli_args
    return options


def parse(
    args: Sequence[str] | None = None,
    optionsfile: Any = None,
    *,
    cmdlist: Sequence[str] | None = None,
) -> Options:
    """Parse a ``jug`` command line (after the program name), as the original jug's
    ``jug.options.parse`` did.

    Parameters
    ----------
    args : sequence of str, optional
        The subcommand and its arguments (``["execute", "--keep-going"]``; default:
        ``sys.argv[1:]``). ``cmdlist`` is the older name of this argument.
    optionsfile : path or text file, optional
        Read this configuration file instead of the user's and the project's.

    Returns
    -------
    options : Options
        As :func:`parse_command` returns them; the original's option names work too
        (``options.execute_keep_going``).

    Raises
    ------
    UsageError
        If *args* is empty.
    jug.errors.UnknownSubcommandError
        If the subcommand does not exist.

    Notes
    -----
    Unlike the original, ``sys.argv`` is left alone: the jugfile sees its arguments
    (``options.argv``) in ``sys.argv`` while it loads.
    """
    if args is None:
        args = cmdlist if cmdlist is not None else sys.argv[1:]
    args = list(args)
    if not args:
        raise UsageError("no subcommand given; `jug --help` lists them")
    from jug.subcommands._registry import get_subcommand

    return parse_command(get_subcommand(args[0]), args[1:], optionsfile)


def key_to_option(s: str) -> str:
    """The option name a configuration-file key stands for (``keep-going`` → ``keep_going``)."""
    return s.replace("-", "_")


def find_local_configuration_files() -> list[str]:
    """The project configuration files (``.jugrc``, ``jugrc``) that apply in the current
    directory, closest first: those of this directory and of every directory above it."""
    return [os.path.abspath(p) for p in reversed(project_config_files("jugfile.py"))]


def read_configuration_file(fp: Any = None, default_options: Options | None = None) -> Options:
    """The options set by a configuration file, chained to *default_options*.

    Section ``[main]`` gives options by their name, and section ``[NAME]`` gives option
    ``NAME_KEY`` (the original's naming: ``[execute] keep-going`` is ``execute_keep_going``,
    that is ``keep_going``, see :data:`ORIGINAL_NAMES`). Values are converted to the type
    of the value *default_options* has for the option, when it has one.

    Parameters
    ----------
    fp : path or text file, optional
        The file to read. By default: the user's configuration file, then the project's
        (:func:`find_local_configuration_files`), the closest one first in the chain.
    default_options : Options, optional
        The end of the returned chain, and the types of the values.

    Returns
    -------
    options : Options
    """
    if fp is not None:
        return _options_from_file(fp, default_options, default_options)
    head = default_options
    for found in user_config_files():
        head = _options_from_file(found, head, default_options)
    for name in reversed(find_local_configuration_files()):
        head = _options_from_file(name, head, default_options)
    return head if head is not None else Options(None)


def _options_from_file(fp: Any, chain: Options | None, types: Options | None) -> Options:
    options = Options(chain)
    where = getattr(fp, "name", None) or str(fp)
    cfg = _read_config(fp)
    for section in cfg.sections():
        for key, raw in cfg.items(section):
            name = key_to_option(key)
            if section != "main":
                name = f"{key_to_option(section)}_{name}"
            name = ORIGINAL_NAMES.get(name, name)
            default = getattr(types, name, None) if types is not None else None
            setattr(options, name, _convert(raw, default, f"{where}: [{section}] {key}"))
    return options


def build_parser() -> argparse.ArgumentParser:
    """An argparse parser of the whole ``jug`` command line: one subparser per installed
    subcommand (for completion tools; imports every subcommand)."""
    from jug.subcommands._registry import get_subcommand, subcommand_names

    parser = argparse.ArgumentParser(prog="jug", formatter_class=_HelpFormatter)
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND")
    sub.required = True
    for name in subcommand_names():
        try:
            command = get_subcommand(name)
        except Exception:  # a broken plugin: it says so when run
            continue
        one = sub.add_parser(name, help=command.description() or name)
        one.add_argument("args", nargs="*", metavar="JUGFILE")
        command.parse(one.add_argument_group(f"options of jug {name}"))
        add_common_options(one)
    return parser


def _version() -> str:
    from jug import __version__

    return __version__


def set_jugdir(jugdir: Any) -> Any:
    """Select where results live (the programmatic ``--jugdir``): :func:`jug.set_jugdir`."""
    from jug.runtime import set_jugdir as install

    return install(jugdir)


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
