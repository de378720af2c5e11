"""Analytics (R-a1…R-a7): figures per promotion tool, voucher, live session and host
account over a period, trends, and the promotion list as CSV.

What the adapters call (every method takes the caller's `Actor`; `start`/`end` bound the
period [start, end), either may be None for "since the beginning" / "until now"):

- `summary(actor, start, end) -> Summary`: regular, live and total figures
  (`GET /v1/analytics/summary`, `/stats`).
- `promotions(actor, sort="revenue"|"roi", start, end) -> list[PromotionRow]`: every voucher
  (`GET /v1/analytics/vouchers`, `/stats` list); `PromotionRow.as_dict()` is the API row.
- `voucher(actor, voucher_id, start, end) -> PromotionRow` (`/stats <id>`).
- `sessions(actor, start, end) -> list[SessionStats]`, `session_vouchers(actor, session_id)
  -> list[PromotionRow]`, `accounts(actor, start, end) -> list[AccountStats]`.
- `trend(actor, voucher_id=None, session_id=None, bucket=None, start=None, end=None) -> Trend`:
  per day (default), or per hour (default for a live session), in the shop's time zone
  (`GET /v1/analytics/trend`, the `/stats` chart via `bot.charts.trend_png`).
- `export_csv(actor, sort, start, end) -> str` (`/export`; see `core.services.export`).
- R-a6 AOV stays `services.checkout.average_order_value(actor)`.

Definitions: claims (R-a1) are counted by `claimed_at` in the period; usage (R-a2), revenue,
orders, buyers (R-a4) and discount cost (R-a5) come from the non-cancelled orders that redeemed
a voucher, counted by the order's `created_at` in the period. A claim is attributed to the live
session and account recorded on it at claim time; its order follows the claim.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.analytics_views import (
    AccountStats,
    Figures,
    PromotionRow,
    SessionStats,
    Summary,
    Trend,
    TrendPoint,
)
from core.errors import NotFound, invalid
from core.ids import row_id
from core.refusal_codes import LiveCode
from core.rules.roles import Action, Actor
from core.rules.vouchers import status_of
from core.services.base import Service, require
from core.services.export import promotion_csv
from storage import analytics_queries as q
from storage import repositories as repo
from storage.models import Account, LiveSession, Voucher

SORTS = ("revenue", "roi")
BUCKETS = ("day", "hour")
MAX_POINTS = {"day": 400, "hour": 24 * 31}
DEFAULT_SPAN = {"day": timedelta(days=30), "hour": timedelta(hours=48)}


def check_period(start: datetime | None, end: datetime | None) -> None:
    for name, value in (("from", start), ("to", end)):
        if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
            raise invalid(name, "must be a date and time with an offset (RFC 3339)")
    if start is not None and end is not None and end <= start:
        raise invalid("to", "must be after from")


def sort_rows(rows: list[PromotionRow], sort: str) -> list[PromotionRow]:
    """Highest first; vouchers without an ROI go last; ties keep the newest voucher first."""
    if sort not in SORTS:
        raise invalid("sort", "must be 'revenue' or 'roi'")
    if sort == "revenue":
        return sorted(rows, key=lambda r: (-r.figures.revenue, -r.voucher_id))
    return sorted(
        rows,
        key=lambda r: (r.figures.roi is None, -(r.figures.roi or 0), -r.voucher_id),
    )


class AnalyticsService(Service):
    # --- figures ---------------------------------------------------------------------------

    async def summary(
        self, actor: Actor, start: datetime | None = None, end: datetime | None = None
    ) -> Summary:
        require(actor, Action.READ)
        check_period(start, end)
        async with self.db.read() as session:
            shop = await self._shop(session, actor.shop_id)
            claims = await q.claim_counts(session, actor.shop_id, start, end, ["voucher"])
            kinds = {v.id: v.kind for v in await q.shop_vouchers(session, actor.shop_id)}
            by_kind = await q.order_totals(session, actor.shop_id, start, end, ["kind"])
            overall = await q.order_totals(session, actor.shop_id, start, end, [])
        claims_of = {"regular": 0, "live": 0}
        for (voucher_id,), n in claims.items():
            claims_of[kinds.get(voucher_id, "regular")] += n
        return Summary(
            start,
            end,
            shop.currency,
            regular=Figures.of(claims_of["regular"], by_kind.get(("regular",))),
            live=Figures.of(claims_of["live"], by_kind.get(("live",))),
            total=Figures.of(sum(claims_of.values()), overall.get(())),
        )

    async def promotions(
        self,
        actor: Actor,
        sort: str = "revenue",
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[PromotionRow]:
        """R-a7 the promotion list: every voucher of the shop, sorted by revenue or ROI."""
        require(actor, Action.READ)
        check_period(start, end)
        if sort not in SORTS:
            raise invalid("sort", "must be 'revenue' or 'roi'")
        async with self.db.read() as session:
            vouchers = await q.shop_vouchers(session, actor.shop_id)
            rows = await self._rows(session, actor.shop_id, vouchers, start, end)
        return sort_rows(rows, sort)

    async def voucher(
        self,
        actor: Actor,
        voucher_id: int,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> PromotionRow:
        require(actor, Action.READ)
        check_period(start, end)
        async with self.db.read() as session:
            voucher = await self._voucher(session, actor.shop_id, voucher_id)
            rows = await self._rows(session, actor.shop_id, [voucher], start, end, only=voucher_id)
        return rows[0]

    async def session_vouchers(self, actor: Actor, session_id: int) -> list[PromotionRow]:
        """The figures of one live session, per voucher distributed in it (all time)."""
        require(actor, Action.READ)
        async with self.db.read() as session:
            await self._live_session(session, actor.shop_id, session_id)
            vouchers = await q.shop_vouchers(session, actor.shop_id)
            rows = await self._rows(
                session, actor.shop_id, vouchers, None, None, session_id=session_id
            )
        return sort_rows([r for r in rows if r.figures.claims or r.figures.orders], "revenue")

    async def _rows(
        self,
        session: AsyncSession,
        shop_id: int,
        vouchers: list[Voucher],
        start: datetime | None,
        end: datetime | None,
        *,
        session_id: int | None = None,
        only: int | None = None,
    ) -> list[PromotionRow]:
        claims = await q.claim_counts(
            session, shop_id, start, end, ["voucher"], session_id=session_id, voucher_id=only
        )
        orders = await q.order_totals(
            session,
            shop_id,
            start,
            end,
            ["voucher"],
            session_id=session_id,
            voucher_ids=None if only is None else [only],
        )
        now = self.clock.now()
        return [
            PromotionRow(
                row_id(v),
                v.name,
                v.kind,
                status_of(v.starts_at, v.ends_at, v.deactivated_at, now).value,
                Figures.of(claims.get((v.id,), 0), orders.get((v.id,))),
                sold_out=v.claimed >= v.total_quantity,
            )
            for v in vouchers
        ]

    async def sessions(
        self, actor: Actor, start: datetime | None = None, end: datetime | None = None
    ) -> list[SessionStats]:
        """Live sessions with claims or voucher orders in the period, newest first."""
        require(actor, Action.READ)
        check_period(start, end)
        async with self.db.read() as session:
            claims = await q.claim_counts(session, actor.shop_id, start, end, ["session"])
            orders = await q.order_totals(session, actor.shop_id, start, end, ["session"])
            ids = {k[0] for k in (*claims, *orders) if k[0] is not None}
            lives = [await repo.get_session(session, actor.shop_id, i) for i in sorted(ids)]
        return [
            SessionStats(
                row_id(s),
                s.account_id,
                s.started_at,
                s.ended_at,
                Figures.of(claims.get((s.id,), 0), orders.get((s.id,))),
            )
            for s in reversed(lives)
            if s is not None
        ]

    async def accounts(
        self, actor: Actor, start: datetime | None = None, end: datetime | None = None
    ) -> list[AccountStats]:
        """Every linked account, and any unlinked one with figures in the period; a claim
        counts for the account whose distribution it came through."""
        require(actor, Action.READ)
        check_period(start, end)
        async with self.db.read() as session:
            claims = await q.claim_counts(session, actor.shop_id, start, end, ["account"])
            orders = await q.order_totals(session, actor.shop_id, start, end, ["account"])
            accounts = {a.id: a for a in await repo.active_accounts(session, actor.shop_id)}
            for key in (*claims, *orders):
                if key[0] is not None and key[0] not in accounts:
                    former = await repo.get_account(session, actor.shop_id, key[0])
                    if former is not None:
                        accounts[former.id] = former
        return [
            AccountStats(
                row_id(a),
                a.role,
                _account_label(a),
                Figures.of(claims.get((a.id,), 0), orders.get((a.id,))),
            )
            for _, a in sorted(accounts.items())
        ]

    # --- trends ----------------------------------------------------------------------------

    async def trend(
        self,
        actor: Actor,
        *,
        voucher_id: int | None = None,
        session_id: int | None = None,
        bucket: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Trend:
        """Claims, usage and revenue per local day, or per local hour (the default for a live
        session); every bucket of the range is present, empty ones with zeros."""
        require(actor, Action.READ)
        check_period(start, end)
        bucket = bucket or ("hour" if session_id is not None else "day")
        if bucket not in BUCKETS:
            raise invalid("bucket", "must be 'day' or 'hour'")
        explicit = start is not None and end is not None
        async with self.db.read() as session:
            shop = await self._shop(session, actor.shop_id)
            lo, hi = await self._default_range(session, actor.shop_id, voucher_id, session_id)
            tz = ZoneInfo(shop.timezone)
            first, last = start or lo, end or hi
            # Never walk more buckets than a trend may hold (from=1970&to=9998 would hang).
            step = timedelta(days=1) if bucket == "day" else timedelta(hours=1)
            if last - first > step * (MAX_POINTS[bucket] + 2):
                if explicit:
                    raise invalid("from", f"at most {MAX_POINTS[bucket]} {bucket}s per trend")
                first = last - step * (MAX_POINTS[bucket] + 2)
            edges = bucket_edges(first, last, bucket, tz)
            if len(edges) - 1 > MAX_POINTS[bucket]:
                if explicit:
                    raise invalid("from", f"at most {MAX_POINTS[bucket]} {bucket}s per trend")
                edges = edges[-MAX_POINTS[bucket] - 1 :]
            claims, orders = [], []
            if len(edges) > 1:
                span = (edges[0], edges[-1])
                claims = await q.claim_trend(
                    session, actor.shop_id, *span, voucher_id=voucher_id, session_id=session_id
                )
                orders = await q.order_trend(
                    session, actor.shop_id, *span, voucher_id=voucher_id, session_id=session_id
                )
        points = _fold(edges, claims, orders, tz)
        first = edges[0].astimezone(tz)
        return Trend(
            bucket,
            shop.timezone,
            shop.currency,
            first,
            edges[-1].astimezone(tz),
            voucher_id,
            session_id,
            points,
        )

    async def _default_range(
        self,
        session: AsyncSession,
        shop_id: int,
        voucher_id: int | None,
        session_id: int | None,
    ) -> tuple[datetime, datetime]:
        now = self.clock.now()
        if session_id is not None:
            live = await self._live_session(session, shop_id, session_id)
            return live.started_at, live.ended_at or now
        if voucher_id is not None:
            v = await self._voucher(session, shop_id, voucher_id)
            last_use = v.redeem_until or v.ends_at
            if v.valid_days is not None:
                last_use = v.ends_at + timedelta(days=v.valid_days)
            return v.starts_at, max(v.starts_at, min(now, last_use))
        return now - DEFAULT_SPAN["day"], now

    async def _live_session(
        self, session: AsyncSession, shop_id: int, session_id: int
    ) -> LiveSession:
        live = await repo.get_session(session, shop_id, session_id)
        if live is None:
            raise NotFound(f"live session {session_id} not found", code=LiveCode.SESSION_NOT_FOUND)
        return live

    # --- export ----------------------------------------------------------------------------

    async def export_csv(
        self,
        actor: Actor,
        sort: str = "revenue",
        start: datetime | None = None,
        end: datetime | None = None,
        headers: Sequence[str] | None = None,
    ) -> str:
        """`/export`: the promotion list as CSV (seller or platform); `headers` in the reader's
        language (R-l10n1)."""
        require(actor, Action.MANAGE_VOUCHERS)
        rows = await self.promotions(actor, sort, start, end)
        async with self.db.read() as session:
            shop = await self._shop(session, actor.shop_id)
        return promotion_csv(rows, shop.currency, headers)


def bucket_edges(start: datetime, end: datetime, bucket: str, tz: ZoneInfo) -> list[datetime]:
    """UTC boundaries of the local days or hours covering [start, end): from the bucket holding
    `start` to the first boundary at or after `end`."""
    local = start.astimezone(tz)
    if bucket == "day":
        day = local.date()
        edges = [_midnight(day, tz)]
        while edges[-1] < end:
            day += timedelta(days=1)
            edges.append(_midnight(day, tz))
        return edges
    first = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    edges = [first]
    while edges[-1] < end:
        edges.append(edges[-1] + timedelta(hours=1))
    return edges


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tz).astimezone(UTC)


def _fold(
    edges: list[datetime],
    claims: list[tuple[datetime, int]],
    orders: list[tuple[datetime, int, int]],
    tz: ZoneInfo,
) -> tuple[TrendPoint, ...]:
    """Regroups 15-minute buckets into the trend's buckets (whose edges are all 15-minute
    aligned, whatever the time zone)."""
    n = len(edges) - 1
    c, u, r = [0] * n, [0] * n, [0] * n
    for at, count in claims:
        i = bisect_right(edges, at) - 1
        if 0 <= i < n:
            c[i] += count
    for at, count, revenue in orders:
        i = bisect_right(edges, at) - 1
        if 0 <= i < n:
            u[i] += count
            r[i] += revenue
    return tuple(TrendPoint(edges[i].astimezone(tz), c[i], u[i], r[i]) for i in range(n))


def _account_label(a: Account) -> str:
    name = a.display_name or (f"@{a.platform_handle}" if a.platform_handle else f"#{a.id}")
    return f"{name} ({a.role})"
