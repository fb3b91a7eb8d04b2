"""Write a file whole or not at all: digests written with -o, outbox messages, feed files."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write `data` to `path` so that a reader sees the old file or the whole new one: a
    temporary file beside it, then a rename. With `durable`, the data and the rename are
    fsynced (the outbox: a message recorded as delivered must survive a power cut).

    A link or a device (/dev/stdout) is written through, never replaced. Raises OSError.
    """
    if path.is_symlink() or (path.exists() and not path.is_file()):
        with open(path, "wb") as file:
            file.write(data)
        return
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            if durable:
                file.flush()
                os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if durable:
        _fsync_directory(path.parent)


def write_into(directory: Path, name: str, data: bytes) -> Path:
    """Write a file whole into `directory` (made if missing, with its parents): the outbox's
    messages, the readers' feeds. Raises OSError; the caller names what could not be written."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    write_atomically(path, data)
    return path


def _fsync_directory(directory: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
