"""Every error jug raises for a user or a plugin to see.

All of them derive from :class:`JugError`: the message is meant for the user as it is, and
the command line prints it as one line and exits non-zero, without a traceback unless
``--debug`` is given. Several also derive from the built-in exception they refine
(``ValueError``, ``OSError``...), so that code catching those keeps working.
"""

from __future__ import annotations

__all__ = [
    "BackendImportError",
    "BadPatternError",
    "BarrierError",
    "BrokenSubcommandError",
    "ConfigError",
    "CorruptResultError",
    "InvalidJugdirError",
    "InvalidOptionError",
    "JugError",
    "JugfileError",
    "LockNotHeldError",
    "MissingPartError",
    "ResultNotAvailableError",
    "SecretKeyError",
    "SignatureError",
    "StoreError",
    "SubmitError",
    "TaskHashError",
    "UnknownBackendError",
    "UnknownSubcommandError",
    "UsageError",
]


class JugError(Exception):
    """Base class of jug's own errors: the message is meant for the user as it is."""


# -- jugfiles and tasks -------------------------------------------------------------------


class JugfileError(JugError):
    """The jugfile is missing or raised an exception while being imported."""


class BarrierError(JugError):
    """Raised by :func:`jug.barrier` and :func:`jug.bvalue` when the tasks they need have
    no results yet: loading the jugfile stops there (``jug execute`` reloads it later)."""


class ResultNotAvailableError(JugError, KeyError):
    """A task's result was asked for (``jug.value(t)``, ``t.result``), but the store holds
    none: the task has not run, or runs now, or failed.

    A :class:`KeyError` too, as the stores raise for a missing key.

    Parameters
    ----------
    name : str
        The task's name.
    key : str
        Its hash.
    state : str
        Its state (a :class:`jug.execution.TaskState` value, or ``"unknown"``).
    """

    def __init__(self, name: str, key: str, state: str) -> None:
        self.name = name
        self.key = key
        self.state = state
        hint = _STATE_HINTS.get(state, "")
        super().__init__(f"task {name} ({key[:12]}) has no result: it is {state}{hint}")

    def __str__(self) -> str:  # KeyError would show the message with quotes around it
        return str(self.args[0])


_STATE_HINTS = {
    "waiting": " (tasks it depends on have not run yet); run `jug execute` first",
    "ready": " (it has not run yet); run `jug execute` first",
    "running": " (a worker is computing it now)",
    "stale": " (the worker that took it stopped; the next `jug execute` runs it again)",
    "failed": " (it raised; `jug status --failed` shows why)",
    "finished": " (its result was removed meanwhile)",
}


class TaskHashError(JugError, TypeError):
    """A task's arguments cannot be hashed (typically: one of them cannot be pickled)."""


class BadPatternError(JugError, ValueError):
    """A task-name pattern (``--target``) is not valid."""


class InvalidOptionError(JugError, ValueError):
    """An option of the execution loop has a value it cannot use."""


# -- stores -------------------------------------------------------------------------------


class StoreError(JugError, OSError):
    """A store operation failed for a reason the user must fix (disk full, permissions,
    server unreachable...).

    Every backend raises it for such failures. It is an :class:`OSError` (with ``errno``
    set when the cause had one).
    """


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

    def with_name(self, name: str | None) -> CorruptResultError:
        """The same error (same class), naming the task *name*."""
        return type(self)(self.key, self.detail, name)


class SignatureError(CorruptResultError):
    """A secret key is configured, and a stored result's MAC is missing or wrong: it is
    refused before anything of it is decoded (see :mod:`jug.signing`).

    Parameters
    ----------
    key : str
        The hash of the result (or the name of what the store signs as a whole).
    detail : str
        ``"unsigned"`` or ``"forged"`` (a :class:`jug.signing.SignatureState` value).
    name : str, optional
        The task's name, when the caller knows it.
    """

    def __init__(self, key: str, detail: str, name: str | None = None) -> None:
        self.key = key
        self.detail = detail
        self.name = name
        is_hash = len(key) == 40 and all(c in "0123456789abcdef" for c in key)
        who = f"task {name} ({key})" if name else f"result {key}" if is_hash else key
        why = (
            "it is not signed"
            if detail == "unsigned"
            else "its signature is wrong (changed, moved from another task, or signed "
            "with another key)"
        )
        otherwise = "`jug invalidate` the task" if is_hash else "remove it"
        JugError.__init__(
            self,
            f"refusing to load {who}: {why}; nothing of it was unpickled. If you trust it, "
            f"`jug sign` signs it; otherwise {otherwise}.",
        )


class LockNotHeldError(JugError):
    """An operation that requires holding a task's lock was called without holding it."""


class MissingPartError(JugError, ImportError):
    """A part of jug that lives in a distribution which is not installed was asked for
    (``jug.options`` without jug-cli, say); the message names what to install."""


class InvalidJugdirError(JugError, ValueError):
    """A jugdir string that names no store: empty, or malformed for its backend."""


class UnknownBackendError(JugError, ValueError):
    """A jugdir names a scheme that no installed backend provides."""


class BackendImportError(JugError, ImportError):
    """A backend or subcommand plugin is registered but its module cannot be imported."""


# -- the command line ---------------------------------------------------------------------


class ConfigError(JugError):
    """A configuration file or an option value is invalid."""


class SecretKeyError(ConfigError):
    """The secret key that signs results cannot be used: its file cannot be read or is
    readable by everyone, it is too short, or the store cannot sign results."""


class UsageError(ConfigError):
    """The command line is wrong (``jug`` exits with status 2)."""


class UnknownSubcommandError(JugError):
    """The command line names a subcommand that is not installed."""


class BrokenSubcommandError(JugError):
    """A subcommand is registered but cannot be loaded (its plugin is broken)."""


# -- batch schedulers -----------------------------------------------------------------------


class SubmitError(JugError):
    """``jug submit`` cannot submit: no scheduler found, a jugdir the workers cannot share
    (a ``dict_store``), or the scheduler refused the job (its message is included)."""
