"""lucky draws: draw and drawentry (R-draw1–R-draw3)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 23:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = '0004'
# Re-chained after the drops migration ('0003') when the branches are merged.
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('draw',
    sa.Column('distribution_id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('voucher_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('winners', sa.Integer(), nullable=False),
    sa.Column('entry_minutes', sa.Integer(), nullable=False),
    sa.Column('opened_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closes_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('seed', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('commitment', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('lease_until', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('drawn_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('claims_made', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Text(), nullable=True),
    sa.Column('cancel_reason', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.ForeignKeyConstraint(['distribution_id'], ['distribution.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['livesession.id'], ),
    sa.ForeignKeyConstraint(['shop_id'], ['shop.id'], ),
    sa.ForeignKeyConstraint(['voucher_id'], ['voucher.id'], ),
    sa.PrimaryKeyConstraint('distribution_id')
    )
    with op.batch_alter_table('draw', schema=None) as batch_op:
        batch_op.create_index('ix_draw_shop_session', ['shop_id', 'session_id'], unique=False)
        batch_op.create_index('ix_draw_shop_voucher', ['shop_id', 'voucher_id'], unique=False)
        batch_op.create_index('ix_draw_status_closes', ['status', 'closes_at'], unique=False)

    op.create_table('drawentry',
    sa.Column('distribution_id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('entered_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['distribution_id'], ['draw.distribution_id'], ),
    sa.PrimaryKeyConstraint('distribution_id', 'buyer_id')
    )


def downgrade() -> None:
    op.drop_table('drawentry')
    with op.batch_alter_table('draw', schema=None) as batch_op:
        batch_op.drop_index('ix_draw_status_closes')
        batch_op.drop_index('ix_draw_shop_voucher')
        batch_op.drop_index('ix_draw_shop_session')
    op.drop_table('draw')
