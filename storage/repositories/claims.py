"""Claims, orders, notifications and applied effects."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import (
    AppliedEffect,
    Claim,
    Notification,
    OrderLine,
    ShopOrder,
    Voucher,
)
from storage.repositories._common import _all, _first, _insert, _storable_id
from storage.sql import changed_rows

# --- claims and orders --------------------------------------------------------------------


async def claim_by_idempotency_key(session: AsyncSession, shop_id: int, key: str) -> Claim | None:
    return await _first(
        session, select(Claim).where(Claim.shop_id == shop_id, Claim.idempotency_key == key)
    )


async def get_claim(session: AsyncSession, shop_id: int, claim_id: int) -> Claim | None:
    if not _storable_id(claim_id):
        return None
    return await _first(
        session, select(Claim).where(Claim.id == claim_id, Claim.shop_id == shop_id)
    )


async def buyer_claims(
    session: AsyncSession,
    shop_id: int,
    buyer_id: str,
    *,
    statuses: Sequence[str] | None = None,
    limit: int = 500,
    after_id: int | None = None,
) -> list[Claim]:
    stmt = select(Claim).where(Claim.shop_id == shop_id, Claim.buyer_id == buyer_id)
    if statuses:
        stmt = stmt.where(col(Claim.status).in_(list(statuses)))
    if after_id is not None:
        stmt = stmt.where(col(Claim.id) > after_id)
    return await _all(session, stmt.order_by(col(Claim.id)).limit(limit))


async def vouchers_by_ids(session: AsyncSession, ids: Iterable[int]) -> dict[int, Voucher]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = await _all(session, select(Voucher).where(col(Voucher.id).in_(wanted)))
    return {v.id: v for v in rows}


async def redeem_claim(session: AsyncSession, claim_id: int, order_ref: int) -> bool:
    result = await session.execute(
        update(Claim)
        .where(col(Claim.id) == claim_id, col(Claim.status) == "claimed")
        .values(status="redeemed", order_ref=order_ref)
    )
    return changed_rows(result) == 1


async def release_claim(session: AsyncSession, claim_id: int, status: str) -> None:
    await session.execute(
        update(Claim).where(col(Claim.id) == claim_id).values(status=status, order_ref=None)
    )


async def expire_claims(session: AsyncSession, now: datetime, voucher_id: int | None = None) -> int:
    """R-c3 at redeem_until; the expired claims give their budget reservations back."""
    from storage.targeting_queries import end_claims

    where = [col(Claim.redeem_until) < now]
    if voucher_id is not None:
        where.append(col(Claim.voucher_id) == voucher_id)
    return await end_claims(session, where, "expired")


async def get_order(session: AsyncSession, shop_id: int, order_id: str) -> ShopOrder | None:
    return await _first(
        session,
        select(ShopOrder).where(ShopOrder.shop_id == shop_id, ShopOrder.order_id == order_id),
    )


async def order_lines(session: AsyncSession, order_ref: int) -> list[OrderLine]:
    return await _all(
        session,
        select(OrderLine).where(OrderLine.order_ref == order_ref).order_by(col(OrderLine.line_no)),
    )


async def average_order_value(session: AsyncSession, shop_id: int, since: datetime) -> int | None:
    stmt = select(func.count(), func.coalesce(func.sum(ShopOrder.total), 0)).where(
        ShopOrder.shop_id == shop_id,
        ShopOrder.status == "placed",
        ShopOrder.created_at >= since,
    )
    count, total = (await session.execute(stmt)).one()
    if not count:
        return None
    return (2 * int(total) + int(count)) // (2 * int(count))  # rounded half up


# --- notifications and applied effects ----------------------------------------------------


async def add_notification(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Inserts one outbox row unless its event key was already written (never twice)."""
    stmt = _insert(session, Notification).values(**values)
    stmt = stmt.on_conflict_do_nothing(index_elements=["event_key"])
    result = await session.execute(stmt)
    return changed_rows(result) == 1


async def record_effect(session: AsyncSession, key: str, now: datetime) -> bool:
    """True the first time a scheduled effect is recorded, False on every later attempt."""
    stmt = _insert(session, AppliedEffect).values(key=key, applied_at=now)
    stmt = stmt.on_conflict_do_nothing(index_elements=["key"])
    result = await session.execute(stmt)
    return changed_rows(result) == 1
