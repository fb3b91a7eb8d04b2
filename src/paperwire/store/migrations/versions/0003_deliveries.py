"""The delivery ledger: one digest per subscriber and window, and the papers each carried.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)
_LIVE = sa.text("state != 'failed'")


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("subscriber", sa.String(320), nullable=False),
        sa.Column("window_from", sa.Date(), nullable=False),
        sa.Column("window_to", sa.Date(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("papers", sa.Integer(), nullable=False),
        sa.Column("transport", sa.String(16)),
        sa.Column("reply", sa.Text()),
        sa.Column("message", sa.LargeBinary()),
        sa.Column("claimed_by", sa.String(128)),
        sa.Column("claimed_at", _TZ),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.Column("sent_at", _TZ),
    )
    # One live digest per subscriber and window start; a failed one leaves its days free.
    op.create_index(
        "uq_deliveries_window",
        "deliveries",
        ["subscriber", "window_from"],
        unique=True,
        sqlite_where=_LIVE,
        postgresql_where=_LIVE,
    )
    op.create_index("ix_deliveries_state", "deliveries", ["state"])
    op.create_index("ix_deliveries_message_id", "deliveries", ["message_id"])
    op.create_table(
        "delivery_papers",
        sa.Column(
            "delivery_id",
            sa.Integer(),
            sa.ForeignKey("deliveries.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("arxiv_id", sa.String(64), primary_key=True),
        sa.Column("subscriber", sa.String(320), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
    )
    op.create_index("ix_delivery_papers_subscriber", "delivery_papers", ["subscriber", "arxiv_id"])


def downgrade() -> None:
    op.drop_table("delivery_papers")
    op.drop_table("deliveries")
