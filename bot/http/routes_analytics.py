"""Analytics (R-a1…R-a7): core data per promotion tool, the promotion list, trends, and the
split by buyer segment (R-seg)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import Field

from bot.http.inputs import Id, Instant, PageQuery, Params
from bot.http.outputs import Out
from bot.http.routing import Call, Route, decode_cursor, encode_cursor
from core.analytics_views import Figures, PromotionRow, Trend
from core.rules.targeting import Segment

PERIOD_NOTE = (
    "RFC 3339 with an offset (URL-encode `+` as `%2B`); the period is [from, to), open-ended "
    "when either is omitted."
)

# --- query strings -------------------------------------------------------------------------


class PeriodQuery(Params):
    start: Instant | None = Field(default=None, alias="from", description=PERIOD_NOTE)
    end: Instant | None = Field(default=None, alias="to", description=PERIOD_NOTE)


class PromotionQuery(PageQuery, PeriodQuery):
    sort: Literal["revenue", "roi"] = Field(
        default="revenue", description="Highest first; vouchers without an ROI go last."
    )


class TrendQuery(PeriodQuery):
    voucher_id: Id | None = Field(default=None, description="One voucher (default: all).")
    session_id: Id | None = Field(default=None, description="One live session.")
    bucket: Literal["day", "hour"] | None = Field(
        default=None,
        description="Local days or hours of the shop's time zone (default: hour for a live "
        "session, day otherwise).",
    )


# --- answers -------------------------------------------------------------------------------


class FiguresOut(Out):
    claims: int = Field(description="R-a1 claims made in the period")
    usage: int = Field(description="R-a2 orders (not cancelled) that redeemed a voucher")
    redemption_rate: float | None = Field(description="R-a3 usage / claims; null without claims")
    revenue: int = Field(description="R-a4 those orders' totals after the discount, minor units")
    orders: int
    buyers: int = Field(description="distinct buyers of those orders")
    discount_cost: int = Field(description="R-a5 sum of the discounts, minor units")
    roi: float | None = Field(description="R-a5 revenue / discount cost; null without cost")


class SummaryOut(Out):
    start: datetime | None = Field(description="`from`, or null for since the beginning")
    end: datetime | None = Field(description="`to`, or null for until now")
    currency: str
    regular: FiguresOut
    live: FiguresOut
    total: FiguresOut


class SegmentFiguresOut(Out):
    """R-a7 by the segment the vouchers target (R-seg): every segment, with zeros when no
    voucher targets it."""

    all: FiguresOut = Field(description="vouchers for all buyers")
    new_customers: FiguresOut
    repeat_customers: FiguresOut
    lapsed_customers: FiguresOut
    new_followers: FiguresOut


class SegmentSummaryOut(Out):
    start: datetime | None = Field(description="`from`, or null for since the beginning")
    end: datetime | None = Field(description="`to`, or null for until now")
    currency: str
    segments: SegmentFiguresOut


class PromotionRowOut(FiguresOut):
    voucher_id: int
    name: str
    kind: Literal["regular", "live"]
    status: Literal["upcoming", "ongoing", "ended", "deactivated"]


class PromotionPage(Out):
    items: list[PromotionRowOut]
    next_cursor: str | None = Field(description="null on the last page")


class TrendPointOut(Out):
    start: datetime = Field(
        description="start of the shop's local day or hour (`timezone`), as a UTC instant"
    )
    claims: int
    usage: int
    revenue: int


class TrendTotalsOut(Out):
    claims: int
    usage: int
    revenue: int


class TrendOut(Out):
    bucket: Literal["day", "hour"]
    timezone: str
    currency: str
    start: datetime
    end: datetime
    voucher_id: int | None
    session_id: int | None
    points: list[TrendPointOut] = Field(description="every bucket of the range, empty ones too")
    totals: TrendTotalsOut


def figures_out(f: Figures) -> FiguresOut:
    return FiguresOut(**f.as_dict())


def row_out(r: PromotionRow) -> PromotionRowOut:
    return PromotionRowOut(**r.as_dict())


def _utc(at: datetime) -> datetime:
    """Answers are in UTC (docs/api.md): local buckets are told as the UTC instant they
    start at, the zone beside them."""
    return at.astimezone(UTC)


def trend_out(t: Trend) -> TrendOut:
    claims, usage, revenue = t.totals
    return TrendOut(
        bucket=t.bucket,
        timezone=t.timezone,
        currency=t.currency,
        start=_utc(t.start),
        end=_utc(t.end),
        voucher_id=t.voucher_id,
        session_id=t.session_id,
        points=[
            TrendPointOut(start=_utc(p.start), claims=p.claims, usage=p.usage, revenue=p.revenue)
            for p in t.points
        ],
        totals=TrendTotalsOut(claims=claims, usage=usage, revenue=revenue),
    )


# --- handlers ------------------------------------------------------------------------------


async def analytics_summary(call: Call[None, PeriodQuery, None]) -> SummaryOut:
    q = call.query
    s = await call.services.analytics.summary(call.actor, q.start, q.end)
    return SummaryOut(
        start=s.start,
        end=s.end,
        currency=s.currency,
        regular=figures_out(s.regular),
        live=figures_out(s.live),
        total=figures_out(s.total),
    )


async def analytics_segments(call: Call[None, PeriodQuery, None]) -> SegmentSummaryOut:
    q = call.query
    split = await call.services.segments.by_segment(call.actor, q.start, q.end)
    shop = await call.services.shops.get(call.actor.shop_id)
    return SegmentSummaryOut(
        start=q.start,
        end=q.end,
        currency=shop.currency,
        segments=SegmentFiguresOut(**{s.value: figures_out(split[s]) for s in Segment}),
    )


async def analytics_vouchers(call: Call[None, PromotionQuery, None]) -> PromotionPage:
    q = call.query
    rows = await call.services.analytics.promotions(call.actor, q.sort, q.start, q.end)
    # The list is sorted by figures, not ids: the cursor holds the position in it.
    offset = decode_cursor(q.cursor) or 0
    end = offset + q.limit
    return PromotionPage(
        items=[row_out(r) for r in rows[offset:end]],
        next_cursor=encode_cursor(end) if end < len(rows) else None,
    )


async def analytics_trend(call: Call[None, TrendQuery, None]) -> TrendOut:
    q = call.query
    trend = await call.services.analytics.trend(
        call.actor,
        voucher_id=q.voucher_id,
        session_id=q.session_id,
        bucket=q.bucket,
        start=q.start,
        end=q.end,
    )
    return trend_out(trend)


ROUTES = [
    Route(
        "GET",
        "/v1/analytics/summary",
        "Core data per promotion tool (Regular, LIVE) and in total",
        "analytics",
        analytics_summary,
        query=PeriodQuery,
        response=SummaryOut,
        description="R-a1…R-a5 over the period: claims by `claimed_at`; usage, revenue, "
        "orders, buyers and discount cost from the non-cancelled orders that redeemed a "
        "voucher, by the order's `created_at`.",
    ),
    Route(
        "GET",
        "/v1/analytics/segments",
        "Core data split by the buyer segment the vouchers target",
        "analytics",
        analytics_segments,
        query=PeriodQuery,
        response=SegmentSummaryOut,
        description="R-a7 split by segment (R-seg): the figures of the summary for the "
        "vouchers of each segment (`all`, `new_customers`, `repeat_customers`, "
        "`lapsed_customers`, `new_followers`), over the same period and counted the same way; "
        "`buyers` are distinct within each segment.",
    ),
    Route(
        "GET",
        "/v1/analytics/vouchers",
        "The promotion list, sorted by revenue or ROI",
        "analytics",
        analytics_vouchers,
        query=PromotionQuery,
        response=PromotionPage,
        description="R-a7: every voucher of the shop with its status and figures over the period.",
    ),
    Route(
        "GET",
        "/v1/analytics/trend",
        "Claims, usage and revenue per day or per hour",
        "analytics",
        analytics_trend,
        query=TrendQuery,
        response=TrendOut,
        description="R-a7 trends in the shop's time zone, of the whole shop, one voucher or "
        "one live session. Without `from`/`to`: the voucher's or session's lifetime, or the "
        "last 30 days. At most 400 days or 744 hours per trend.",
    ),
]
