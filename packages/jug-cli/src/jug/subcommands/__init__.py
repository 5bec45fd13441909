"""The ``jug`` program's subcommands, and the API for adding your own.

A subcommand is a :class:`SubCommand` subclass. jug finds subcommands in two places:

* the ``jug.subcommands`` entry-point group (``name = "package.module:ClassName"``), which
  is how the built-in ones (``execute``, ``status``, ...) and those of other distributions
  (``jug shell``) are registered;
* the user file ``~/.config/jug/jug_user_commands.py``: instantiating a ``SubCommand``
  subclass there registers it.

Example of a user subcommand::

    from jug.subcommands import SubCommand

    class FancyReport(SubCommand):
        "Write a report of my results"

        name = "my-fancy-report"

        def parse(self, parser):
            parser.add_argument("--tofile", dest="report_tofile", help="report file")

        def parse_defaults(self):
            return {"report_tofile": "report.txt"}

        def run(self, options, store, jugspace, *args, **kwargs):
            ...

    fancy_report = FancyReport()

``jug my-fancy-report --tofile out.txt`` then calls ``run`` with the parsed options, the
store and the jugfile's namespace (all passed as keywords; accept ``**kwargs`` so that
arguments added later do not break your command).

The original jug's API
----------------------
Code written for the original calls subcommands directly: each built-in subcommand's
module has an instance under the original's name (``jug.subcommands.invalidate.invalidate``,
``jug.subcommands.execute.execute``...), which takes its arguments in the original's order
(``invalidate(store, options)``, ``execute(options)``: see :attr:`SubCommand.call_order`)
and fills the options it needs but the given ones lack with its defaults. :data:`cmdapi`
(``get``, ``run``, ``usage``, ``default_options``), :exc:`NoSuchCommandError` and
:exc:`SubCommandError` are here too.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    # Only for annotations: listing subcommands (`jug --help`) needs no argparse.
    import argparse
    from typing import Any

__all__ = [
    "NoSuchCommandError",
    "SubCommand",
    "SubCommandError",
    "SubCommandManager",
    "cmdapi",
    "stopped_at_barrier",
]


def stopped_at_barrier(jugspace: dict[str, Any] | None) -> bool:
    """Whether loading the jugfile whose namespace is *jugspace* stopped at an unmet
    :func:`jug.barrier` (the tasks after it are not defined yet)."""
    return bool(jugspace and jugspace.get("__jug__hasbarrier__"))


class SubCommand:
    """Base class of jug subcommands.

    Attributes
    ----------
    name : str
        The name on the command line (``jug NAME``). Required.
    help : str
        One line shown by ``jug --help``; defaults to the first line of the class docstring.
    needs_jugfile : bool
        Whether jug opens the store and loads the jugfile before calling :meth:`run`
        (default True). Commands that need neither set it to False; they receive
        ``store=None`` and ``jugspace=None``.
    """

    name: str = ""
    help: str = ""
    needs_jugfile: bool = True
    #: The order in which calling the subcommand object takes positional arguments (as
    #: the original jug's ``run`` did; ``run`` itself always receives keywords).
    call_order: tuple[str, ...] = ("options", "store", "jugspace")

    def __init__(self) -> None:
        # Instantiating registers, as the documented user-commands file relies on.
        if self.name:
            from ._registry import register

            register(self)

    def loads_jugfile(self, options: Any) -> bool:
        """Whether, with these *options*, jug must load the jugfile before :meth:`run`.

        Only asked when :attr:`needs_jugfile` is true. Returning False (e.g. ``jug status
        --cache`` with a valid cache) makes jug open the store but pass ``jugspace=None``.
        """
        return True

    def description(self) -> str:
        """The one-line help of this subcommand."""
        if self.help:
            return self.help
        doc = type(self).__doc__ or ""
        return doc.strip().splitlines()[0].strip() if doc.strip() else ""

    def parse(self, parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:  # noqa: B027
        """Add this subcommand's options to *parser* (an argparse parser or group).

        Give every option a ``dest`` and put its default in :meth:`parse_defaults`, not in
        ``default=``: jug needs to tell user-given values from defaults so that
        configuration files work. Boolean flags may use
        ``action=argparse.BooleanOptionalAction`` (``--flag``/``--no-flag``).
        """

    def parse_defaults(self) -> dict[str, Any]:
        """Default values of the options added by :meth:`parse`, keyed by ``dest``."""
        return {}

    def run(self, *args: Any, **kwargs: Any) -> int | None:
        """Do the work. Receives ``options``, ``store`` and ``jugspace`` as keywords.

        Returns
        -------
        exit_code : int or None
            The process exit code (None means 0).
        """
        raise NotImplementedError(f"subcommand {self.name!r} does not implement run()")

    def __call__(self, *args: Any, **kwargs: Any) -> int | None:
        """Run the subcommand from Python, as the original jug's code did.

        Positional arguments are taken in :attr:`call_order`; the options may be any
        object with the options as attributes (what :func:`jug.options.parse` returns, or
        ``jug.options.default_options``): those it lacks get this subcommand's defaults.
        """
        if len(args) > len(self.call_order):
            raise TypeError(
                f"jug {self.name}: at most {len(self.call_order)} positional arguments "
                f"({', '.join(self.call_order)})"
            )
        given = dict(zip(self.call_order, args, strict=False))
        overlap = set(given) & set(kwargs)
        if overlap:
            raise TypeError(f"jug {self.name}: {', '.join(sorted(overlap))} given twice")
        given.update(kwargs)
        options = _with_defaults(given.get("options"), self.parse_defaults())
        given["options"] = options
        for name in ("store", "jugspace"):
            given.setdefault(name, None)
        if given["store"] is not None or not self.needs_jugfile:
            return self.run(**given)
        # No store given (the original's execute(options), status(options)): open the
        # project the options name, as the command line does.
        from jug.jug import load_project
        from jug.options import Options, expand_jugdir

        where = Options(options) if isinstance(options, Options) else _Fallback(options)
        jugfile = str(getattr(options, "jugfile", "jugfile.py"))
        where.update(
            {
                "jugfile": jugfile,
                "jugdir": expand_jugdir(
                    str(getattr(options, "jugdir", "%(jugfile)s.jugdata")), jugfile
                ),
                "argv": list(getattr(options, "argv", None) or []),
            }
        )
        store, jugspace = load_project(where)  # type: ignore[arg-type]  # duck-typed options
        try:
            return self.run(**{**given, "options": where, "store": store, "jugspace": jugspace})
        finally:
            store.close()


def _with_defaults(options: Any, defaults: dict[str, Any]) -> Any:
    """*options*, seen through an object that adds the *defaults* it lacks."""
    from jug.options import Options, default_options

    if options is None:
        options = default_options
    missing = {k: v for k, v in defaults.items() if not hasattr(options, k)}
    if not missing:
        return options
    view = Options(options) if isinstance(options, Options) else _Fallback(options)
    view.update(missing)
    return view


class _Fallback:
    """Attributes of a foreign options object, with some added (see _with_defaults)."""

    def __init__(self, under: Any) -> None:
        self._under = under

    def update(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_under"], name)


def __getattr__(name: str) -> Any:
    # The original's names, made on first use (importing this package stays free).
    if name in ("NoSuchCommandError", "SubCommandError"):
        from jug import errors

        return (
            errors.UnknownSubcommandError
            if name == "NoSuchCommandError"
            else (errors.BrokenSubcommandError)
        )
    if name in ("cmdapi", "SubCommandManager"):
        from ._registry import SubCommandManager, cmdapi

        return cmdapi if name == "cmdapi" else SubCommandManager
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
