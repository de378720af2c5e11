"""Tables of the HTTP API's own machinery (R-c2's generic Idempotency-Key, R-api6's limits)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class IdempotencyRecord(SQLModel, table=True):
    """One Idempotency-Key of a shop: the request it was first sent with (`fingerprint`) and,
    once answered, that answer (`status` 0 while the first request is still running)."""

    shop_id: int = Field(foreign_key="shop.id", primary_key=True)
    key: str = Field(max_length=255, primary_key=True)
    fingerprint: str = Field(max_length=64)  # sha256 hex of method, path, query and body
    status: int = 0
    response: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(sa_type=UTCDateTime)


class RateWindow(SQLModel, table=True):
    """R-api6: requests counted per API key, route class and fixed window, across processes
    (each process leases a share of the window's allowance at a time)."""

    bucket: str = Field(max_length=80, primary_key=True)  # "<key id>:<route class>"
    window: int = Field(primary_key=True)  # window start, seconds since the epoch
    used: int = 0
