"""The local store: papers, announcements, fetch history and HTTP validators, in SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, and_, func, select, true
from sqlalchemy.exc import SQLAlchemyError

from paperwire.errors import StoreError
from paperwire.models import AnnounceType, Paper, Trending, routes_from_bits
from paperwire.store.engine import (
    create_store_engine,
    schema_revision,
    short_error,
    upgrade_schema,
)
from paperwire.store.feedback import Attempts, FeedbackBook, Unsubscribed
from paperwire.store.identity import keys_for
from paperwire.store.ledger import Ledger
from paperwire.store.search import search_papers
from paperwire.store.state import StateBook
from paperwire.store.subscribers import SubscriberBook
from paperwire.store.tables import (
    ANNOUNCEMENTS,
    CORPUS_COUNTED,
    CORPUS_STATS,
    FEED_DAYS,
    HTTP_VALIDATORS,
    PAPER_EMBEDDINGS,
)
from paperwire.store.trending import (
    TRENDING,
    TrendingDay,
    record_trending_day,
    trending_days,
    trending_from_row,
    upsert_trending,
)
from paperwire.store.upsert import PAPERS, UpsertCounts, dialect_insert, upsert_papers

__all__ = ["Ledger", "StateBook", "Store", "TrendingDay", "UpsertCounts", "open_store"]

VALIDATORS = HTTP_VALIDATORS
COUNTED = CORPUS_COUNTED
EMBEDDINGS = PAPER_EMBEDDINGS


# The trending columns joined onto a paper row, labelled apart from the paper's own.
_TRENDING_COLUMNS = tuple(c.label(f"t_{c.name}") for c in TRENDING.c if c.name != "paper_id")


def _joined_trending(row: Any) -> Trending | None:
    if getattr(row, "t_featured", None) is None:
        return None  # not featured, or a query without the trending columns
    return trending_from_row(row, "t_")


def paper_from_row(row: Any) -> Paper:
    routes = routes_from_bits(row.routes)
    return Paper(
        key=row.id,
        title=row.title,
        abstract=row.abstract,
        authors=list(row.authors),
        categories=list(row.categories),
        primary_category=row.primary_category,
        version=row.version,
        announce_type=AnnounceType(row.announce_type) if row.announce_type else None,
        announced=row.announced,
        submitted=row.submitted,
        updated=row.updated,
        comments=row.comments,
        journal_ref=row.journal_ref,
        doi=row.doi,
        license=row.license,
        source=row.source,
        route=routes[0] if routes else None,
        arxiv_id=row.arxiv_id,
        links=dict(row.links or {}),
        trending=_joined_trending(row),
    )


class FeedDay(NamedTuple):
    """A fetch's record of one announcement date (see FeedDayRow)."""

    status: str  # announced, empty, none
    route: str  # rss, listing, api, calendar
    fetched_at: dt.datetime


class Store:
    """The database behind paperwire. Writes happen in `transaction()` blocks: all or nothing."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def ledger(self) -> Ledger:
        """The delivery ledger kept in this database."""
        return Ledger(self.engine)

    @property
    def feedback(self) -> FeedbackBook:
        """Readers' 👍/👎 on papers."""
        return FeedbackBook(self.engine)

    @property
    def unsubscribed(self) -> Unsubscribed:
        """Addresses never to be mailed again (until they subscribe again)."""
        return Unsubscribed(self.engine)

    @property
    def attempts(self) -> Attempts:
        """What the readers' pages count to limit abuse."""
        return Attempts(self.engine)

    @property
    def subscribers(self) -> SubscriberBook:
        """The subscribers kept in this database."""
        return SubscriberBook(self.engine)

    def state(self, namespace: str) -> StateBook:
        """The values a source or a channel keeps between runs, under `namespace`."""
        return StateBook(self.engine, namespace)

    def schema_revision(self) -> tuple[str | None, str]:
        return schema_revision(self.engine)

    def upgrade(self) -> bool:
        return upgrade_schema(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction; rolled back whole when anything inside raises."""
        try:
            with self.engine.begin() as connection:
                yield connection
        except SQLAlchemyError as exc:  # unreachable, locked, a value it cannot hold, …
            raise StoreError(f"database {self.url}: {short_error(exc)}") from None
        except OverflowError as exc:  # sqlite3 raises this unwrapped for a too-large integer
            raise StoreError(f"database {self.url}: {exc}") from None

    # --- papers -------------------------------------------------------------------------------

    def upsert_papers(
        self,
        connection: Connection,
        papers: Sequence[Paper],
        now: dt.datetime,
        *,
        estimated_dates: bool = False,
        announce_new_only: bool = False,
    ) -> UpsertCounts:
        """Store papers (see store.upsert); each paper's `key` becomes the one it is stored
        under."""
        return upsert_papers(
            connection,
            papers,
            now,
            estimated_dates=estimated_dates,
            announce_new_only=announce_new_only,
        )

    def count_papers(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(PAPERS)).scalar_one())

    def get_paper(self, paper_id: str) -> Paper | None:
        """A stored paper by its key, its arXiv id or one of its aliases ("doi:…")."""
        return self.get_papers([paper_id]).get(paper_id)

    def papers_announced(
        self,
        first: dt.date,
        last: dt.date,
        announce_types: Sequence[str] | None = None,
    ) -> list[Paper]:
        """Papers announced between two dates (inclusive), each with that day's announce type."""
        query = (
            select(
                PAPERS,
                ANNOUNCEMENTS.c.announced.label("day"),
                # Labelled: papers has an announce_type of its own (its latest announcement).
                ANNOUNCEMENTS.c.announce_type.label("day_type"),
                *_TRENDING_COLUMNS,
            )
            .join(ANNOUNCEMENTS, ANNOUNCEMENTS.c.paper_id == PAPERS.c.id)
            .outerjoin(TRENDING, TRENDING.c.paper_id == PAPERS.c.id)
            .where(and_(ANNOUNCEMENTS.c.announced >= first, ANNOUNCEMENTS.c.announced <= last))
            .order_by(ANNOUNCEMENTS.c.announced.desc(), PAPERS.c.id)
        )
        if announce_types:
            query = query.where(ANNOUNCEMENTS.c.announce_type.in_(list(announce_types)))
        seen: dict[str, Paper] = {}
        with self.engine.connect() as connection:
            for row in connection.execute(query):
                if row.id in seen:
                    continue
                paper = paper_from_row(row)
                paper.announced = row.day
                paper.announce_type = AnnounceType(row.day_type)
                seen[row.id] = paper
        return list(seen.values())

    def latest_announcement(self, until: dt.date | None = None) -> dt.date | None:
        """The newest announcement date of any stored paper (no later than `until`: papers
        from other sources wait for arXiv's next announcement, a day to come)."""
        query = select(func.max(ANNOUNCEMENTS.c.announced))
        if until is not None:
            query = query.where(ANNOUNCEMENTS.c.announced <= until)
        with self.engine.connect() as connection:
            return connection.execute(query).scalar()

    def announcement_dates(self, since: dt.date) -> list[dt.date]:
        """The distinct announcement dates of stored papers from `since` on, oldest first."""
        with self.engine.connect() as connection:
            return list(
                connection.execute(
                    select(ANNOUNCEMENTS.c.announced)
                    .where(ANNOUNCEMENTS.c.announced >= since)
                    .distinct()
                    .order_by(ANNOUNCEMENTS.c.announced)
                ).scalars()
            )

    def search(self, query: str, limit: int = 20) -> list[Paper]:
        with self.engine.connect() as connection:
            rows = search_papers(connection, query, limit)
        return [paper_from_row(row) for row in rows]

    def get_papers(self, ids: Sequence[str]) -> dict[str, Paper]:
        """The stored papers among `ids` — keys, arXiv ids (without version) or aliases such
        as "doi:10.1101/743294" — by the id asked for."""
        found: dict[str, Paper] = {}
        with self.engine.connect() as connection:
            # Most ids asked for are keys (a digest's, a link's): one query finds those.
            wanted = list(dict.fromkeys(ids))
            papers = self._papers_by_key(connection, wanted)
            found = {i: papers[i] for i in wanted if i in papers}
            others = [i for i in wanted if i not in papers]
            if others:
                keys = keys_for(connection, others)
                papers = self._papers_by_key(connection, sorted(set(keys.values())))
                found |= {asked: papers[key] for asked, key in keys.items() if key in papers}
        return found

    @staticmethod
    def _papers_by_key(connection: Connection, keys: Sequence[str]) -> dict[str, Paper]:
        papers: dict[str, Paper] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            query = (
                select(PAPERS, *_TRENDING_COLUMNS)
                .outerjoin(TRENDING, TRENDING.c.paper_id == PAPERS.c.id)
                .where(PAPERS.c.id.in_(chunk))
            )
            for row in connection.execute(query):
                papers[row.id] = paper_from_row(row)
        return papers

    # --- Hugging Face's Daily Papers ------------------------------------------------------------

    def upsert_trending(
        self, connection: Connection, papers: Sequence[Paper], now: dt.datetime
    ) -> UpsertCounts:
        return upsert_trending(connection, papers, now)

    def record_trending_day(
        self,
        connection: Connection,
        *,
        featured: dt.date,
        route: str,
        status: str,
        items: int,
        final: bool,
        now: dt.datetime,
    ) -> None:
        record_trending_day(
            connection,
            featured=featured,
            route=route,
            status=status,
            items=items,
            final=final,
            now=now,
        )

    def trending_days(self, first: dt.date, last: dt.date) -> dict[dt.date, TrendingDay]:
        """What fetches of Hugging Face's Daily Papers recorded for each day, `first` to `last`."""
        with self.engine.connect() as connection:
            return trending_days(connection, first, last)

    def trending_papers(self, first: dt.date, last: dt.date) -> list[Paper]:
        """The papers Hugging Face featured from `first` to `last`, most upvoted first."""
        query = (
            select(PAPERS, *_TRENDING_COLUMNS)
            .join(TRENDING, TRENDING.c.paper_id == PAPERS.c.id)
            .where(TRENDING.c.featured >= first, TRENDING.c.featured <= last)
            .order_by(TRENDING.c.upvotes.desc(), PAPERS.c.id)
        )
        with self.engine.connect() as connection:
            return [paper_from_row(row) for row in connection.execute(query)]

    # --- scoring ------------------------------------------------------------------------------

    def corpus_stats(self, name: str = "default") -> tuple[bytes | None, int]:
        """The saved statistics and their version (None, 0: never saved)."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(CORPUS_STATS.c.data, CORPUS_STATS.c.version).where(
                    CORPUS_STATS.c.name == name
                )
            ).first()
        return (row.data, row.version) if row else (None, 0)

    def uncounted_papers(
        self, batch: int = 2000, *, everything: bool = False
    ) -> Iterator[list[Paper]]:
        """Papers not yet counted into the corpus statistics (title and abstract), in batches;
        with `everything`, all stored papers (to count again from nothing)."""
        after = ""
        counted = select(COUNTED.c.paper_id).where(COUNTED.c.paper_id == PAPERS.c.id)
        while True:
            query = (
                select(PAPERS.c.id, PAPERS.c.title, PAPERS.c.abstract)
                .where(PAPERS.c.id > after, true() if everything else ~counted.exists())
                .order_by(PAPERS.c.id)
                .limit(batch)
            )
            with self.engine.connect() as connection:
                rows = connection.execute(query).all()
            if not rows:
                return
            after = rows[-1].id
            yield [Paper(r.id, r.title, r.abstract, source="") for r in rows]

    def save_corpus_stats(
        self,
        data: bytes,
        documents: int,
        counted: Sequence[str],
        previous_version: int,
        now: dt.datetime,
        name: str = "default",
    ) -> bool:
        """Save statistics that now include the papers `counted`, unless another process saved
        since `previous_version` was read: then nothing is written and the answer is False."""
        with self.transaction() as connection:
            values = {"data": data, "documents": documents, "updated_at": now}
            if previous_version == 0:
                inserted = connection.execute(
                    dialect_insert(connection, CORPUS_STATS)
                    .values(name=name, version=1, **values)
                    .on_conflict_do_nothing(index_elements=["name"])
                    .returning(CORPUS_STATS.c.name)  # rowcount is not reliable here on psycopg
                ).first()
                if inserted is None:
                    return False
            else:
                updated = connection.execute(
                    CORPUS_STATS.update()
                    .where(CORPUS_STATS.c.name == name, CORPUS_STATS.c.version == previous_version)
                    .values(version=previous_version + 1, **values)
                )
                if updated.rowcount != 1:
                    return False
            if counted:
                statement = dialect_insert(connection, COUNTED).on_conflict_do_nothing(
                    index_elements=["paper_id"]
                )
                for start in range(0, len(counted), 5000):
                    chunk = counted[start : start + 5000]
                    connection.execute(statement, [{"paper_id": i} for i in chunk])
        return True

    def embeddings(self, keys: Sequence[str], model: str) -> dict[str, bytes]:
        """Stored embedding vectors of `model` for the given papers, by key."""
        found: dict[str, bytes] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(keys), 500):
                chunk = list(keys[start : start + 500])
                query = select(EMBEDDINGS.c.paper_id, EMBEDDINGS.c.vector).where(
                    EMBEDDINGS.c.model == model, EMBEDDINGS.c.paper_id.in_(chunk)
                )
                found.update({row.paper_id: row.vector for row in connection.execute(query)})
        return found

    def save_embeddings(
        self, model: str, dim: int, vectors: dict[str, bytes], now: dt.datetime
    ) -> None:
        """Keep papers' vectors so that each paper is embedded once per model."""
        if not vectors:
            return
        rows = [
            {"paper_id": i, "model": model, "dim": dim, "vector": v, "created_at": now}
            for i, v in vectors.items()
        ]
        with self.transaction() as connection:
            statement = dialect_insert(connection, EMBEDDINGS)
            connection.execute(
                statement.on_conflict_do_nothing(index_elements=["paper_id", "model"]), rows
            )

    # --- fetch history ------------------------------------------------------------------------

    def latest_feed_day(
        self, feed_key: str, statuses: Sequence[str] = ("announced", "empty")
    ) -> tuple[dt.date, str] | None:
        """The newest day a feed or listing showed for a set of categories, and its status.

        Statuses: "announced" (papers), "empty" (the feed said: nothing today), "none" (the
        calendar expected a day that no source showed yet) — not counted by default.
        """
        with self.engine.connect() as connection:
            row = connection.execute(
                select(FEED_DAYS.c.announced, FEED_DAYS.c.status)
                .where(FEED_DAYS.c.feed_key == feed_key, FEED_DAYS.c.status.in_(list(statuses)))
                .order_by(FEED_DAYS.c.announced.desc())
                .limit(1)
            ).first()
        return (row.announced, row.status) if row else None

    def feed_day(self, feed_key: str, announced: dt.date) -> str | None:
        with self.engine.connect() as connection:
            return connection.execute(
                select(FEED_DAYS.c.status).where(
                    FEED_DAYS.c.feed_key == feed_key, FEED_DAYS.c.announced == announced
                )
            ).scalar_one_or_none()

    def feed_days(self, feed_key: str, first: dt.date, last: dt.date) -> dict[dt.date, FeedDay]:
        """What fetches recorded for each date from `first` to `last`."""
        columns = (FEED_DAYS.c.announced, FEED_DAYS.c.status, FEED_DAYS.c.route)
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(*columns, FEED_DAYS.c.fetched_at).where(
                    FEED_DAYS.c.feed_key == feed_key,
                    FEED_DAYS.c.announced >= first,
                    FEED_DAYS.c.announced <= last,
                )
            )
            return {row.announced: FeedDay(row.status, row.route, row.fetched_at) for row in rows}

    def fetched_dates(self, first: dt.date, last: dt.date) -> set[dt.date]:
        """Dates from `first` to `last` some fetch accounted for, for any set of categories:
        a feed or listing showed them (with papers or empty), or the API was asked."""
        with self.engine.connect() as connection:
            return set(
                connection.execute(
                    select(FEED_DAYS.c.announced)
                    .where(
                        FEED_DAYS.c.announced >= first,
                        FEED_DAYS.c.announced <= last,
                        (FEED_DAYS.c.status.in_(["announced", "empty"]))
                        | (FEED_DAYS.c.route == "api"),
                    )
                    .distinct()
                ).scalars()
            )

    def record_feed_day(
        self,
        connection: Connection,
        *,
        feed_key: str,
        announced: dt.date,
        route: str,
        status: str,
        items: int,
        now: dt.datetime,
    ) -> None:
        values = {
            "feed_key": feed_key,
            "announced": announced,
            "route": route,
            "status": status,
            "items": items,
            "fetched_at": now,
        }
        _upsert_one(connection, FEED_DAYS, ["feed_key", "announced"], values)

    # --- HTTP validators ----------------------------------------------------------------------

    def validators(self, url: str) -> tuple[str | None, str | None]:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(VALIDATORS.c.etag, VALIDATORS.c.last_modified).where(VALIDATORS.c.url == url)
            ).first()
        return (row.etag, row.last_modified) if row else (None, None)

    def save_validators(
        self,
        connection: Connection,
        url: str,
        etag: str | None,
        last_modified: str | None,
        now: dt.datetime,
    ) -> None:
        """Remember a response's validators; call in the transaction that stored its data."""
        if not etag and not last_modified:
            return
        values = {"url": url, "etag": etag, "last_modified": last_modified, "saved_at": now}
        _upsert_one(connection, VALIDATORS, ["url"], values)


def _upsert_one(
    connection: Connection, table: Any, keys: list[str], values: dict[str, Any]
) -> None:
    statement = dialect_insert(connection, table).values(**values)
    update = {k: v for k, v in values.items() if k not in keys}
    connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=update))


def open_store(url: str, *, upgrade: bool = True, connections: int | None = None) -> Store:
    """Open the database at `url`, applying pending migrations unless told not to.
    `connections`: how many connections to keep open for threads working at once (a web
    server's; default SQLAlchemy's 5)."""
    store = Store(create_store_engine(url, connections=connections))
    if upgrade:
        store.upgrade()
    return store
