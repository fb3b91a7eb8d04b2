"""What readers say back: 👍/👎 on papers, unsubscribed addresses, and the attempts the
readers' pages count to limit abuse. Each method is one short transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, select, text

from paperwire.models import Judgments, Origin
from paperwire.store.tables import FEEDBACK, SUBSCRIBERS, UNSUBSCRIBED, WEB_ATTEMPTS
from paperwire.store.upsert import dialect_insert

UP, DOWN = 1, -1


@dataclass(frozen=True, slots=True)
class Vote:
    """One reader's 👍 (+1) or 👎 (-1) on one paper."""

    subscriber: str
    paper: str
    vote: int
    via: str
    at: dt.datetime


class FeedbackBook:
    """The feedback table: one vote per reader and paper, the latest wins."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, subscriber: str, paper: str, vote: int, via: str, now: dt.datetime) -> None:
        """Set a reader's vote on a paper (+1 or -1), replacing an earlier one."""
        if vote not in (UP, DOWN):
            raise ValueError(f"a vote is +1 or -1, not {vote!r}")
        values = {"vote": vote, "via": via, "created_at": now}
        with self.engine.begin() as connection:
            statement = dialect_insert(connection, FEEDBACK).values(
                subscriber=subscriber.strip().lower(), paper_id=paper, **values
            )
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["subscriber", "paper_id"], set_=values
                )
            )

    def remove(self, subscriber: str, paper: str) -> bool:
        """Forget a reader's vote on a paper; False when there was none."""
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(FEEDBACK).where(
                    FEEDBACK.c.subscriber == subscriber.strip().lower(),
                    FEEDBACK.c.paper_id == paper,
                )
            )
        return bool(result.rowcount)

    def votes(self, subscriber: str) -> list[Vote]:
        """A reader's votes, newest first."""
        query = (
            select(FEEDBACK)
            .where(FEEDBACK.c.subscriber == subscriber.strip().lower())
            .order_by(FEEDBACK.c.created_at.desc(), FEEDBACK.c.paper_id)
        )
        with self.engine.connect() as connection:
            return [
                Vote(row.subscriber, row.paper_id, row.vote, row.via, row.created_at)
                for row in connection.execute(query)
            ]

    def judgments(self, subscribers: list[str], limit: int) -> dict[str, Judgments]:
        """Per reader (lower-cased), the papers they gave a 👍 and a 👎, newest first, at most
        `limit` of each kind."""
        wanted = [s.strip().lower() for s in subscribers]
        found: dict[str, tuple[list[str], list[str]]] = {}
        query = select(FEEDBACK.c.subscriber, FEEDBACK.c.paper_id, FEEDBACK.c.vote).order_by(
            FEEDBACK.c.subscriber, FEEDBACK.c.created_at.desc(), FEEDBACK.c.paper_id
        )
        if len(wanted) <= 500:
            query = query.where(FEEDBACK.c.subscriber.in_(wanted))
        keep = set(wanted)
        with self.engine.connect() as connection:
            for subscriber, paper, vote in connection.execute(query):
                if subscriber in keep:
                    kinds = found.setdefault(subscriber, ([], []))
                    kind = kinds[0] if vote == UP else kinds[1]
                    if len(kind) < limit:
                        kind.append(paper)
        return {s: Judgments(tuple(up), tuple(down)) for s, (up, down) in found.items()}


class Unsubscribed:
    """Addresses that asked to hear no more: never mailed again until they subscribe again."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, email: str, via: str, now: dt.datetime, *, forget: bool = False) -> bool:
        """Record that an address unsubscribed; False when it already had. With `forget`,
        the reader's settings and votes go too, in the same transaction (the configuration
        file's readers keep their settings: the file wins for them)."""
        key = email.strip().lower()
        with self.engine.begin() as connection:
            statement = dialect_insert(connection, UNSUBSCRIBED).values(
                email=key, via=via, created_at=now
            )
            result = connection.execute(statement.on_conflict_do_nothing())
            if forget:
                connection.execute(
                    delete(SUBSCRIBERS).where(
                        SUBSCRIBERS.c.email == key, SUBSCRIBERS.c.origin != Origin.CONFIG
                    )
                )
                connection.execute(delete(FEEDBACK).where(FEEDBACK.c.subscriber == key))
        return bool(result.rowcount)

    def remove(self, email: str) -> bool:
        """The address subscribed again; False when it had not unsubscribed."""
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(UNSUBSCRIBED).where(UNSUBSCRIBED.c.email == email.strip().lower())
            )
        return bool(result.rowcount)

    def when(self, email: str) -> tuple[dt.datetime, str] | None:
        """When and how an address unsubscribed ("one-click", "web"), or None."""
        query = select(UNSUBSCRIBED.c.created_at, UNSUBSCRIBED.c.via).where(
            UNSUBSCRIBED.c.email == email.strip().lower()
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return (row[0], row[1]) if row is not None else None

    def __contains__(self, email: object) -> bool:
        if not isinstance(email, str):
            return False
        query = select(UNSUBSCRIBED.c.email).where(UNSUBSCRIBED.c.email == email.strip().lower())
        with self.engine.connect() as connection:
            return connection.execute(query).first() is not None

    def all(self) -> set[str]:
        """Every unsubscribed address (lower-cased)."""
        with self.engine.connect() as connection:
            return set(connection.execute(select(UNSUBSCRIBED.c.email)).scalars())


def attempt_key(kind: str, value: str) -> str:
    """The key an attempt is counted under: a hash, so no address or client is kept."""
    return hashlib.sha256(f"{kind}\0{value.strip().lower()}".encode()).hexdigest()


class Attempts:
    """Counts what the readers' pages limit (subscriptions per address, per client, in all)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def allow(self, key: str, limit: int, since: dt.datetime, now: dt.datetime) -> bool:
        """Count one attempt under `key` unless `limit` were counted since `since`: whether
        it was. One transaction, under a lock on the key, so that attempts at the same
        moment (other threads, other processes) cannot all pass."""
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key}
                )
            else:  # SQLite: take the write lock now (BEGIN IMMEDIATE's effect)
                connection.execute(
                    delete(WEB_ATTEMPTS).where(WEB_ATTEMPTS.c.key == key, WEB_ATTEMPTS.c.at < since)
                )
            counted = connection.execute(
                select(func.count()).where(WEB_ATTEMPTS.c.key == key, WEB_ATTEMPTS.c.at >= since)
            ).scalar_one()
            if counted >= limit:
                return False
            connection.execute(WEB_ATTEMPTS.insert().values(key=key, at=now))
        return True

    def forget(self, before: dt.datetime) -> None:
        """Forget attempts older than `before`."""
        with self.engine.begin() as connection:
            connection.execute(delete(WEB_ATTEMPTS).where(WEB_ATTEMPTS.c.at < before))
