"""Write a file whole or not at all: digests written with -o, outbox messages, feed files;
and wait for a file's turn when two processes rebuild it."""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path


def write_atomically(
    path: Path, data: bytes, *, durable: bool = True, mode: int | None = None
) -> None:
    """Write `data` to `path` so that a reader sees the old file or the whole new one: a
    temporary file beside it, then a rename. With `durable`, the data and the rename are
    fsynced (the outbox: a message recorded as delivered must survive a power cut).

    The file gets `mode` (less the umask); by default a file replaced keeps its mode and a
    new one is made as any program makes one (0o666 less the umask). A link or a device
    (/dev/stdout) is written through, never replaced. Raises OSError.
    """
    if path.is_symlink() or (path.exists() and not path.is_file()):
        with open(path, "wb") as file:
            file.write(data)
        return
    keep = stat.S_IMODE(path.stat().st_mode) if mode is None and path.exists() else None
    temporary = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    handle = os.open(temporary, flags, 0o666 if mode is None else mode)
    try:
        with os.fdopen(handle, "wb") as file:
            if keep is not None:
                os.chmod(file.fileno(), keep)
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


def write_into(
    directory: Path,
    name: str,
    data: bytes,
    *,
    mode: int | None = None,
    directory_mode: int = 0o777,
) -> Path:
    """Write a file whole into `directory` (made if missing, with its parents; the folder
    itself with `directory_mode` less the umask): the outbox's messages, the readers' feeds.
    Raises OSError; the caller names what could not be written."""
    directory.mkdir(mode=directory_mode, parents=True, exist_ok=True)
    path = directory / name
    write_atomically(path, data, mode=mode)
    return path


@contextlib.contextmanager
def turn(path: Path) -> Iterator[None]:
    """Wait for, then hold, an exclusive lock on `path` (made if missing) while the block runs:
    two processes that each read, rebuild and write one file take turns. The kernel releases
    it when the process ends. Raises OSError."""
    handle = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # releases the lock


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
