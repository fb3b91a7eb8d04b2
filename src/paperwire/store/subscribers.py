"""Subscribers kept in the database: read, add, change, remove, and sync from the config file.

Each row holds a subscriber's settings exactly as `[[subscribers]]` in the file would (checked
by the same model on the way in and on the way out), so a reader added on the command line and
one written in the file are the same thing to the rest of paperwire.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from pydantic import ValidationError
from sqlalchemy import Engine, Table, delete, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from paperwire.config import SubscriberSettings
from paperwire.errors import StoreError, SubscriberExists
from paperwire.store.engine import short_error
from paperwire.store.tables import SubscriberRow
from paperwire.store.upsert import dialect_insert

SUBSCRIBERS: Table = SubscriberRow.__table__  # type: ignore[assignment]

CONFIG, CLI = "config", "cli"
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class StoredSubscriber:
    """A subscriber row: the settings, where they come from, and when they changed."""

    settings: SubscriberSettings
    origin: str  # CONFIG or CLI
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def email(self) -> str:
        return self.settings.email


@dataclass(frozen=True, slots=True)
class SyncReport:
    added: list[str]
    updated: list[str]
    removed: list[str]


def _data(settings: SubscriberSettings) -> dict[str, Any]:
    # Only what differs from the defaults: an export stays short and a later default applies.
    return settings.model_dump(mode="json", exclude_defaults=True) | {"email": settings.email}


def _stored(row: Any) -> StoredSubscriber:
    try:
        settings = SubscriberSettings.model_validate(row.settings)
    except ValidationError:
        # Written by this model, so only a hand-edited row lands here: keep the address and
        # pause it rather than send a digest built from settings nobody checked.
        settings = SubscriberSettings(email=row.email, paused=True)
    return StoredSubscriber(settings, row.origin, row.created_at, row.updated_at)


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
    def all(self) -> list[StoredSubscriber]:
        """Every subscriber, by address."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(SUBSCRIBERS).order_by(SUBSCRIBERS.c.email))
            return [_stored(row) for row in rows]

    @_one_line_errors
    def get(self, email: str) -> StoredSubscriber | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(SUBSCRIBERS).where(SUBSCRIBERS.c.email == email.strip().lower())
            ).first()
        return _stored(row) if row else None

    @_one_line_errors
    def add(self, settings: SubscriberSettings, now: dt.datetime, origin: str = CLI) -> None:
        """Add a subscriber; SubscriberExists when the address is taken."""
        values = {
            "email": settings.email.lower(),
            "origin": origin,
            "paused": settings.paused,
            "settings": _data(settings),
            "created_at": now,
            "updated_at": now,
        }
        try:
            with self.engine.begin() as connection:
                connection.execute(SUBSCRIBERS.insert().values(**values))
        except IntegrityError:
            raise SubscriberExists(settings.email) from None

    @_one_line_errors
    def replace(self, settings: SubscriberSettings, now: dt.datetime) -> bool:
        """Store new settings for an existing subscriber (same address); False if unknown."""
        with self.engine.begin() as connection:
            result = connection.execute(
                update(SUBSCRIBERS)
                .where(SUBSCRIBERS.c.email == settings.email.lower())
                .values(paused=settings.paused, settings=_data(settings), updated_at=now)
            )
        return bool(result.rowcount)

    @_one_line_errors
    def remove(self, email: str) -> bool:
        """Forget a subscriber (their delivery history stays in the ledger)."""
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(SUBSCRIBERS).where(SUBSCRIBERS.c.email == email.strip().lower())
            )
        return bool(result.rowcount)

    @_one_line_errors
    def sync(
        self,
        configured: Sequence[SubscriberSettings],
        now: dt.datetime,
        *,
        remove_missing: bool = True,
    ) -> SyncReport:
        """Make the rows of the file's subscribers match the file: added, changed (the file
        wins, also over a reader added on the command line) and, with `remove_missing`,
        removed when the file no longer lists them. Readers added on the command line are
        left alone."""
        wanted = {s.email.lower(): s for s in configured}
        added, updated, removed = [], [], []
        with self.engine.begin() as connection:
            rows = {row.email: row for row in connection.execute(select(SUBSCRIBERS))}
            for key, settings in wanted.items():
                data = _data(settings)
                row = rows.get(key)
                if row is None:
                    # Another process may sync the same file at this moment: whoever is
                    # second writes the same values over the first.
                    values = {"origin": CONFIG, "paused": settings.paused, "settings": data}
                    statement = dialect_insert(connection, SUBSCRIBERS).values(
                        email=key, created_at=now, updated_at=now, **values
                    )
                    connection.execute(
                        statement.on_conflict_do_update(index_elements=["email"], set_=values)
                    )
                    added.append(settings.email)
                elif row.origin != CONFIG or row.settings != data:
                    connection.execute(
                        update(SUBSCRIBERS)
                        .where(SUBSCRIBERS.c.email == key)
                        .values(
                            origin=CONFIG, paused=settings.paused, settings=data, updated_at=now
                        )
                    )
                    updated.append(settings.email)
            gone = [
                k
                for k, row in rows.items()
                if remove_missing and row.origin == CONFIG and k not in wanted
            ]
            if gone:
                connection.execute(delete(SUBSCRIBERS).where(SUBSCRIBERS.c.email.in_(gone)))
                removed += gone
        return SyncReport(added, updated, removed)
