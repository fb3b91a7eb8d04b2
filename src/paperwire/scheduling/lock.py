"""One tick at a time: a PostgreSQL advisory lock, or a lock file for SQLite.

Overlapping ticks (a slow run and the next cron minute, `run` beside `serve`, two machines on
one PostgreSQL database) must not work at once. The ledger already makes a double send
impossible; the lock makes a second tick step aside instead of fetching and ranking for
nothing.

Both locks die with their holder, so there is nothing stale to clean up: the kernel releases
a `flock` when its process exits (even on SIGKILL), and PostgreSQL releases an advisory lock
when its session ends. The lock file also records who holds it, for the message a second tick
prints.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from paperwire.config import Settings, default_database_url
from paperwire.errors import LockError
from paperwire.store import Store

# pg_advisory_lock takes a 64-bit key: "paperwir" as a number, so that other applications'
# keys on a shared server are unlikely to collide with it.
ADVISORY_KEY = int.from_bytes(b"paperwir", "big") & 0x7FFF_FFFF_FFFF_FFFF


def lock_file_path(settings: Settings, env: dict[str, str] | None = None) -> Path:
    """Where `run` keeps its lock file: schedule.lock_file, else beside a SQLite database,
    else beside the default database."""
    if settings.schedule.lock_file:
        return Path(settings.schedule.lock_file).expanduser()
    url = make_url(settings.database.url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database + ".lock")
    default = make_url(default_database_url(env if env is not None else dict(os.environ)))
    return Path(str(default.database) + ".lock")


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[str | None]:
    """Hold an exclusive lock on `path` while the block runs. Yields None when the lock is
    ours, or the holder's note ("host pid 123 since …") when another process has it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise LockError(f"lock file {path}: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(handle, 200, 0).decode("utf-8", "replace").strip()
            yield holder or "another process"
            return
        note = (
            f"{socket.gethostname()} pid {os.getpid()} since "
            f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S} UTC"
        )
        os.ftruncate(handle, 0)
        os.pwrite(handle, note.encode(), 0)
        try:
            yield None
        finally:
            os.ftruncate(handle, 0)
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


@contextlib.contextmanager
def advisory_lock(store: Store) -> Iterator[str | None]:
    """Hold PostgreSQL's session-level advisory lock for paperwire while the block runs.
    Yields None when it is ours, or a note naming the session that has it."""
    with store.engine.connect() as connection:
        got = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY})
        connection.commit()
        if not got.scalar():
            holder = connection.execute(
                text(
                    "SELECT a.client_addr, a.pid, a.backend_start FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
                    "AND l.granted AND (l.classid::bigint << 32 | l.objid::bigint) = :k"
                ),
                {"k": ADVISORY_KEY},
            ).first()
            connection.rollback()
            if holder is None:
                yield "another database session"
            else:  # the session opened for the lock: its start is about when it was taken
                since = holder.backend_start.astimezone(dt.UTC)
                yield f"database session {holder.pid} since {since:%Y-%m-%d %H:%M:%S} UTC"
            return
        try:
            yield None
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
            connection.commit()


# A tick normally holds the lock for seconds, a big send for minutes; longer than this and the
# holder is probably stuck (a server that never finishes an answer), which cron must hear of.
LONG_HOLD = dt.timedelta(minutes=30)
_SINCE = re.compile(r"since (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC")


def held_since(note: str) -> dt.datetime | None:
    """When the holder named in `note` took the lock (None when the note does not say)."""
    found = _SINCE.search(note)
    if found is None:
        return None
    return dt.datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)


def run_lock(
    store: Store, settings: Settings, env: dict[str, str] | None = None
) -> contextlib.AbstractContextManager[str | None]:
    """The lock for this database: advisory on PostgreSQL, a file otherwise."""
    if store.engine.dialect.name == "postgresql":
        return advisory_lock(store)
    return file_lock(lock_file_path(settings, env))
