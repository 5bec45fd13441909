"""Exceptions raised by jug.

Every error that reaches a user at the command line derives from :class:`JugError`; the
CLI prints its message as one line and exits non-zero, without a traceback unless
``--debug`` is given.
"""

from __future__ import annotations


class JugError(Exception):
    """Base class of jug's own errors: the message is meant for the user as it is."""


class UnknownBackendError(JugError, ValueError):
    """A jugdir names a scheme that no installed backend provides."""


class InvalidJugdirError(JugError, ValueError):
    """A jugdir string that names no store at all (an empty one, say)."""


class BackendImportError(JugError, ImportError):
    """A backend or subcommand plugin is registered but its module cannot be imported."""


class CorruptResultError(JugError):
    """A stored result exists but cannot be decoded.

    Parameters
    ----------
    key : str
        The hash under which the result is stored.
    detail : str
        What went wrong while decoding.
    name : str, optional
        The task's name, when the caller knows it.
    """

    def __init__(self, key: str, detail: str, name: str | None = None) -> None:
        self.key = key
        self.detail = detail
        self.name = name
        who = f"task {name} ({key})" if name else f"result {key}"
        super().__init__(
            f"cannot load {who}: {detail}. "
            "Recompute it with `jug invalidate` on the task (or remove the stored result)."
        )


class TaskHashError(JugError, TypeError):
    """A task's arguments cannot be hashed (typically: one of them cannot be pickled)."""


class LockNotHeldError(JugError):
    """An operation that requires holding a task's lock was called without holding it."""


class JugfileError(JugError):
    """The jugfile is missing or raised an exception while being imported."""
