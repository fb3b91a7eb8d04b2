"""What the readers' pages keep: 👍/👎 feedback, unsubscribed addresses, attempts counted to
limit abuse; a digest's papers keep their reasons and whether the channel showed them (the
rest are on the digest's page).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)
KEY_LENGTH = 255  # store.tables.KEY_LENGTH when this was written


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("subscriber", sa.String(320), primary_key=True),
        sa.Column("paper_id", sa.String(KEY_LENGTH), primary_key=True),
        sa.Column("vote", sa.Integer(), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
    )
    op.create_table(
        "unsubscribed",
        sa.Column("email", sa.String(320), primary_key=True),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
    )
    op.create_table(
        "web_attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("at", _TZ, nullable=False),
    )
    op.create_index("ix_web_attempts_key_at", "web_attempts", ["key", "at"])
    # Plain ADD COLUMNs (no table copy on either database): every earlier row was shown.
    op.add_column(
        "delivery_papers",
        sa.Column("shown", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.add_column("delivery_papers", sa.Column("reasons", sa.JSON()))


def downgrade() -> None:
    # Papers that were listed on a digest's page only were never received: they go.
    op.execute(f"DELETE FROM delivery_papers WHERE shown = {'false' if _pg() else '0'}")
    with op.batch_alter_table("delivery_papers") as batch:
        batch.drop_column("reasons")
        batch.drop_column("shown")
    op.drop_index("ix_web_attempts_key_at", table_name="web_attempts")
    op.drop_table("web_attempts")
    op.drop_table("unsubscribed")
    op.drop_table("feedback")


def _pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"
