"""draw beacon and integrity (R-draw4, R-draw5): the drand round of each draw; the service's
own idempotency keys moved to their namespace

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 04:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# core.services.claims.SERVICE_KEY_MARK: the service's own keys start with U+001F, which no
# client Idempotency-Key may contain (R-draw5).
_MARKED = "{mark} || idempotency_key"
_DRAW_KEY = "idempotency_key = 'draw:' || CAST(distribution_id AS VARCHAR) || ':' || buyer_id"


def upgrade() -> None:
    with op.batch_alter_table("draw", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("beacon_chain", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(sa.Column("beacon_round", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("beacon_status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "beacon_signature", sqlmodel.sql.sqltypes.AutoString(length=96), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "beacon_randomness", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("beacon_retry_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
    # The claims draws gave before this revision carry `draw:<distribution>:<buyer>` in the
    # clients' key space: they move to the service's.
    mark = "chr(31)" if op.get_bind().dialect.name == "postgresql" else "char(31)"
    op.execute(
        f"UPDATE claim SET idempotency_key = {_MARKED.format(mark=mark)} "
        f"WHERE distribution_id IS NOT NULL AND {_DRAW_KEY} "
        "AND distribution_id IN (SELECT distribution_id FROM draw)"
    )


def downgrade() -> None:
    mark = "chr(31)" if op.get_bind().dialect.name == "postgresql" else "char(31)"
    op.execute(
        "UPDATE claim SET idempotency_key = substr(idempotency_key, 2) "
        f"WHERE substr(idempotency_key, 1, 1) = {mark}"
    )
    with op.batch_alter_table("draw", schema=None) as batch_op:
        batch_op.drop_column("beacon_retry_at")
        batch_op.drop_column("beacon_randomness")
        batch_op.drop_column("beacon_signature")
        batch_op.drop_column("beacon_status")
        batch_op.drop_column("beacon_round")
        batch_op.drop_column("beacon_chain")
