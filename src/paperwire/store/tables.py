"""The database schema as SQLAlchemy Core tables (migrations live in migrations/).

Core, not the ORM: the store reads and writes rows with statements, and importing
sqlalchemy.orm would cost every command a twentieth of a second for nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.sql.expression import true
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


metadata = MetaData()

# Paper keys and aliases longer than this are hashed (see store.identity).
KEY_LENGTH = 255


def _required(name: str, kind: Any, **options: Any) -> Column[Any]:
    return Column(name, kind, nullable=False, **options)


def _paper_id(primary: bool = True) -> Column[Any]:
    return Column(
        "paper_id",
        ForeignKey("papers.id", ondelete="CASCADE"),
        primary_key=primary,
        nullable=False,
    )


# One paper, whichever sources saw it: they all merge onto this row (see models.Paper).
PAPERS = Table(
    "papers",
    metadata,
    # The arXiv id (without version) of an arXiv paper; else "doi:…" or "<source>:<id>".
    Column("id", String(KEY_LENGTH), primary_key=True),
    Column("arxiv_id", String(64)),  # unique where set
    _required("source", String(64)),  # the first source that had it, arXiv preferred
    Column("version", Integer),
    _required("title", Text),
    _required("abstract", Text),
    _required("authors", JSON),  # in the paper's order
    # The names lower-cased without accents, for PostgreSQL's full-text index, which cannot
    # fold accents without the unaccent extension (SQLite's FTS5 folds them itself).
    _required("authors_folded", Text),
    _required("categories", JSON),  # arXiv's, primary first
    Column("primary_category", String(32), index=True),
    Column("announce_type", String(16)),  # of the latest announcement
    Column("announced", Date, index=True),  # the latest announcement
    Column("first_announced", Date),
    # True when `announced` was estimated from the submission time (API backfill) rather than
    # read from arXiv's own feed or listing; a real date always replaces an estimated one.
    _required("announced_estimated", Boolean, default=False),
    Column("submitted", UTCDateTime),
    Column("updated", UTCDateTime),
    Column("comments", Text),
    Column("journal_ref", Text),
    Column("doi", Text),
    Column("license", Text),
    _required("links", JSON),  # from the source: abs, pdf, html, url
    _required("routes", Integer),  # bit set of models.Route
    _required("first_seen_at", UTCDateTime),
    _required("updated_at", UTCDateTime),
    # Partial (WHERE arxiv_id IS NOT NULL), as migration 0006 makes it; the condition is not
    # repeated here: naming postgresql_where would import PostgreSQL's dialect on every run.
    Index("uq_papers_arxiv_id", "arxiv_id", unique=True),
)

# Another name of a paper ("doi:10.1101/743294", "biorxiv-neuro:<guid>", "url:<link>"): a
# source that names the same work so finds the row instead of adding a second one.
PAPER_ALIASES = Table(
    "paper_aliases",
    metadata,
    Column("alias", String(KEY_LENGTH), primary_key=True),
    Column("paper_id", ForeignKey("papers.id", ondelete="CASCADE"), nullable=False, index=True),
)

# That a source announced a paper on a day, and how (new, cross, replace, replace-cross).
ANNOUNCEMENTS = Table(
    "announcements",
    metadata,
    _paper_id(),
    Column("announced", Date, primary_key=True),
    _required("announce_type", String(16)),
    Column("version", Integer),
    _required("estimated", Boolean, default=False),  # see papers.announced_estimated
    Index("ix_announcements_announced", "announced"),
)

# What a fetch found for one set of arXiv categories on one announcement date. status is
# "announced" (papers arrived), "empty" (the feed said: nothing today — weekends and holidays)
# or "none" (the calendar expected a day no source showed yet), so a later run can tell a
# quiet day from a day it never fetched.
FEED_DAYS = Table(
    "feed_days",
    metadata,
    Column("feed_key", String(512), primary_key=True),  # "cs.CL+cs.LG"
    Column("announced", Date, primary_key=True),
    _required("route", String(16)),  # rss, listing, api, calendar
    _required("status", String(16)),
    _required("items", Integer),
    _required("fetched_at", UTCDateTime),
)

# ETag / Last-Modified of the last stored response of a URL, for conditional GETs.
HTTP_VALIDATORS = Table(
    "http_validators",
    metadata,
    Column("url", String(2048), primary_key=True),
    Column("etag", Text),
    Column("last_modified", Text),
    _required("saved_at", UTCDateTime),
)

# The scoring statistics of every paper counted so far (scoring.CorpusStats, serialised).
CORPUS_STATS = Table(
    "corpus_stats",
    metadata,
    Column("name", String(64), primary_key=True),
    _required("data", LargeBinary),
    _required("documents", Integer),
    _required("version", Integer),  # bumped by every save
    _required("updated_at", UTCDateTime),
)

# A paper already counted into the corpus statistics: each paper is counted once, however
# late its fetch committed.
CORPUS_COUNTED = Table("corpus_counted", metadata, _paper_id())

# A paper's sentence embedding (float32, little-endian) for one model: computed once.
PAPER_EMBEDDINGS = Table(
    "paper_embeddings",
    metadata,
    _paper_id(),
    Column("model", String(128), primary_key=True),
    _required("dim", Integer),
    _required("vector", LargeBinary),
    _required("created_at", UTCDateTime),
)

# The delivery ledger: deliveries that are not failed own their window's first day, so a
# reader never gets two digests for one window (a failed one leaves its days to the next).
LIVE_DELIVERY = "state != 'failed'"

# One digest for one reader, kind and channel, for one window of days, and its fate. state:
# "pending" (recorded, not yet delivered; `message` holds an email's bytes), "sent", "failed"
# (a permanent refusal, or too many temporary ones) or "skipped" (nothing matched and empty
# windows are skipped). A pending row claimed by a live process (`claimed_by` = "host:pid",
# with "@" its start where known)
# is being delivered right now.
DELIVERIES = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _required("subscriber", String(320)),  # the address, lower-cased
    # "topics" (windows of announcement days) or "trending" (Hugging Face featured days)
    _required("kind", String(16), server_default="topics"),
    # Where it goes ("email", "atom"): each channel keeps its own windows and papers.
    _required("channel", String(16), server_default="email"),
    _required("window_from", Date),
    _required("window_to", Date),
    _required("state", String(16)),
    _required("attempts", Integer, default=0),
    _required("message_id", String(255), index=True),
    _required("subject", Text),
    _required("papers", Integer),  # how many it shows
    Column("transport", String(16)),  # "smtp", "outbox", "atom", once tried
    Column("reply", Text),  # the server's last words
    Column("message", LargeBinary),  # kept while pending
    Column("claimed_by", String(128)),
    Column("claimed_at", UTCDateTime),
    _required("created_at", UTCDateTime),
    _required("updated_at", UTCDateTime),
    Column("sent_at", UTCDateTime),
    # Partial (WHERE state != 'failed', LIVE_DELIVERY), as the migrations make it (see
    # papers' index on arxiv_id for why the condition is not repeated here).
    Index("uq_deliveries_window", "subscriber", "kind", "channel", "window_from", unique=True),
    Index("ix_deliveries_state", "state"),
)

# A paper a digest carries: what a reader has received (or is about to).
DELIVERY_PAPERS = Table(
    "delivery_papers",
    metadata,
    Column(
        "delivery_id",
        ForeignKey("deliveries.id", ondelete="CASCADE"),
        primary_key=True,
        nullable=False,
    ),
    Column("paper_id", String(KEY_LENGTH), primary_key=True),
    _required("subscriber", String(320)),  # copied: "received by" in one lookup
    _required("rank", Integer),
    _required("score", Float),
    # Whether the channel showed it: an email cut to its size or to the reader's max_papers
    # shows the first papers; the rest are on the digest's page (paperwire web) only, and are
    # not "received".
    _required("shown", Boolean, server_default=true()),
    Column("reasons", JSON),  # why it is listed: [[kind, term, [where…], [forms…]], …]
    Index("ix_delivery_papers_subscriber", "subscriber", "paper_id"),
)

# A reader: the settings as the configuration file would write them. `origin` is "config"
# for readers synced from `[[subscribers]]` (the file wins for them) or "cli" for readers
# added with `paperwire subscribers add` or `import`.
SUBSCRIBERS = Table(
    "subscribers",
    metadata,
    Column("email", String(320), primary_key=True),  # lower-cased
    _required("origin", String(16)),
    _required("paused", Boolean),
    _required("settings", JSON),
    _required("created_at", UTCDateTime),
    _required("updated_at", UTCDateTime),
)

# What Hugging Face's Daily Papers say about a paper (models.Trending); the paper itself is a
# row of papers like any other, merged with arXiv's by id.
TRENDING = Table(
    "trending",
    metadata,
    _paper_id(),
    _required("featured", Date, index=True),  # UTC date
    _required("upvotes", Integer),
    _required("comments", Integer),
    Column("github_repo", Text),
    Column("github_stars", Integer),
    Column("project_page", Text),
    Column("ai_summary", Text),
    _required("ai_keywords", JSON),
    Column("organization", Text),
    _required("first_seen_at", UTCDateTime),
    _required("updated_at", UTCDateTime),
)

# What a fetch of Hugging Face's Daily Papers found for one featured day. status is
# "featured" (papers), "empty" (none) or "failed" (the fetch failed: tried again later).
# `final` is set by a fetch made after the day ended (UTC): its list is complete and its
# upvotes are as they stood then, so trending digests may cover it.
TRENDING_DAYS = Table(
    "trending_days",
    metadata,
    Column("featured", Date, primary_key=True),
    _required("route", String(16)),  # huggingface (the API), huggingface-page
    _required("status", String(16)),
    _required("items", Integer),
    _required("final", Boolean),
    _required("fetched_at", UTCDateTime),
)

# A small value a source or a channel keeps between runs, under its own namespace: an
# OAI-PMH resumption token, a feed's last poll, a reader's private feed token.
PLUGIN_STATE = Table(
    "plugin_state",
    metadata,
    Column("namespace", String(64), primary_key=True),
    Column("key", String(512), primary_key=True),
    _required("value", JSON),
    _required("updated_at", UTCDateTime),
)

# A reader's 👍 (+1) or 👎 (-1) on a paper: one per reader and paper, the latest wins. `via`:
# "email" (a link in a digest), "web" (the digest's page), "cli".
FEEDBACK = Table(
    "feedback",
    metadata,
    Column("subscriber", String(320), primary_key=True),  # lower-cased
    Column("paper_id", String(KEY_LENGTH), primary_key=True),
    _required("vote", Integer),
    _required("via", String(16)),
    _required("created_at", UTCDateTime),
)

# Addresses that unsubscribed: never mailed again, whether the reader was in the database or
# in the configuration file, until they subscribe again (and confirm).
UNSUBSCRIBED = Table(
    "unsubscribed",
    metadata,
    Column("email", String(320), primary_key=True),  # lower-cased
    _required("via", String(16)),  # "one-click", "web", "cli"
    _required("created_at", UTCDateTime),
)

# What the readers' pages count to limit abuse: one row per attempt, by a hashed key (an
# address or a client's, never stored in the clear), pruned once old.
WEB_ATTEMPTS = Table(
    "web_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _required("key", String(64)),
    _required("at", UTCDateTime),
    Index("ix_web_attempts_key_at", "key", "at"),
)
