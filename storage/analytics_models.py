"""Tables that keep analytics fast (R-a1…R-a7) with 1,000,000 claims and 200,000 orders.

Both are written inside the transaction that causes them, so they always agree with the
claims and orders they summarise:

- `ClaimBucket`: claims counted per voucher, live session, host account and 15-minute bucket
  (one upsert in the claim transaction). Fifteen minutes divides every UTC offset in use, so
  buckets regroup exactly into any shop's local hours and days.
- `OrderFact`: one narrow row per order that redeemed a voucher, with the claim's attribution
  (session, account) and the voucher's kind copied in, so no figure needs a join; cancelling
  the order flags the row (R-o5).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime

_FIGURES = ("buyer_id", "created_at", "total", "discount")


class ClaimBucket(SQLModel, table=True):
    # Covering indexes: every read is served from one of them without touching the rows.
    __table_args__ = (
        Index(
            "ix_claimbucket_shop_bucket",
            "shop_id",
            "bucket",
            "voucher_id",
            "session_key",
            "account_key",
            "claims",
        ),
        Index("ix_claimbucket_shop_voucher", "shop_id", "voucher_id", "bucket", "claims"),
        Index("ix_claimbucket_session", "shop_id", "session_key", "voucher_id", "bucket", "claims"),
        Index("ix_claimbucket_account", "shop_id", "account_key", "bucket", "claims"),
    )

    voucher_id: int = Field(primary_key=True)
    session_key: int = Field(primary_key=True)  # live session id; 0 outside a session
    account_key: int = Field(primary_key=True)  # distributing account id; 0 when none
    bucket: datetime = Field(sa_type=UTCDateTime, primary_key=True)  # start, UTC
    shop_id: int
    claims: int = 0


class OrderFact(SQLModel, table=True):
    # Covering indexes, one per grouping: each keeps its group's buyers adjacent so distinct
    # buyers are counted in one ordered pass, and carries the money columns.
    __table_args__ = (
        Index("ix_orderfact_voucher", "shop_id", "cancelled", "voucher_id", *_FIGURES),
        Index("ix_orderfact_kind", "shop_id", "cancelled", "kind", *_FIGURES),
        Index("ix_orderfact_session", "shop_id", "cancelled", "session_id", *_FIGURES),
        Index("ix_orderfact_account", "shop_id", "cancelled", "account_id", *_FIGURES),
        Index("ix_orderfact_buyer", "shop_id", "cancelled", *_FIGURES),
        Index(
            "ix_orderfact_bucket",
            "shop_id",
            "cancelled",
            "bucket",
            "created_at",
            "total",
            "voucher_id",
            "session_id",
        ),
    )

    order_ref: int = Field(primary_key=True)  # ShopOrder.id
    shop_id: int
    voucher_id: int
    kind: str = Field(max_length=8)
    session_id: int | None = None
    account_id: int | None = None
    buyer_id: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
    bucket: datetime = Field(sa_type=UTCDateTime)
    total: int
    discount: int
    cancelled: bool = False
