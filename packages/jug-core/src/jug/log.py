"""The ``jug`` logger, set up only when something is logged.

Importing :mod:`logging` costs every process a few milliseconds, and at the default level
(warnings) a normal run logs nothing. So the command line only records the level it wants
(:func:`configure`); the logger is built, with its ``jug: MESSAGE`` handler, the first
time jug logs something (:func:`logger`), or at once when the level asks for more than
warnings.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["DEFAULT_LEVEL", "configure", "debug", "info", "info_enabled", "logger", "warning"]

#: The level of ``--verbose`` when none is given.
DEFAULT_LEVEL = "warning"

_requested = DEFAULT_LEVEL
_configured = False


def configure(level: str) -> None:
    """Use *level* (``debug``, ``info``, ``warning``, ``error``…) for jug's messages.

    Below warnings, logging is set up now (the messages will come); otherwise on first use.
    """
    global _requested, _configured
    _requested, _configured = level, False
    if level != DEFAULT_LEVEL or "logging" in sys.modules:
        logger()


def logger() -> Any:
    """The ``jug`` logger (a :class:`logging.Logger`), set up as :func:`configure` asked."""
    global _configured
    import logging

    log = logging.getLogger("jug")
    if not _configured:
        _configured = True
        numeric = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
        level = numeric.get(_requested, logging.ERROR)
        log.setLevel(level)
        if not log.handlers:
            handler = logging.StreamHandler(sys.stderr)
            # At debug level, several workers' logs get interleaved: say who and when.
            fmt = (
                "jug[%(process)d] %(asctime)s %(levelname)s: %(message)s"
                if level == logging.DEBUG
                else "jug: %(message)s"
            )
            handler.setFormatter(logging.Formatter(fmt, datefmt="%H:%M:%S"))
            log.addHandler(handler)
            log.propagate = False
    return log


def info_enabled() -> bool:
    """Whether info messages are shown (without importing logging when they cannot be)."""
    return "logging" in sys.modules and bool(logger().isEnabledFor(20))


def info(message: str, *args: Any) -> None:
    if info_enabled():
        logger().info(message, *args)


def debug(message: str, *args: Any) -> None:
    if "logging" in sys.modules and logger().isEnabledFor(10):
        logger().debug(message, *args)


def warning(message: str, *args: Any) -> None:
    logger().warning(message, *args)
