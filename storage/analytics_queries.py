"""SQL of analytics and advice (docs/analytics.md): the aggregate upkeep and the reads.

Claims are counted from `ClaimBucket` for the whole 15-minute buckets inside a period and
from the `claim` table for the partial buckets at its edges (under 15 minutes each, read
through `ix_claim_shop_claimed_at`), so a period's figures are exact whatever its bounds.
Orders are read from `OrderFact`, which only holds orders that redeemed a voucher.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, false, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.analytics_models import ClaimBucket, OrderFact
from storage.models import Claim, Product, ShopOrder, Voucher, VoucherProduct
from storage.types import UTCDateTime

BUCKET = timedelta(minutes=15)

# What a figure can be grouped by: the API name, the ClaimBucket column, the Claim column.
_CLAIM_DIMENSIONS = {
    "voucher": (col(ClaimBucket.voucher_id), col(Claim.voucher_id)),
    "session": (col(ClaimBucket.session_key), col(Claim.session_id)),
    "account": (col(ClaimBucket.account_key), col(Claim.account_id)),
}
_ORDER_DIMENSIONS = {
    "voucher": col(OrderFact.voucher_id),
    "session": col(OrderFact.session_id),
    "account": col(OrderFact.account_id),
    "kind": col(OrderFact.kind),
}
Key = tuple[Any, ...]


@dataclass(frozen=True)
class OrderTotals:
    orders: int = 0
    revenue: int = 0
    discount: int = 0
    buyers: int = 0


@dataclass(frozen=True)
class _Only:
    """Filters of a claim count: one session, one voucher, groups that must be present."""

    session_id: int | None
    voucher_id: int | None
    present: list[str]


def bucket_start(at: datetime) -> datetime:
    """The start of the 15-minute bucket holding `at` (UTC)."""
    at = at.astimezone(UTC)
    return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)


def _ceil_bucket(at: datetime) -> datetime:
    start = bucket_start(at)
    return start if start == at else start + BUCKET


def _upsert(session: AsyncSession, table: Any) -> Any:
    dialect = session.bind.dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _key(value: Any) -> Any:
    """Claims outside a session or without an account are keyed 0 in ClaimBucket."""
    return None if value == 0 else value


# --- upkeep, inside the claim and order transactions --------------------------------------


async def record_order(session: AsyncSession, order: ShopOrder) -> None:
    """Copies an order that redeemed a claim, with the claim's attribution, in one statement."""
    if order.claim_id is None:
        return
    source = (
        select(
            literal(order.id),
            literal(order.shop_id),
            col(Claim.voucher_id),
            col(Voucher.kind),
            col(Claim.session_id),
            col(Claim.account_id),
            literal(order.buyer_id),
            # OrderFact's column type, so SQLite gets naive UTC like a plain insert would
            literal(order.created_at, UTCDateTime()),
            literal(bucket_start(order.created_at), UTCDateTime()),
            literal(order.total),
            literal(order.discount),
            false(),
        )
        .join(Voucher, col(Voucher.id) == col(Claim.voucher_id))
        .where(col(Claim.id) == order.claim_id)
    )
    columns = [
        "order_ref",
        "shop_id",
        "voucher_id",
        "kind",
        "session_id",
        "account_id",
        "buyer_id",
        "created_at",
        "bucket",
        "total",
        "discount",
        "cancelled",
    ]
    await session.execute(insert(OrderFact).from_select(columns, source))


async def cancel_order(session: AsyncSession, order_ref: int) -> None:
    await session.execute(
        update(OrderFact).where(col(OrderFact.order_ref) == order_ref).values(cancelled=True)
    )


# --- claims -------------------------------------------------------------------------------


def _bounded(stmt: Select[Any], column: Any, start: datetime | None, end: datetime | None) -> Any:
    if start is not None:
        stmt = stmt.where(column >= start)
    if end is not None:
        stmt = stmt.where(column < end)
    return stmt


async def claim_counts(
    session: AsyncSession,
    shop_id: int,
    start: datetime | None,
    end: datetime | None,
    by: Sequence[str],
    *,
    session_id: int | None = None,
    voucher_id: int | None = None,
) -> dict[Key, int]:
    """Claims made in [start, end) (by `claimed_at`), grouped by `by` (voucher, session,
    account); grouped by session or account, claims without one are left out."""
    only = _Only(session_id, voucher_id, [d for d in by if d in ("session", "account")])
    inner_start = _ceil_bucket(start) if start is not None else None
    inner_end = bucket_start(end) if end is not None else None
    counts: dict[Key, int] = {}
    if inner_start is None or inner_end is None or inner_start < inner_end:
        await _add_bucket_counts(session, counts, shop_id, inner_start, inner_end, by, only)
        edges = [(start, inner_start), (inner_end, end)]
    else:  # the whole period lies inside one or two buckets
        edges = [(start, end)]
    for lo, hi in edges:
        if lo is not None and hi is not None and lo < hi:
            await _add_raw_counts(session, counts, shop_id, lo, hi, by, only)
    return counts


async def _add_bucket_counts(
    session: AsyncSession,
    counts: dict[Key, int],
    shop_id: int,
    start: datetime | None,
    end: datetime | None,
    by: Sequence[str],
    only: _Only,
) -> None:
    dims = [_CLAIM_DIMENSIONS[d][0] for d in by]
    stmt = select(*dims, func.sum(col(ClaimBucket.claims))).where(
        col(ClaimBucket.shop_id) == shop_id
    )
    if only.session_id is not None:
        stmt = stmt.where(col(ClaimBucket.session_key) == only.session_id)
    if only.voucher_id is not None:
        stmt = stmt.where(col(ClaimBucket.voucher_id) == only.voucher_id)
    for d in only.present:
        stmt = stmt.where(_CLAIM_DIMENSIONS[d][0] > 0)
    stmt = _bounded(stmt, col(ClaimBucket.bucket), start, end)
    if dims:
        stmt = stmt.group_by(*dims)
    for row in (await session.execute(stmt)).all():
        key = tuple(_key(v) for v in row[:-1])
        counts[key] = counts.get(key, 0) + int(row[-1] or 0)


async def _add_raw_counts(
    session: AsyncSession,
    counts: dict[Key, int],
    shop_id: int,
    start: datetime,
    end: datetime,
    by: Sequence[str],
    only: _Only,
) -> None:
    dims = [_CLAIM_DIMENSIONS[d][1] for d in by]
    stmt = select(*dims, func.count()).where(
        col(Claim.shop_id) == shop_id, col(Claim.claimed_at) >= start, col(Claim.claimed_at) < end
    )
    if only.session_id is not None:
        stmt = stmt.where(col(Claim.session_id) == only.session_id)
    if only.voucher_id is not None:
        stmt = stmt.where(col(Claim.voucher_id) == only.voucher_id)
    for d in only.present:
        stmt = stmt.where(_CLAIM_DIMENSIONS[d][1].is_not(None))
    if dims:
        stmt = stmt.group_by(*dims)
    for row in (await session.execute(stmt)).all():
        key = tuple(row[:-1])
        counts[key] = counts.get(key, 0) + int(row[-1])


async def claim_trend(
    session: AsyncSession,
    shop_id: int,
    start: datetime,
    end: datetime,
    *,
    voucher_id: int | None = None,
    session_id: int | None = None,
) -> list[tuple[datetime, int]]:
    """Claims per 15-minute bucket in [start, end); both bounds are bucket starts."""
    stmt = select(col(ClaimBucket.bucket), func.sum(col(ClaimBucket.claims))).where(
        col(ClaimBucket.shop_id) == shop_id,
        col(ClaimBucket.bucket) >= start,
        col(ClaimBucket.bucket) < end,
    )
    if voucher_id is not None:
        stmt = stmt.where(col(ClaimBucket.voucher_id) == voucher_id)
    if session_id is not None:
        stmt = stmt.where(col(ClaimBucket.session_key) == session_id)
    stmt = stmt.group_by(col(ClaimBucket.bucket))
    rows = (await session.execute(stmt)).all()
    return [(_aware(b), int(n)) for b, n in rows]


def _aware(value: Any) -> datetime:
    """GROUP BY results may skip the column type on some drivers; keep instants aware."""
    at: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at if at.tzinfo else at.replace(tzinfo=UTC)


async def recent_claims(session: AsyncSession, distribution_id: int, since: datetime) -> int:
    stmt = select(func.count()).where(
        col(Claim.distribution_id) == distribution_id, col(Claim.claimed_at) >= since
    )
    return int((await session.execute(stmt)).scalar_one())


# --- orders -------------------------------------------------------------------------------


def _order_totals_columns() -> list[Any]:
    return [
        func.count(),
        func.coalesce(func.sum(col(OrderFact.total)), 0),
        func.coalesce(func.sum(col(OrderFact.discount)), 0),
        func.count(func.distinct(col(OrderFact.buyer_id))),
    ]


async def order_totals(
    session: AsyncSession,
    shop_id: int,
    start: datetime | None,
    end: datetime | None,
    by: Sequence[str],
    *,
    session_id: int | None = None,
    voucher_ids: Iterable[int] | None = None,
) -> dict[Key, OrderTotals]:
    """Non-cancelled voucher orders created in [start, end), grouped by `by` (voucher,
    session, account, kind): count, revenue (totals after discount), discount, distinct
    buyers."""
    dims = [_ORDER_DIMENSIONS[d] for d in by]
    stmt = select(*dims, *_order_totals_columns()).where(
        col(OrderFact.shop_id) == shop_id, col(OrderFact.cancelled) == false()
    )
    stmt = _bounded(stmt, col(OrderFact.created_at), start, end)
    if session_id is not None:
        stmt = stmt.where(col(OrderFact.session_id) == session_id)
    if voucher_ids is not None:
        stmt = stmt.where(col(OrderFact.voucher_id).in_(list(voucher_ids)))
    for d in ("session", "account"):
        if d in by:
            stmt = stmt.where(_ORDER_DIMENSIONS[d].is_not(None))
    if dims:
        stmt = stmt.group_by(*dims)
    out: dict[Key, OrderTotals] = {}
    for row in (await session.execute(stmt)).all():
        n = len(dims)
        orders, revenue, discount, buyers = (int(x or 0) for x in row[n:])
        if orders:
            out[tuple(row[:n])] = OrderTotals(orders, revenue, discount, buyers)
    return out


async def order_trend(
    session: AsyncSession,
    shop_id: int,
    start: datetime,
    end: datetime,
    *,
    voucher_id: int | None = None,
    session_id: int | None = None,
) -> list[tuple[datetime, int, int]]:
    """(bucket, orders, revenue) of non-cancelled voucher orders per 15-minute bucket."""
    stmt = select(
        col(OrderFact.bucket), func.count(), func.coalesce(func.sum(col(OrderFact.total)), 0)
    ).where(
        col(OrderFact.shop_id) == shop_id,
        col(OrderFact.cancelled) == false(),
        col(OrderFact.created_at) >= start,
        col(OrderFact.created_at) < end,
    )
    if voucher_id is not None:
        stmt = stmt.where(col(OrderFact.voucher_id) == voucher_id)
    if session_id is not None:
        stmt = stmt.where(col(OrderFact.session_id) == session_id)
    rows = (await session.execute(stmt.group_by(col(OrderFact.bucket)))).all()
    return [(_aware(b), int(n), int(r)) for b, n, r in rows]


async def order_count_since(session: AsyncSession, shop_id: int, since: datetime) -> int:
    """Non-cancelled orders (with or without voucher) since `since`: the AOV's sample size."""
    stmt = select(func.count()).where(
        col(ShopOrder.shop_id) == shop_id,
        col(ShopOrder.status) == "placed",
        col(ShopOrder.created_at) >= since,
    )
    return int((await session.execute(stmt)).scalar_one())


# --- vouchers and catalog, for advice -----------------------------------------------------


async def shop_vouchers(session: AsyncSession, shop_id: int) -> list[Voucher]:
    stmt = select(Voucher).where(col(Voucher.shop_id) == shop_id).order_by(col(Voucher.id))
    return list((await session.execute(stmt)).scalars().all())


async def ongoing_regular_vouchers(
    session: AsyncSession, shop_id: int, now: datetime
) -> list[Voucher]:
    stmt = select(Voucher).where(
        col(Voucher.shop_id) == shop_id,
        col(Voucher.kind) == "regular",
        col(Voucher.deactivated_at).is_(None),
        col(Voucher.starts_at) <= now,
        col(Voucher.ends_at) > now,
    )
    return list((await session.execute(stmt.order_by(col(Voucher.id)))).scalars().all())


async def average_prices(session: AsyncSession, shop_id: int) -> tuple[int | None, dict[int, int]]:
    """The average catalog price of the whole shop, and of each product-scoped voucher's
    products (rounded half up), for R-adv2's "above the average selling price" cause."""
    shop_avg = (
        await session.execute(
            select(func.avg(col(Product.price))).where(col(Product.shop_id) == shop_id)
        )
    ).scalar()
    stmt = (
        select(col(VoucherProduct.voucher_id), func.avg(col(Product.price)))
        .join(
            Product,
            and_(
                col(Product.product_id) == col(VoucherProduct.product_id),
                col(Product.shop_id) == shop_id,
            ),
        )
        .join(Voucher, col(Voucher.id) == col(VoucherProduct.voucher_id))
        .where(col(Voucher.shop_id) == shop_id)
        .group_by(col(VoucherProduct.voucher_id))
    )
    per_voucher = {int(v): _round(a) for v, a in (await session.execute(stmt)).all()}
    return (_round(shop_avg) if shop_avg is not None else None), per_voucher


def _round(value: Any) -> int:
    return int(float(value) + 0.5)


async def usage_of_vouchers(session: AsyncSession, shop_id: int) -> dict[int, int]:
    """Non-cancelled orders per voucher of the shop, all time."""
    stmt = (
        select(col(OrderFact.voucher_id), func.count())
        .where(col(OrderFact.shop_id) == shop_id, col(OrderFact.cancelled) == false())
        .group_by(col(OrderFact.voucher_id))
    )
    return {int(v): int(n) for v, n in (await session.execute(stmt)).all()}


# --- rebuilding (backfill, benchmark) -----------------------------------------------------


def _sqlite_bucket(column: str) -> str:
    minute = f"CAST(strftime('%M', {column}) AS INTEGER)"
    return (
        f"strftime('%Y-%m-%d %H:', {column}) || printf('%02d', {minute} - {minute} % 15)"
        " || ':' || '00.000000'"  # ':00' would read as a bind parameter
    )


def _pg_bucket(column: str) -> str:
    return (
        f"date_trunc('hour', {column}) + "
        f"(floor(extract(minute FROM {column}) / 15) * interval '15 minutes')"
    )


def rebuild_statements(dialect: str) -> list[str]:
    """SQL that recomputes both tables from `claim` and `shoporder` (used by the migration's
    backfill and the benchmark). The PostgreSQL variant expects the session time zone UTC."""
    bucket = _sqlite_bucket if dialect == "sqlite" else _pg_bucket
    cancelled = "o.status = 'cancelled'"
    return [
        "DELETE FROM claimbucket",
        "DELETE FROM orderfact",
        "INSERT INTO claimbucket (voucher_id, session_key, account_key, bucket, shop_id, claims) "
        f"SELECT voucher_id, COALESCE(session_id, 0), COALESCE(account_id, 0), "
        f"{bucket('claimed_at')}, MIN(shop_id), COUNT(*) FROM claim "
        f"GROUP BY voucher_id, COALESCE(session_id, 0), COALESCE(account_id, 0), "
        f"{bucket('claimed_at')}",
        "INSERT INTO orderfact (order_ref, shop_id, voucher_id, kind, session_id, account_id, "
        "buyer_id, created_at, bucket, total, discount, cancelled) "
        f"SELECT o.id, o.shop_id, c.voucher_id, v.kind, c.session_id, c.account_id, o.buyer_id, "
        f"o.created_at, {bucket('o.created_at')}, o.total, o.discount, {cancelled} "
        "FROM shoporder o JOIN claim c ON c.id = o.claim_id JOIN voucher v ON v.id = c.voucher_id",
    ]
