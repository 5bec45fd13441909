"""Finding subcommands: the ``jug.subcommands`` entry points and the user-commands file.

Listing names (and their one-line descriptions) never imports a subcommand's module: the
description is read from the module's source with :mod:`ast`. Only the subcommand that
runs is imported. jug-cli's own subcommands are entry points like any plugin's (found by
:mod:`jug.plugins`, where jug's own names win over a plugin's).
"""

from __future__ import annotations

import os
import sys
from functools import cache

from jug.errors import BackendImportError, BrokenSubcommandError, UnknownSubcommandError
from jug.plugins import EntryPoint, entry_points

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from . import SubCommand

GROUP = "jug.subcommands"

# Which distribution to suggest when a well-known subcommand is missing.
_INSTALL_HINTS = {"shell": "jug-shell (and IPython)"}

# Subcommands registered by instantiating a SubCommand (the user-commands file).
_registered: dict[str, SubCommand] = {}
_user_file_loaded = False


def register(command: SubCommand) -> None:
    """Register *command* under its name (called by ``SubCommand.__init__``)."""
    _registered.setdefault(command.name, command)


def _source(name: str) -> EntryPoint | None:
    """The entry point of subcommand *name*, if one is registered."""
    return entry_points(GROUP).get(name)


def user_commands_file() -> Path:
    """``$XDG_CONFIG_HOME/jug/jug_user_commands.py`` (``~/.config/jug/...`` by default)."""
    from pathlib import Path

    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "jug" / "jug_user_commands.py"


def load_user_commands() -> None:
    """Execute the user-commands file once, if it exists (its errors are reported, not fatal)."""
    global _user_file_loaded
    if _user_file_loaded:
        return
    _user_file_loaded = True
    path = user_commands_file()
    if not path.is_file():
        return
    namespace = {"__name__": "jug_user_commands", "__file__": str(path)}
    try:
        exec(compile(path.read_bytes(), str(path), "exec"), namespace)
    except Exception as exc:
        print(f"jug: warning: ignoring {path}: {type(exc).__name__}: {exc}", file=sys.stderr)


def subcommand_names() -> list[str]:
    """Names of all available subcommands (without importing any of them)."""
    load_user_commands()
    return sorted(set(entry_points(GROUP)) | set(_registered))


def describe(name: str) -> str:
    """The one-line description of subcommand *name*, without importing it if possible."""
    source = _source(name)
    if source is None:
        command = _registered.get(name)
        return command.description() if command is not None else ""
    return _description_from_source(source.value)


def _description_from_source(target: str) -> str:
    """Read the ``help`` attribute or docstring of ``module:Class`` from the source."""
    import ast
    import importlib.util
    from pathlib import Path

    module, _, attr = target.partition(":")
    try:
        spec = importlib.util.find_spec(module)
        origin = spec.origin if spec is not None else None
        if not origin or not origin.endswith(".py"):
            return ""
        tree = ast.parse(Path(origin).read_bytes())
    except (ImportError, OSError, SyntaxError, ValueError):
        return ""
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == attr.strip():
            for stmt in node.body:
                if (
                    isinstance(stmt, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "help" for t in stmt.targets)
                    and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, str)
                ):
                    return stmt.value.value
            doc = ast.get_docstring(node) or ""
            return doc.strip().splitlines()[0].strip() if doc.strip() else ""
    return ""


def _origin(source: EntryPoint) -> str:
    return f"the plugin {source.distribution}"


def get_subcommand(name: str) -> SubCommand:
    """Import and return the subcommand *name*.

    Raises
    ------
    UnknownSubcommandError
        If no subcommand of that name exists.
    BackendImportError
        If it is registered but a module it needs is missing (names what to install).
    BrokenSubcommandError
        If it is registered but importing or creating it fails otherwise.
    """
    from . import SubCommand

    source = _source(name)
    if source is None:
        load_user_commands()
        command = _registered.get(name)
        if command is None:
            hint = _INSTALL_HINTS.get(name)
            if hint is not None:
                raise UnknownSubcommandError(
                    f"the subcommand {name!r} is not installed: it comes with {hint} "
                    f"(pip install {hint.split()[0]})"
                )
            raise UnknownSubcommandError(
                f"unknown subcommand {name!r}; available subcommands: "
                f"{', '.join(subcommand_names())} (see `jug --help`)"
            )
        return command
    try:
        obj = source.load()
    except ImportError as exc:
        who = source.distribution
        hint = _INSTALL_HINTS.get(name, who)
        raise BackendImportError(
            f"the jug subcommand {name!r} (from {who}) cannot be imported: {exc}; install {hint}"
        ) from exc
    except Exception as exc:
        raise BrokenSubcommandError(
            f"the jug subcommand {name!r} from {_origin(source)} is broken: loading "
            f"{source.value} raised {type(exc).__name__}: {exc}"
        ) from exc
    try:
        command = obj() if isinstance(obj, type) else obj
    except Exception as exc:
        raise BrokenSubcommandError(
            f"the jug subcommand {name!r} from {_origin(source)} is broken: creating it raised "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(command, SubCommand):
        raise BrokenSubcommandError(
            f"the jug subcommand {name!r} from {_origin(source)} is broken: {source.value} is "
            "not a jug.subcommands.SubCommand"
        )
    if not command.name:
        command.name = name
    return command


def origin(name: str) -> str:
    """Where subcommand *name* comes from, for messages: a plugin name or a file."""
    source = _source(name)
    if source is not None:
        return _origin(source)
    return f"the user commands file {user_commands_file()}"


def is_builtin(name: str) -> bool:
    """Whether subcommand *name* is one of jug's own (its module is in the jug namespace)."""
    source = _source(name)
    return source is not None and source.module.startswith("jug.")


@cache
def all_option_defaults() -> dict[str, tuple[dict[str, Any], dict[str, str]]]:
    """Subcommand name → (its options and their defaults, aliases of option names), for
    every loadable subcommand.

    Imports every subcommand: only for checking configuration files. Broken plugins are
    skipped (they are reported when run).
    """
    from jug.options import command_defaults

    out: dict[str, tuple[dict[str, Any], dict[str, str]]] = {}
    for name in subcommand_names():
        try:
            out[name] = command_defaults(get_subcommand(name))
        except Exception:
            continue
    return out


class SubCommandManager:
    """The original jug's ``cmdapi``: the subcommands by name (:data:`cmdapi` is the one
    instance)."""

    @property
    def default_options(self) -> Any:
        """The subcommands' default options (:data:`jug.options.subcommand_defaults`)."""
        from jug.options import subcommand_defaults

        return subcommand_defaults

    def get(self, command: str) -> SubCommand:
        """The subcommand *command* (:exc:`jug.errors.UnknownSubcommandError` if none)."""
        return get_subcommand(command)

    def update_defaults(self, name: str) -> None:
        """Add the defaults of subcommand *name* to :attr:`default_options`."""
        self.default_options.update(get_subcommand(name).parse_defaults() or {})

    def run(self, command: str, *args: Any, **kwargs: Any) -> int | None:
        """Run subcommand *command* with these arguments (see ``SubCommand.__call__``)."""
        return self.get(command)(*args, **kwargs)

    def usage(self, error: Any = "", exit: bool = True, _print: bool = True) -> str:
        """The help text listing the subcommands (printed, and exiting 1 if *exit*, as the
        original did)."""
        from jug.jug import _help_text

        text = _help_text() + (f"\n\n{error}" if error else "") + "\n"
        if _print:
            sys.stdout.write(text)
        if exit:
            sys.exit(1)
        return text


#: The original jug's ``jug.subcommands.cmdapi``.
cmdapi = SubCommandManager()


def all_option_names() -> set[str]:
    """The ``dest`` of every option of every loadable subcommand."""
    return {dest for options, _ in all_option_defaults().values() for dest in options}
