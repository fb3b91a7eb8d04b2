"""Hugging Face's Daily Papers: what it says about each featured paper, and the days fetched;
deliveries gain a kind ("topics" or "trending"), each kind with its own windows.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)
_LIVE = "state != 'failed'"


def upgrade() -> None:
    op.create_table(
        "trending",
        sa.Column(
            "arxiv_id",
            sa.String(64),
            sa.ForeignKey("papers.arxiv_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("featured", sa.Date(), nullable=False),
        sa.Column("upvotes", sa.Integer(), nullable=False),
        sa.Column("comments", sa.Integer(), nullable=False),
        sa.Column("github_repo", sa.Text()),
        sa.Column("github_stars", sa.Integer()),
        sa.Column("project_page", sa.Text()),
        sa.Column("ai_summary", sa.Text()),
        sa.Column("ai_keywords", sa.JSON(), nullable=False),
        sa.Column("organization", sa.Text()),
        sa.Column("first_seen_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
    )
    op.create_index("ix_trending_featured", "trending", ["featured"])
    op.create_table(
        "trending_days",
        sa.Column("featured", sa.Date(), primary_key=True),
        sa.Column("route", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("fetched_at", _TZ, nullable=False),
    )
    # A trending digest's window is of featured days, a topics digest's of announcement days:
    # each kind keeps its own windows, so a reader who switches loses no day of either.
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("deliveries")}
    if "kind" not in columns:  # a downgrade leaves it (see there)
        op.add_column(
            "deliveries",
            sa.Column("kind", sa.String(16), nullable=False, server_default="topics"),
        )
    op.drop_index("uq_deliveries_window", table_name="deliveries")
    _window_index(["subscriber", "kind", "window_from"])


def _window_index(columns: list[str]) -> None:
    op.create_index(
        "uq_deliveries_window",
        "deliveries",
        columns,
        unique=True,
        sqlite_where=sa.text(_LIVE),
        postgresql_where=sa.text(_LIVE),
    )


def downgrade() -> None:
    # Trending digests mean nothing to the older schema (their windows are featured days, and
    # would collide with topics windows in its index): they go, with their papers.
    trending = "SELECT id FROM deliveries WHERE kind = 'trending'"
    op.execute(f"DELETE FROM delivery_papers WHERE delivery_id IN ({trending})")
    op.execute("DELETE FROM deliveries WHERE kind = 'trending'")
    op.drop_index("uq_deliveries_window", table_name="deliveries")
    # The kind column stays: dropping a column makes SQLite copy the table, and dropping the
    # old copy would cascade to every delivery's papers. Older versions never read it.
    _window_index(["subscriber", "window_from"])
    op.drop_table("trending_days")
    op.drop_index("ix_trending_featured", table_name="trending")
    op.drop_table("trending")
