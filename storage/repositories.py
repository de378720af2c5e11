"""Queries and statements the core services use; the only place with SQL.

Every function takes the session of the caller's transaction, so a service decides what
happens atomically and these functions only say how to read or write it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import (
    Account,
    ApiKey,
    AppliedEffect,
    Claim,
    Distribution,
    FollowEvent,
    Invite,
    LivePanel,
    LiveSession,
    Notification,
    OrderLine,
    Product,
    Shop,
    ShopOrder,
    TimedDrop,
    UserLanguage,
    Voucher,
    VoucherBuyer,
    VoucherProduct,
    WatchRecord,
)

# Ids are 32-bit integer columns: a larger number names no row (and PostgreSQL would refuse
# to compare with it), so lookups answer "not found" without asking.
MAX_ID = 2**31 - 1


def _storable_id(value: int) -> bool:
    return isinstance(value, int) and 0 < value <= MAX_ID


def _insert(session: AsyncSession, table: Any) -> Any:
    """The dialect's INSERT (for ON CONFLICT), on a session or a bare connection."""
    bind = getattr(session, "bind", None) or session
    dialect = bind.dialect.name  # type: ignore[union-attr]
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


async def _first(session: AsyncSession, stmt: Select[Any]) -> Any:
    return (await session.execute(stmt)).scalars().first()


async def _all(session: AsyncSession, stmt: Select[Any]) -> list[Any]:
    return list((await session.execute(stmt)).scalars().all())


# --- shops and accounts -------------------------------------------------------------------


async def get_shop(session: AsyncSession, shop_id: int, *, lock: bool = False) -> Shop | None:
    if not _storable_id(shop_id):
        return None
    stmt = select(Shop).where(Shop.id == shop_id)
    if lock:
        stmt = stmt.with_for_update()
    return await _first(session, stmt)


async def active_account_of_user(session: AsyncSession, telegram_user_id: int) -> Account | None:
    return await _first(
        session,
        select(Account).where(
            Account.telegram_user_id == telegram_user_id, col(Account.unlinked_at).is_(None)
        ),
    )


async def get_account(session: AsyncSession, shop_id: int, account_id: int) -> Account | None:
    if not _storable_id(account_id):
        return None
    return await _first(
        session, select(Account).where(Account.id == account_id, Account.shop_id == shop_id)
    )


async def active_accounts(session: AsyncSession, shop_id: int) -> list[Account]:
    return await _all(
        session,
        select(Account)
        .where(Account.shop_id == shop_id, col(Account.unlinked_at).is_(None))
        .order_by(col(Account.id)),
    )


async def account_by_handle(session: AsyncSession, shop_id: int, handle: str) -> Account | None:
    """The active account with this (normalised, R-api2) platform handle."""
    return await _first(
        session,
        select(Account)
        .where(
            Account.shop_id == shop_id,
            Account.platform_handle == handle,
            col(Account.unlinked_at).is_(None),
        )
        .order_by(col(Account.id))
        .limit(1),
    )


async def count_active_role(session: AsyncSession, shop_id: int, role: str) -> int:
    stmt = select(func.count()).where(
        Account.shop_id == shop_id, Account.role == role, col(Account.unlinked_at).is_(None)
    )
    return int((await session.execute(stmt)).scalar_one())


async def get_invite(session: AsyncSession, token: str) -> Invite | None:
    return await _first(session, select(Invite).where(Invite.token == token))


async def use_invite(session: AsyncSession, invite_id: int, account_id: int, now: datetime) -> bool:
    result = await session.execute(
        update(Invite)
        .where(col(Invite.id) == invite_id, col(Invite.used_at).is_(None))
        .values(used_at=now, used_by_account_id=account_id)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


# --- API keys -----------------------------------------------------------------------------


async def api_key_by_key_id(session: AsyncSession, key_id: str) -> ApiKey | None:
    return await _first(session, select(ApiKey).where(ApiKey.key_id == key_id))


async def api_keys_of_shop(session: AsyncSession, shop_id: int) -> list[ApiKey]:
    return await _all(
        session, select(ApiKey).where(ApiKey.shop_id == shop_id).order_by(col(ApiKey.id))
    )


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
    windows = (shop.repeat_days, shop.lapsed_active_days, shop.lapsed_quiet_days)
    windows += (shop.follower_days,)
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


def _status_filter(stmt: Select[Any], status: str, now: datetime) -> Select[Any]:
    active = col(Voucher.deactivated_at).is_(None)
    if status == "deactivated":
        return stmt.where(col(Voucher.deactivated_at).is_not(None))
    if status == "upcoming":
        return stmt.where(active, Voucher.starts_at > now)
    if status == "ongoing":
        return stmt.where(active, Voucher.starts_at <= now, Voucher.ends_at > now)
    if status == "ended":
        return stmt.where(active, Voucher.ends_at <= now)
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
    return result.rowcount == 1  # type: ignore[attr-defined]


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


# --- live sessions, watch time, follows, distributions ------------------------------------


async def get_session(session: AsyncSession, shop_id: int, session_id: int) -> LiveSession | None:
    if not _storable_id(session_id):
        return None
    return await _first(
        session,
        select(LiveSession).where(LiveSession.id == session_id, LiveSession.shop_id == shop_id),
    )


async def active_session_of_account(session: AsyncSession, account_id: int) -> LiveSession | None:
    return await _first(
        session,
        select(LiveSession).where(
            LiveSession.account_id == account_id, col(LiveSession.ended_at).is_(None)
        ),
    )


async def list_sessions(
    session: AsyncSession,
    shop_id: int,
    *,
    active: bool | None,
    limit: int,
    after_id: int | None,
) -> list[LiveSession]:
    stmt = select(LiveSession).where(LiveSession.shop_id == shop_id)
    if active is True:
        stmt = stmt.where(col(LiveSession.ended_at).is_(None))
    elif active is False:
        stmt = stmt.where(col(LiveSession.ended_at).is_not(None))
    if after_id is not None:
        stmt = stmt.where(col(LiveSession.id) > after_id)
    return await _all(session, stmt.order_by(col(LiveSession.id)).limit(limit))


async def end_session(session: AsyncSession, session_id: int, now: datetime) -> bool:
    result = await session.execute(
        update(LiveSession)
        .where(col(LiveSession.id) == session_id, col(LiveSession.ended_at).is_(None))
        .values(ended_at=now)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


async def record_watch(
    session: AsyncSession, session_id: int, buyer_id: str, seconds: int, now: datetime
) -> int:
    """Keeps the maximum reported cumulative watch time; returns it."""
    table = WatchRecord.__table__  # type: ignore[attr-defined]
    stmt = _insert(session, WatchRecord).values(
        session_id=session_id, buyer_id=buyer_id, watched_seconds=seconds, updated_at=now
    )
    excluded = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=["session_id", "buyer_id"],
        set_={
            "watched_seconds": func.max(table.c.watched_seconds, excluded.watched_seconds)
            if session.bind.dialect.name == "sqlite"  # type: ignore[union-attr]
            else func.greatest(table.c.watched_seconds, excluded.watched_seconds),
            "updated_at": now,
        },
    ).returning(table.c.watched_seconds)
    return int((await session.execute(stmt)).scalar_one())


async def watched_seconds(session: AsyncSession, session_id: int, buyer_id: str) -> int:
    stmt = select(WatchRecord.watched_seconds).where(
        WatchRecord.session_id == session_id, WatchRecord.buyer_id == buyer_id
    )
    return int((await session.execute(stmt)).scalar() or 0)


async def last_counted_follow(
    session: AsyncSession, shop_id: int, host: str, buyer_id: str, *, before: datetime | None = None
) -> datetime | None:
    stmt = select(func.max(FollowEvent.at)).where(
        FollowEvent.shop_id == shop_id,
        FollowEvent.host_handle == host,
        FollowEvent.buyer_id == buyer_id,
        col(FollowEvent.counted).is_(True),
    )
    if before is not None:
        stmt = stmt.where(FollowEvent.at <= before)
    return (await session.execute(stmt)).scalar()


async def latest_follow_event(
    session: AsyncSession, shop_id: int, host: str, buyer_id: str
) -> FollowEvent | None:
    return await _first(
        session,
        select(FollowEvent)
        .where(
            FollowEvent.shop_id == shop_id,
            FollowEvent.host_handle == host,
            FollowEvent.buyer_id == buyer_id,
        )
        .order_by(col(FollowEvent.at).desc(), col(FollowEvent.id).desc())
        .limit(1),
    )


async def get_distribution(
    session: AsyncSession, shop_id: int, distribution_id: int
) -> Distribution | None:
    if not _storable_id(distribution_id):
        return None
    return await _first(
        session,
        select(Distribution).where(
            Distribution.id == distribution_id, Distribution.shop_id == shop_id
        ),
    )


async def active_distribution_of_voucher(
    session: AsyncSession, voucher_id: int
) -> Distribution | None:
    return await _first(
        session,
        select(Distribution).where(
            Distribution.voucher_id == voucher_id, col(Distribution.stopped_at).is_(None)
        ),
    )


async def active_distributions(
    session: AsyncSession,
    *,
    shop_id: int | None = None,
    session_ids: Iterable[int] | None = None,
    account_id: int | None = None,
    voucher_id: int | None = None,
) -> list[Distribution]:
    stmt = select(Distribution).where(col(Distribution.stopped_at).is_(None))
    if shop_id is not None:
        stmt = stmt.where(Distribution.shop_id == shop_id)
    if session_ids is not None:
        stmt = stmt.where(col(Distribution.session_id).in_(list(session_ids)))
    if account_id is not None:
        stmt = stmt.where(Distribution.account_id == account_id)
    if voucher_id is not None:
        stmt = stmt.where(Distribution.voucher_id == voucher_id)
    return await _all(session, stmt.order_by(col(Distribution.id)))


async def stop_distribution(
    session: AsyncSession, distribution_id: int, now: datetime, reason: str
) -> bool:
    result = await session.execute(
        update(Distribution)
        .where(col(Distribution.id) == distribution_id, col(Distribution.stopped_at).is_(None))
        .values(stopped_at=now, stop_reason=reason)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


async def claims_in_session(session: AsyncSession, session_id: int) -> int:
    stmt = select(func.count()).where(Claim.session_id == session_id)
    return int((await session.execute(stmt)).scalar_one())


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
    return {v.id: v for v in rows}  # type: ignore[misc]


async def redeem_claim(session: AsyncSession, claim_id: int, order_ref: int) -> bool:
    result = await session.execute(
        update(Claim)
        .where(col(Claim.id) == claim_id, col(Claim.status) == "claimed")
        .values(status="redeemed", order_ref=order_ref)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


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
    return result.rowcount == 1  # type: ignore[attr-defined]


async def record_effect(session: AsyncSession, key: str, now: datetime) -> bool:
    """True the first time a scheduled effect is recorded, False on every later attempt."""
    stmt = _insert(session, AppliedEffect).values(key=key, applied_at=now)
    stmt = stmt.on_conflict_do_nothing(index_elements=["key"])
    result = await session.execute(stmt)
    return result.rowcount == 1  # type: ignore[attr-defined]


# --- timed drops and live panels (R-drop1, R-live5) ---------------------------------------


async def get_drop(
    session: AsyncSession, shop_id: int, drop_id: int, *, lock: bool = False
) -> TimedDrop | None:
    if not _storable_id(drop_id):
        return None
    stmt = select(TimedDrop).where(TimedDrop.id == drop_id, TimedDrop.shop_id == shop_id)
    return await _first(session, stmt.with_for_update() if lock else stmt)


async def drop_for_firing(session: AsyncSession, drop_id: int) -> TimedDrop | None:
    """The drop row, locked on PostgreSQL so two processes firing it take turns (the second
    then sees it settled); SQLite write transactions are serial anyway."""
    stmt = select(TimedDrop).where(TimedDrop.id == drop_id).with_for_update()
    return await _first(session, stmt)


async def drops_of_session(
    session: AsyncSession, session_ids: Iterable[int], *, pending_only: bool = False
) -> list[TimedDrop]:
    stmt = select(TimedDrop).where(col(TimedDrop.session_id).in_(list(session_ids)))
    if pending_only:
        stmt = stmt.where(TimedDrop.status == "pending")
    return await _all(session, stmt.order_by(col(TimedDrop.at), col(TimedDrop.id)))


async def count_pending_drops(session: AsyncSession, session_id: int) -> int:
    stmt = select(func.count()).where(
        TimedDrop.session_id == session_id, TimedDrop.status == "pending"
    )
    return int((await session.execute(stmt)).scalar_one())


async def pending_drops(session: AsyncSession) -> list[TimedDrop]:
    """Every pending drop of every shop, soonest first: what the scheduler owes."""
    stmt = select(TimedDrop).where(TimedDrop.status == "pending")
    return await _all(session, stmt.order_by(col(TimedDrop.at), col(TimedDrop.id)))


async def settle_drop(
    session: AsyncSession,
    drop_id: int,
    status: str,
    now: datetime,
    *,
    reason: str | None = None,
    distribution_id: int | None = None,
) -> bool:
    """pending → fired|failed|cancelled, once: False when the drop was already settled."""
    result = await session.execute(
        update(TimedDrop)
        .where(col(TimedDrop.id) == drop_id, col(TimedDrop.status) == "pending")
        .values(status=status, settled_at=now, reason=reason, distribution_id=distribution_id)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


async def cancel_pending_drops(
    session: AsyncSession, session_id: int, now: datetime, reason: str
) -> list[int]:
    """Cancels a session's pending drops in one statement; returns the ids it cancelled. On
    PostgreSQL it waits for a drop being fired (its row is locked) and then skips it."""
    result = await session.execute(
        update(TimedDrop)
        .where(col(TimedDrop.session_id) == session_id, col(TimedDrop.status) == "pending")
        .values(status="cancelled", settled_at=now, reason=reason)
        .returning(col(TimedDrop.id))
    )
    return [int(i) for i in result.scalars()]


async def get_panel(session: AsyncSession, session_id: int) -> LivePanel | None:
    return await _first(session, select(LivePanel).where(LivePanel.session_id == session_id))


async def add_panel(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Records a posted panel unless the session already has one (one panel per session)."""
    stmt = _insert(session, LivePanel).values(**values)
    stmt = stmt.on_conflict_do_nothing(index_elements=["session_id"])
    result = await session.execute(stmt)
    return result.rowcount == 1  # type: ignore[attr-defined]


async def update_panel(session: AsyncSession, session_id: int, **values: Any) -> None:
    await session.execute(
        update(LivePanel).where(col(LivePanel.session_id) == session_id).values(**values)
    )


async def panels_to_tend(session: AsyncSession) -> list[tuple[LiveSession, LivePanel | None]]:
    """Sessions whose panel needs the leader: active ones (with or without a panel yet) and
    ended ones whose panel is not yet the summary."""
    stmt = (
        select(LiveSession, LivePanel)
        .outerjoin(LivePanel, col(LivePanel.session_id) == col(LiveSession.id))
        .where(
            or_(
                col(LiveSession.ended_at).is_(None),
                (col(LivePanel.session_id).is_not(None)) & col(LivePanel.closed_at).is_(None),
            )
        )
        .order_by(col(LiveSession.id))
    )
    return [(row[0], row[1]) for row in (await session.execute(stmt)).all()]


async def lock_live_session(
    session: AsyncSession, shop_id: int, session_id: int
) -> LiveSession | None:
    """The session row, locked on PostgreSQL: what serializes counting its pending drops."""
    if not _storable_id(session_id):
        return None
    stmt = (
        select(LiveSession)
        .where(LiveSession.id == session_id, LiveSession.shop_id == shop_id)
        .with_for_update()
    )
    return await _first(session, stmt)


async def claims_by_distribution(session: AsyncSession, ids: Sequence[int]) -> dict[int, int]:
    """Claims made through each distribution (the panel's "claims in this session")."""
    if not ids:
        return {}
    stmt = (
        select(Claim.distribution_id, func.count())
        .where(col(Claim.distribution_id).in_(list(ids)))
        .group_by(col(Claim.distribution_id))
    )
    return {int(k): int(n) for k, n in (await session.execute(stmt)).all()}


async def session_by_id(session: AsyncSession, session_id: int) -> LiveSession | None:
    if not _storable_id(session_id):
        return None
    return await _first(session, select(LiveSession).where(LiveSession.id == session_id))


async def panel_by_message(
    session: AsyncSession, chat_id: int, message_id: int
) -> LivePanel | None:
    return await _first(
        session,
        select(LivePanel).where(LivePanel.chat_id == chat_id, LivePanel.message_id == message_id),
    )


async def seller_of_shop(session: AsyncSession, shop_id: int) -> Account | None:
    return await _first(
        session,
        select(Account)
        .where(
            Account.shop_id == shop_id,
            Account.role == "seller",
            col(Account.unlinked_at).is_(None),
        )
        .order_by(col(Account.id))
        .limit(1),
    )


# --- languages (R-l10n1) ---------------------------------------------------------------------


async def user_language(session: AsyncSession, telegram_user_id: int) -> str | None:
    row = await session.get(UserLanguage, telegram_user_id)
    return row.language if row is not None else None


async def set_user_language(
    session: AsyncSession, telegram_user_id: int, language: str, now: datetime
) -> None:
    """One row per person: a later choice replaces the earlier one (an upsert, no race)."""
    values = {"telegram_user_id": telegram_user_id, "language": language, "updated_at": now}
    stmt = (
        _insert(session, UserLanguage)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["telegram_user_id"],
            set_={"language": language, "updated_at": now},
        )
    )
    await session.execute(stmt)
