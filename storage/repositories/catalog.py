"""Products and vouchers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, delete, func, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import (
    Claim,
    Product,
    Shop,
    ShopOrder,
    Voucher,
    VoucherBuyer,
    VoucherProduct,
)
from storage.repositories._common import _all, _first, _insert, _storable_id
from storage.sql import changed_rows

# --- products -----------------------------------------------------------------------------


async def get_product(session: AsyncSession, shop_id: int, product_id: str) -> Product | None:
    return await _first(
        session,
        select(Product).where(Product.shop_id == shop_id, Product.product_id == product_id),
    )


async def products_by_ids(
    session: AsyncSession, shop_id: int, product_ids: Iterable[str]
) -> list[Product]:
    ids = list(product_ids)
    if not ids:
        return []
    return await _all(
        session,
        select(Product).where(Product.shop_id == shop_id, col(Product.product_id).in_(ids)),
    )


async def search_products(
    session: AsyncSession,
    shop_id: int,
    *,
    query: str | None,
    category: str | None,
    limit: int,
    after_id: int | None,
) -> list[Product]:
    stmt = select(Product).where(Product.shop_id == shop_id)
    if query:
        like = f"%{_like_literal(query.lower())}%"
        stmt = stmt.where(
            or_(
                func.lower(Product.name).like(like, escape="\\"),
                func.lower(Product.product_id).like(like, escape="\\"),
            )
        )
    if category:
        stmt = stmt.where(func.lower(Product.category) == category.lower())
    if after_id is not None:
        stmt = stmt.where(col(Product.id) > after_id)
    return await _all(session, stmt.order_by(col(Product.id)).limit(limit))


def _like_literal(text: str) -> str:
    """`%`, `_` and `\\` typed by a person are text, not LIKE wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def first_priced_record_kind(session: AsyncSession, shop_id: int) -> str | None:
    """R-money-change: `vouchers`, `products` or `orders` when the shop holds amounts already."""
    tables: tuple[tuple[str, Any], ...] = (
        ("vouchers", Voucher),
        ("products", Product),
        ("orders", ShopOrder),
    )
    for kind, table in tables:
        stmt = select(table.id).where(table.shop_id == shop_id).limit(1)
        if (await session.execute(stmt)).first() is not None:
            return kind
    return None


async def product_categories(session: AsyncSession, shop_id: int) -> list[str]:
    stmt = (
        select(Product.category)
        .where(Product.shop_id == shop_id, Product.category != "")
        .distinct()
        .order_by(Product.category)
    )
    return list((await session.execute(stmt)).scalars().all())


async def upsert_product(
    session: AsyncSession, shop_id: int, product_id: str, values: dict[str, Any]
) -> None:
    stmt = _insert(session, Product).values(shop_id=shop_id, product_id=product_id, **values)
    stmt = stmt.on_conflict_do_update(index_elements=["shop_id", "product_id"], set_=values)
    await session.execute(stmt)


# --- vouchers -----------------------------------------------------------------------------


async def get_voucher(
    session: AsyncSession, shop_id: int, voucher_id: int, *, lock: bool = False
) -> Voucher | None:
    if not _storable_id(voucher_id):
        return None
    stmt = select(Voucher).where(Voucher.id == voucher_id, Voucher.shop_id == shop_id)
    if lock:
        stmt = stmt.with_for_update()
    return await _first(session, stmt)


async def claim_target(session: AsyncSession, voucher_id: int) -> dict[str, Any] | None:
    """The voucher fields a claim decision reads, with the shop's team chat."""
    if not _storable_id(voucher_id):
        return None
    stmt = (
        select(Voucher, Shop.team_chat_id, Shop)
        .join(Shop, col(Shop.id) == col(Voucher.shop_id))
        .where(Voucher.id == voucher_id)
    )
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    v, team_chat_id, shop = row
    windows = (
        shop.repeat_days,
        shop.lapsed_active_days,
        shop.lapsed_quiet_days,
        shop.follower_days,
    )
    return {
        "voucher_id": v.id,
        "shop_id": v.shop_id,
        "name": v.name,
        "kind": v.kind,
        "starts_at": v.starts_at,
        "ends_at": v.ends_at,
        "deactivated_at": v.deactivated_at,
        "per_customer_limit": v.per_customer_limit,
        "total_quantity": v.total_quantity,
        "claimed": v.claimed,
        "redeem_until": v.redeem_until,
        "valid_days": v.valid_days,
        "team_chat_id": team_chat_id,
        "segment": v.segment,
        "windows": windows,
    }


async def voucher_product_ids(session: AsyncSession, voucher_id: int) -> list[str]:
    stmt = (
        select(VoucherProduct.product_id)
        .where(VoucherProduct.voucher_id == voucher_id)
        .order_by(VoucherProduct.product_id)
    )
    return list((await session.execute(stmt)).scalars().all())


async def product_ids_of_vouchers(
    session: AsyncSession, voucher_ids: Iterable[int]
) -> dict[int, list[str]]:
    ids = list(set(voucher_ids))
    out: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return out
    stmt = select(VoucherProduct).where(col(VoucherProduct.voucher_id).in_(ids))
    for row in await _all(session, stmt):
        out[row.voucher_id].append(row.product_id)
    for pids in out.values():
        pids.sort()
    return out


async def replace_voucher_products(
    session: AsyncSession, voucher_id: int, product_ids: Sequence[str]
) -> None:
    await session.execute(
        delete(VoucherProduct).where(col(VoucherProduct.voucher_id) == voucher_id)
    )
    session.add_all(VoucherProduct(voucher_id=voucher_id, product_id=p) for p in product_ids)


# the statement's own type back (a `select(Voucher)` stays a select of vouchers)
_S = TypeVar("_S", bound=Select[Any])


def _status_filter(stmt: _S, status: str, now: datetime) -> _S:
    active = col(Voucher.deactivated_at).is_(None)
    if status == "deactivated":
        return stmt.where(col(Voucher.deactivated_at).is_not(None))
    if status == "upcoming":
        return stmt.where(active, col(Voucher.starts_at) > now)
    if status == "ongoing":
        return stmt.where(active, col(Voucher.starts_at) <= now, col(Voucher.ends_at) > now)
    if status == "ended":
        return stmt.where(active, col(Voucher.ends_at) <= now)
    raise ValueError(status)


async def list_vouchers(
    session: AsyncSession,
    shop_id: int,
    *,
    now: datetime,
    status: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    after_id: int | None = None,
) -> list[Voucher]:
    stmt = select(Voucher).where(Voucher.shop_id == shop_id)
    if status:
        stmt = _status_filter(stmt, status, now)
    if kind:
        stmt = stmt.where(Voucher.kind == kind)
    if after_id is not None:
        stmt = stmt.where(col(Voucher.id) > after_id)
    return await _all(session, stmt.order_by(col(Voucher.id)).limit(limit))


async def raise_quantity(
    session: AsyncSession, voucher_id: int, new_total: int, now: datetime
) -> bool:
    """Sets a larger total_quantity atomically; never lowers it (R-v10)."""
    result = await session.execute(
        update(Voucher)
        .where(col(Voucher.id) == voucher_id, col(Voucher.total_quantity) <= new_total)
        .values(total_quantity=new_total, updated_at=now)
    )
    return changed_rows(result) == 1


async def buyers_at_limit(session: AsyncSession, voucher_id: int, limit: int) -> set[str]:
    stmt = select(VoucherBuyer.buyer_id).where(
        VoucherBuyer.voucher_id == voucher_id, VoucherBuyer.claims >= limit
    )
    return set((await session.execute(stmt)).scalars().all())


async def buyer_claim_count(session: AsyncSession, voucher_id: int, buyer_id: str) -> int:
    stmt = select(VoucherBuyer.claims).where(
        VoucherBuyer.voucher_id == voucher_id, VoucherBuyer.buyer_id == buyer_id
    )
    return int((await session.execute(stmt)).scalar() or 0)


async def add_redeemed(session: AsyncSession, voucher_id: int, delta: int) -> None:
    await session.execute(
        update(Voucher)
        .where(col(Voucher.id) == voucher_id)
        .values(redeemed=col(Voucher.redeemed) + delta)
    )


async def void_claims_of_voucher(session: AsyncSession, voucher_id: int) -> int:
    """R-v11; the void claims give their budget reservations back (R-budget)."""
    from storage.targeting_queries import end_claims

    return await end_claims(session, [col(Claim.voucher_id) == voucher_id], "void")
