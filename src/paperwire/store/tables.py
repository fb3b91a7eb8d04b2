"""The database schema as SQLAlchemy 2.0 typed ORM classes (migrations live in migrations/)."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in and out, on every database.

    SQLite keeps no time zone and hands back naive values; without this, a time read back from
    SQLite would not compare equal to the same time read from PostgreSQL or from a feed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
        return value


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        dt.datetime: UTCDateTime,
    }


# Paper keys and aliases longer than this are hashed (see store.identity).
KEY_LENGTH = 255


class PaperRow(Base):
    """One paper, whichever sources saw it: they all merge onto this row (see models.Paper)."""

    __tablename__ = "papers"

    # The arXiv id (without version) of an arXiv paper; else "doi:…" or "<source>:<id>".
    id: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    arxiv_id: Mapped[str | None] = mapped_column(String(64))  # unique where set
    source: Mapped[str] = mapped_column(String(64))  # the first source that had it, arXiv first
    version: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(JSON)  # in the paper's order
    # The names lower-cased without accents, for PostgreSQL's full-text index, which cannot
    # fold accents without the unaccent extension (SQLite's FTS5 folds them itself).
    authors_folded: Mapped[str] = mapped_column(Text)
    categories: Mapped[list[str]] = mapped_column(JSON)  # primary first
    primary_category: Mapped[str | None] = mapped_column(String(32), index=True)
    announce_type: Mapped[str | None] = mapped_column(String(16))  # of the latest announcement
    announced: Mapped[dt.date | None] = mapped_column(Date, index=True)  # latest announcement
    first_announced: Mapped[dt.date | None] = mapped_column(Date)
    # True when `announced` was estimated from the submission time (API backfill) rather than
    # read from arXiv's own feed or listing; a real date always replaces an estimated one.
    announced_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    comments: Mapped[str | None] = mapped_column(Text)
    journal_ref: Mapped[str | None] = mapped_column(Text)
    doi: Mapped[str | None] = mapped_column(Text)
    license: Mapped[str | None] = mapped_column(Text)
    links: Mapped[dict[str, Any]] = mapped_column(JSON)  # from the source: abs, pdf, html, url
    routes: Mapped[int] = mapped_column(Integer)  # bit set of models.Route
    first_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index(
            "uq_papers_arxiv_id",
            "arxiv_id",
            unique=True,
            sqlite_where=text("arxiv_id IS NOT NULL"),
            postgresql_where=text("arxiv_id IS NOT NULL"),
        ),
    )


class PaperAliasRow(Base):
    """Another name of a paper ("doi:10.1101/743294", "biorxiv-neuro:<guid>", "url:<link>"):
    a source that names the same work so finds the row instead of adding a second one."""

    __tablename__ = "paper_aliases"

    alias: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    paper_id: Mapped[str] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)


class AnnouncementRow(Base):
    """That arXiv announced a paper on a day, and how (new, cross, replace, replace-cross)."""

    __tablename__ = "announcements"

    paper_id: Mapped[str] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    )
    announced: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    announce_type: Mapped[str] = mapped_column(String(16))
    version: Mapped[int | None] = mapped_column(Integer)
    estimated: Mapped[bool] = mapped_column(Boolean, default=False)  # see PaperRow

    __table_args__ = (Index("ix_announcements_announced", "announced"),)


class FeedDayRow(Base):
    """What a fetch found for one set of categories on one announcement date.

    status is "announced" (papers arrived) or "empty" (the feed said: nothing announced today —
    weekends and holidays), so a later run can tell a quiet day from a day it never fetched.
    """

    __tablename__ = "feed_days"

    feed_key: Mapped[str] = mapped_column(String(512), primary_key=True)  # "cs.CL+cs.LG"
    announced: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    route: Mapped[str] = mapped_column(String(16))  # rss, listing, api
    status: Mapped[str] = mapped_column(String(16))
    items: Mapped[int] = mapped_column(Integer)
    fetched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class HttpValidatorRow(Base):
    """ETag / Last-Modified of the last stored response of a URL, for conditional GETs."""

    __tablename__ = "http_validators"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    saved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class CorpusStatsRow(Base):
    """The scoring statistics of every paper counted so far (scoring.CorpusStats, serialised)."""

    __tablename__ = "corpus_stats"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    documents: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)  # bumped by every save
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class CorpusCountedRow(Base):
    """A paper already counted into the corpus statistics: each paper is counted once, however
    late its fetch committed."""

    __tablename__ = "corpus_counted"

    paper_id: Mapped[str] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    )


class PaperEmbeddingRow(Base):
    """A paper's sentence embedding (float32, little-endian) for one model: computed once."""

    __tablename__ = "paper_embeddings"

    paper_id: Mapped[str] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(128), primary_key=True)
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


# The delivery ledger: deliveries that are not failed own their window's first day, so a
# subscriber never gets two digests for one window (a failed one leaves its days to the next).
LIVE_DELIVERY = "state != 'failed'"


class DeliveryRow(Base):
    """One digest for one subscriber and one window of announcement dates, and its fate.

    state: "pending" (composed, not yet accepted by a server; `message` holds its bytes),
    "sent", "failed" (a permanent refusal, or too many temporary ones) or "skipped" (nothing
    matched and empty windows are skipped). A pending row claimed by a live process
    (`claimed_by` = "host:pid") is being sent right now.
    """

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscriber: Mapped[str] = mapped_column(String(320))  # the address, lower-cased
    # "topics" (windows of arXiv announcement days) or "trending" (Hugging Face featured days)
    kind: Mapped[str] = mapped_column(String(16), server_default="topics")
    # Where it goes ("email", "atom"): each channel keeps its own windows and papers.
    channel: Mapped[str] = mapped_column(String(16), server_default="email")
    window_from: Mapped[dt.date] = mapped_column(Date)
    window_to: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[str] = mapped_column(String(255), index=True)
    subject: Mapped[str] = mapped_column(Text)
    papers: Mapped[int] = mapped_column(Integer)  # how many the message shows
    transport: Mapped[str | None] = mapped_column(String(16))  # "smtp" or "outbox", once tried
    reply: Mapped[str | None] = mapped_column(Text)  # the server's last words
    message: Mapped[bytes | None] = mapped_column(LargeBinary)  # kept while pending
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index(
            "uq_deliveries_window",
            "subscriber",
            "kind",
            "channel",
            "window_from",
            unique=True,
            sqlite_where=text(LIVE_DELIVERY),
            postgresql_where=text(LIVE_DELIVERY),
        ),
        Index("ix_deliveries_state", "state"),
    )


class DeliveryPaperRow(Base):
    """A paper a digest carries: what a subscriber has received (or is about to)."""

    __tablename__ = "delivery_papers"

    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True
    )
    paper_id: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    subscriber: Mapped[str] = mapped_column(String(320))  # copied: "received by" in one lookup
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_delivery_papers_subscriber", "subscriber", "paper_id"),)


class SubscriberRow(Base):
    """A reader: the subscriber settings as the configuration file would write them.

    `origin` is "config" for readers synced from `[[subscribers]]` (the file wins for them) or
    "cli" for readers added with `paperwire subscribers add` or `import`.
    """

    __tablename__ = "subscribers"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)  # lower-cased
    origin: Mapped[str] = mapped_column(String(16))
    paused: Mapped[bool] = mapped_column(Boolean)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class TrendingRow(Base):
    """What Hugging Face's Daily Papers say about a paper (models.Trending); the paper itself
    is a PaperRow like any other, merged with arXiv's by id."""

    __tablename__ = "trending"

    paper_id: Mapped[str] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    )
    featured: Mapped[dt.date] = mapped_column(Date, index=True)  # UTC date
    upvotes: Mapped[int] = mapped_column(Integer)
    comments: Mapped[int] = mapped_column(Integer)
    github_repo: Mapped[str | None] = mapped_column(Text)
    github_stars: Mapped[int | None] = mapped_column(Integer)
    project_page: Mapped[str | None] = mapped_column(Text)
    ai_summary: Mapped[str | None] = mapped_column(Text)
    ai_keywords: Mapped[list[str]] = mapped_column(JSON)
    organization: Mapped[str | None] = mapped_column(Text)
    first_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class TrendingDayRow(Base):
    """What a fetch of Hugging Face's Daily Papers found for one featured day.

    status is "featured" (papers), "empty" (none) or "failed" (the fetch failed: tried again
    later). `final` is set by a fetch made after the day ended (UTC): its list is complete and
    its upvotes are as they stood then, so trending digests may cover it.
    """

    __tablename__ = "trending_days"

    featured: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    route: Mapped[str] = mapped_column(String(16))  # huggingface (the API), huggingface-page
    status: Mapped[str] = mapped_column(String(16))
    items: Mapped[int] = mapped_column(Integer)
    final: Mapped[bool] = mapped_column(Boolean)
    fetched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class PluginStateRow(Base):
    """A small value a source or a channel keeps between runs, under its own namespace: an
    OAI-PMH resumption token, a feed's last poll, a reader's private feed token."""

    __tablename__ = "plugin_state"

    namespace: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
