"""team chat state: the forum topic of the team chat, its pause while the bot is out of it, and
the people who blocked the bot (issue 25)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 04:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "blockedchat",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("blocked_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id"),
    )
    with op.batch_alter_table("shop", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_thread_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("team_paused_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("shop", schema=None) as batch_op:
        batch_op.drop_column("team_paused_at")
        batch_op.drop_column("team_thread_id")
    op.drop_table("blockedchat")
