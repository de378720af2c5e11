"""segments, budgets, promo codes, redemption limits (R-seg, R-budget, R-code, R-redeem)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 04:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SHOP_WINDOWS = (
    ("repeat_days", "30"),
    ("lapsed_active_days", "365"),
    ("lapsed_quiet_days", "90"),
    ("follower_days", "30"),
)


def upgrade() -> None:
    with op.batch_alter_table("shop", schema=None) as batch_op:
        for name, default in _SHOP_WINDOWS:
            batch_op.add_column(
                sa.Column(name, sa.Integer(), nullable=False, server_default=default)
            )
    with op.batch_alter_table("voucher", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "segment",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                nullable=False,
                server_default="all",
            )
        )
        batch_op.add_column(
            sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True)
        )
        batch_op.add_column(sa.Column("budget", sa.BigInteger(), nullable=True))
        for name in ("budget_hold", "budget_spent", "budget_reserved"):
            batch_op.add_column(
                sa.Column(name, sa.BigInteger(), nullable=False, server_default="0")
            )
        batch_op.add_column(sa.Column("redemption_limit", sa.Integer(), nullable=True))
        batch_op.create_index("ix_voucher_shop_code", ["shop_id", "code"], unique=False)
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reserved", sa.BigInteger(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("shoporder", schema=None) as batch_op:
        batch_op.create_index(
            "ix_order_shop_buyer_created",
            ["shop_id", "buyer_id", "created_at", "status"],
            unique=False,
        )
    with op.batch_alter_table("followevent", schema=None) as batch_op:
        batch_op.create_index(
            "ix_follow_event_buyer", ["shop_id", "buyer_id", "counted", "at"], unique=False
        )
    op.create_table(
        "codeguess",
        sa.Column("who", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("minute", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("wrong", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("who", "minute"),
    )


def downgrade() -> None:
    op.drop_table("codeguess")
    with op.batch_alter_table("followevent", schema=None) as batch_op:
        batch_op.drop_index("ix_follow_event_buyer")
    with op.batch_alter_table("shoporder", schema=None) as batch_op:
        batch_op.drop_index("ix_order_shop_buyer_created")
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_column("reserved")
    with op.batch_alter_table("voucher", schema=None) as batch_op:
        batch_op.drop_index("ix_voucher_shop_code")
        for name in (
            "redemption_limit",
            "budget_reserved",
            "budget_spent",
            "budget_hold",
            "budget",
            "code",
            "segment",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("shop", schema=None) as batch_op:
        for name, _default in reversed(_SHOP_WINDOWS):
            batch_op.drop_column(name)
