"""Papers, announcements, feed days, HTTP validators and full-text search.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)

# SQLite: an FTS5 index over the papers table kept in step by triggers. unicode61 with
# remove_diacritics lets "Rodriguez" find "Rodríguez"; porter folds plurals and stems.
_SQLITE_FTS = [
    """CREATE VIRTUAL TABLE papers_fts USING fts5(
        title, abstract, authors, content='papers', content_rowid='rowid',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers BEGIN
        INSERT INTO papers_fts(rowid, title, abstract, authors)
        VALUES (new.rowid, new.title, new.abstract, new.authors);
    END""",
    """CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN
        INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
        VALUES ('delete', old.rowid, old.title, old.abstract, old.authors);
    END""",
    """CREATE TRIGGER papers_fts_update AFTER UPDATE OF title, abstract, authors ON papers BEGIN
        INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
        VALUES ('delete', old.rowid, old.title, old.abstract, old.authors);
        INSERT INTO papers_fts(rowid, title, abstract, authors)
        VALUES (new.rowid, new.title, new.abstract, new.authors);
    END""",
]

# PostgreSQL: a stored, generated tsvector (title weighted above abstract) with a GIN index.
_POSTGRES_FTS = [
    """ALTER TABLE papers ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(abstract, '')), 'B') ||
        setweight(to_tsvector('simple', coalesce(authors_folded, '')), 'C')) STORED""",
    "CREATE INDEX ix_papers_search_vector ON papers USING gin (search_vector)",
]


def upgrade() -> None:
    op.create_table(
        "papers",
        sa.Column("arxiv_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("abstract", sa.Text, nullable=False),
        sa.Column("authors", sa.JSON, nullable=False),
        sa.Column("authors_folded", sa.Text, nullable=False),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("primary_category", sa.String(32)),
        sa.Column("announce_type", sa.String(16)),
        sa.Column("announced", sa.Date),
        sa.Column("first_announced", sa.Date),
        sa.Column("announced_estimated", sa.Boolean, nullable=False),
        sa.Column("submitted", _TZ),
        sa.Column("updated", _TZ),
        sa.Column("comments", sa.Text),
        sa.Column("journal_ref", sa.Text),
        sa.Column("doi", sa.Text),
        sa.Column("license", sa.Text),
        sa.Column("links", sa.JSON, nullable=False),
        sa.Column("sources", sa.Integer, nullable=False),
        sa.Column("first_seen_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
    )
    op.create_index("ix_papers_primary_category", "papers", ["primary_category"])
    op.create_index("ix_papers_announced", "papers", ["announced"])
    op.create_table(
        "announcements",
        sa.Column(
            "arxiv_id",
            sa.String(64),
            sa.ForeignKey("papers.arxiv_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("announced", sa.Date, primary_key=True),
        sa.Column("announce_type", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer),
        sa.Column("estimated", sa.Boolean, nullable=False),
    )
    op.create_index("ix_announcements_announced", "announcements", ["announced"])
    op.create_table(
        "feed_days",
        sa.Column("feed_key", sa.String(512), primary_key=True),
        sa.Column("announced", sa.Date, primary_key=True),
        sa.Column("route", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("items", sa.Integer, nullable=False),
        sa.Column("fetched_at", _TZ, nullable=False),
    )
    op.create_table(
        "http_validators",
        sa.Column("url", sa.String(2048), primary_key=True),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("saved_at", _TZ, nullable=False),
    )
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": _SQLITE_FTS, "postgresql": _POSTGRES_FTS}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS papers_fts")
    op.drop_table("http_validators")
    op.drop_table("feed_days")
    op.drop_table("announcements")
    op.drop_table("papers")
