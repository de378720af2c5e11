"""Queries of the API's read-backs and catalog upkeep (R-api4)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.api_models import RateWindow
from storage.models import Claim, Product, Voucher, VoucherProduct
from storage.sql import changed_rows, table_of


async def claims_per_session(session: AsyncSession, session_ids: Iterable[int]) -> dict[int, int]:
    ids = list(session_ids)
    if not ids:
        return {}
    stmt = (
        select(col(Claim.session_id), func.count())
        .where(col(Claim.session_id).in_(ids))
        .group_by(col(Claim.session_id))
    )
    counts = {int(sid): int(n) for sid, n in (await session.execute(stmt)).all()}
    return {sid: counts.get(sid, 0) for sid in ids}


async def voucher_scoping(
    session: AsyncSession, shop_id: int, product_id: str, now: datetime
) -> int | None:
    """A voucher of the shop that scopes this product and can still be claimed or redeemed
    (not deactivated; not ended, or its claims not yet past a fixed `redeem_until`)."""
    stmt = (
        select(col(Voucher.id))
        .join(VoucherProduct, col(VoucherProduct.voucher_id) == col(Voucher.id))
        .where(
            col(Voucher.shop_id) == shop_id,
            col(VoucherProduct.product_id) == product_id,
            col(Voucher.deactivated_at).is_(None),
            or_(
                col(Voucher.ends_at) > now,
                col(Voucher.redeem_until).is_(None),
                col(Voucher.redeem_until) > now,
            ),
        )
        .order_by(col(Voucher.id))
        .limit(1)
    )
    return (await session.execute(stmt)).scalar()


async def delete_product(session: AsyncSession, shop_id: int, product_id: str) -> bool:
    result = await session.execute(
        delete(Product).where(
            col(Product.shop_id) == shop_id, col(Product.product_id) == product_id
        )
    )
    return changed_rows(result) == 1


async def lease_rate(session: AsyncSession, bucket: str, window: int, n: int) -> int:
    """R-api6: adds `n` to a window's count, atomically across processes; the new count."""
    from storage.repositories import _insert

    table = table_of(RateWindow)
    stmt = _insert(session, table).values(bucket=bucket, window=window, used=n)
    stmt = stmt.on_conflict_do_update(
        index_elements=["bucket", "window"], set_={"used": table.c.used + n}
    ).returning(table.c.used)
    return int((await session.execute(stmt)).scalar_one())


async def purge_rate_windows(session: AsyncSession, before: int) -> None:
    await session.execute(delete(RateWindow).where(col(RateWindow.window) < before))
