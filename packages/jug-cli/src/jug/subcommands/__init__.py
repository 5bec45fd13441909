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
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    # Only for annotations: listing subcommands (`jug --help`) needs no argparse.
    import argparse
    from typing import Any

__all__ = ["SubCommand", "stopped_at_barrier"]


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
        return self.run(*args, **kwargs)
