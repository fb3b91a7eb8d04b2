"""Every reader: the configuration file's `[[subscribers]]` and those kept in the database.

The file's readers are written to the database first (the file wins for them), so that every
command sees the same list, whichever way a reader was added.
"""

from __future__ import annotations

import datetime as dt

from paperwire.config import Settings
from paperwire.models import Origin, Reader
from paperwire.store import Store
from paperwire.store.subscribers import SyncReport


def sync_readers(store: Store, settings: Settings, now: dt.datetime) -> SyncReport:
    """Write the configuration file's readers to the database (the file wins for them).
    Readers the file no longer lists are removed only when a file was read: a command run
    without one (built-in defaults) must not empty the list."""
    return store.subscribers.sync(
        settings.readers(), now, remove_missing=settings.config_file is not None
    )


def all_readers(
    store: Store, settings: Settings, now: dt.datetime, *, sync: bool = True
) -> list[Reader]:
    """Every reader, by address. With `sync`, the file's readers are written to the database
    first; without it (a dry run), the same merge is made in memory and nothing is written."""
    if sync:
        sync_readers(store, settings, now)
        return store.subscribers.all()
    configured = {r.email.lower(): r for r in settings.readers()}
    kept = [
        r
        for r in store.subscribers.all()
        if r.email.lower() not in configured and r.origin != Origin.CONFIG
    ]
    return sorted([*configured.values(), *kept], key=lambda r: r.email.lower())


def find_reader(store: Store, settings: Settings, email: str) -> Reader | None:
    """The reader with this address (any case): the configuration file's, else one added
    with `paperwire subscribers add`."""
    for reader in settings.readers():
        if reader.email.lower() == email.strip().lower():
            return reader
    return store.subscribers.get(email)
