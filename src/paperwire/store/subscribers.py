"""Readers kept in the database: read, add, change, remove, and sync from the config file.

Each row holds a reader's settings exactly as `[[subscribers]]` in the file would (see
models.Reader.settings), so a reader added on the command line and one written in the file
are the same thing to the rest of paperwire. Settings are checked where they come in
(config.SubscriberSettings); this module stores and returns Readers.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from paperwire.errors import StoreError, SubscriberExists
from paperwire.models import Origin, Profile, Reader
from paperwire.store.engine import short_error
from paperwire.store.tables import SUBSCRIBERS
from paperwire.store.upsert import dialect_insert

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class SyncReport:
    added: list[str]
    updated: list[str]
    removed: list[str]


def _reader(row: Any) -> Reader:
    try:
        return Reader.from_settings(
            dict(row.settings),
            origin=Origin(row.origin),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
    except (ValueError, TypeError):
        # Written from checked settings, so only a hand-edited row lands here: keep the
        # address and pause it rather than send a digest built from settings nobody checked.
        return Reader(
            row.email,
            Profile(email=row.email),
            paused=True,
            origin=row.origin,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


def _one_line_errors(method: Callable[P, R]) -> Callable[P, R]:
    """A database that cannot be read or written is one line (StoreError), not a traceback."""

    @functools.wraps(method)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except SQLAlchemyError as exc:
            book = args[0]
            assert isinstance(book, SubscriberBook)
            url = book.engine.url.render_as_string(hide_password=True)
            raise StoreError(f"database {url}: {short_error(exc)}") from None

    return guarded


class SubscriberBook:
    """Reads and writes the subscribers table; each method is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @_one_line_errors
    def all(self) -> list[Reader]:
        """Every reader, by address."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(SUBSCRIBERS).order_by(SUBSCRIBERS.c.email))
            return [_reader(row) for row in rows]

    @_one_line_errors
    def get(self, email: str) -> Reader | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(SUBSCRIBERS).where(SUBSCRIBERS.c.email == email.strip().lower())
            ).first()
        return _reader(row) if row else None

    @_one_line_errors
    def add(self, reader: Reader, now: dt.datetime, origin: str = Origin.CLI) -> None:
        """Add a reader; SubscriberExists when the address is taken."""
        values = {
            "email": reader.email.lower(),
            "origin": origin,
            "paused": reader.paused,
            "settings": reader.settings(),
            "created_at": now,
            "updated_at": now,
        }
        try:
            with self.engine.begin() as connection:
                connection.execute(SUBSCRIBERS.insert().values(**values))
        except IntegrityError:
            raise SubscriberExists(f"{reader.email} is already a subscriber") from None

    @_one_line_errors
    def replace(self, reader: Reader, now: dt.datetime) -> bool:
        """Store new settings for an existing reader (same address); False if unknown."""
        with self.engine.begin() as connection:
            result = connection.execute(
                update(SUBSCRIBERS)
                .where(SUBSCRIBERS.c.email == reader.email.lower())
                .values(paused=reader.paused, settings=reader.settings(), updated_at=now)
            )
        return bool(result.rowcount)

    @_one_line_errors
    def remove(self, email: str) -> bool:
        """Forget a reader (their delivery history stays in the ledger)."""
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(SUBSCRIBERS).where(SUBSCRIBERS.c.email == email.strip().lower())
            )
        return bool(result.rowcount)

    @_one_line_errors
    def sync(
        self,
        configured: Sequence[Reader],
        now: dt.datetime,
        *,
        remove_missing: bool = True,
    ) -> SyncReport:
        """Make the rows of the file's readers match the file: added, changed (the file wins,
        also over a reader added on the command line) and, with `remove_missing`, removed
        when the file no longer lists them. Readers added on the command line are left alone."""
        wanted = {r.email.lower(): r for r in configured}
        added, updated, removed = [], [], []
        with self.engine.begin() as connection:
            rows = {row.email: row for row in connection.execute(select(SUBSCRIBERS))}
            for key, reader in wanted.items():
                data = reader.settings()
                row = rows.get(key)
                if row is None:
                    # Another process may sync the same file at this moment: whoever is
                    # second writes the same values over the first.
                    values = {"origin": Origin.CONFIG, "paused": reader.paused, "settings": data}
                    statement = dialect_insert(connection, SUBSCRIBERS).values(
                        email=key, created_at=now, updated_at=now, **values
                    )
                    connection.execute(
                        statement.on_conflict_do_update(index_elements=["email"], set_=values)
                    )
                    added.append(reader.email)
                elif row.origin != Origin.CONFIG or row.settings != data:
                    connection.execute(
                        update(SUBSCRIBERS)
                        .where(SUBSCRIBERS.c.email == key)
                        .values(
                            origin=Origin.CONFIG,
                            paused=reader.paused,
                            settings=data,
                            updated_at=now,
                        )
                    )
                    updated.append(reader.email)
            gone = [
                k
                for k, row in rows.items()
                if remove_missing and row.origin == Origin.CONFIG and k not in wanted
            ]
            if gone:
                connection.execute(delete(SUBSCRIBERS).where(SUBSCRIBERS.c.email.in_(gone)))
                removed += gone
        return SyncReport(added, updated, removed)
