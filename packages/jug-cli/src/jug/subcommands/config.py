"""``jug config``: the effective configuration, and where each value comes from."""

from __future__ import annotations

from . import SubCommand

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["ConfigCommand"]


def _without_for(args: list[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--for":
            skip = True
        elif not arg.startswith("--for="):
            out.append(arg)
    return out


class ConfigCommand(SubCommand):
    """Show the effective configuration and where each value comes from"""

    name = "config"
    needs_jugfile = False

    def parse(self, parser: Any) -> None:
        parser.add_argument(
            "--for",
            dest="config_for",
            metavar="SUBCOMMAND",
            help="show the options of this subcommand (default: execute)",
        )

    def parse_defaults(self) -> dict[str, Any]:
        return {"config_for": "execute"}

    def run(self, options: Any, *args: Any, **kwargs: Any) -> int:
        from jug.errors import UnknownSubcommandError, UsageError
        from jug.options import format_config, parse_command

        from ._registry import get_subcommand

        try:
            target = get_subcommand(options.config_for)
        except UnknownSubcommandError as exc:
            raise UsageError(str(exc)) from None
        effective = parse_command(target, _without_for(options.cli_args))
        print(format_config(effective, check=True))
        return 0
