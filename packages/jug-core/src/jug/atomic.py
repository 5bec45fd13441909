"""Writing a file atomically: a reader sees the old file or the new one, never a part.

The one way jug writes files that others may read meanwhile: results of the file store,
failure records, ``dict_store:FILE`` and the status cache.
"""

from __future__ import annotations

import os
from collections.abc import Callable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO

__all__ = ["write_atomically"]


def write_atomically(
    path: str,
    data: bytes | Callable[[BinaryIO], object],
    *,
    temp: str | None = None,
    fsync: bool = True,
) -> None:
    """Write *data* to a temporary file, sync it, then rename it over *path*.

    Parameters
    ----------
    path : str
        The file to create or replace.
    data : bytes or callable
        The contents, or a function that writes them to the binary file it is given.
    temp : str, optional
        The temporary file, which must be on the same file system as *path* and must not
        exist (default: *path* with a random suffix).
    fsync : bool, optional
        Flush the contents to the disk before the rename (default), so that a crash of
        the machine cannot leave an empty or partial file under *path*.

    Raises
    ------
    OSError
        As the file system reports it; the temporary file is removed, and *path* is left
        as it was. Whatever *data* raises likewise.
    """
    if temp is None:
        temp = f"{path}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        if isinstance(data, bytes):
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                if fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
        else:
            with os.fdopen(fd, "wb") as out:
                data(out)
                out.flush()
                if fsync:
                    os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
