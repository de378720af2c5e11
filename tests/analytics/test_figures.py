"""R-a1…R-a7 on the hand-computed shop of conftest.py (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from core.errors import PermissionDenied, ValidationFailed
from core.services import Services
from core.services.export import HEADER
from tests.analytics.conftest import Shop
from tests.conftest import NOW


async def test_r_a1_to_r_a5_promotion_list_definitions(services: Services, shop: Shop) -> None:
    rows = {r.voucher_id: r for r in await services.analytics.promotions(shop.seller)}
    r, live = rows[shop.regular_id].figures, rows[shop.live_id].figures
    assert (r.claims, r.usage, r.revenue, r.orders, r.buyers, r.discount_cost) == (
        3,
        1,
        2500,
        1,
        1,
        500,
    )
    assert r.redemption_rate == pytest.approx(1 / 3)
    assert r.roi == pytest.approx(5.0)
    assert (live.claims, live.usage, live.revenue, live.orders, live.buyers) == (2, 2, 6300, 2, 2)
    assert live.discount_cost == 700
    assert live.redemption_rate == pytest.approx(1.0)
    assert live.roi == pytest.approx(9.0)
    assert rows[shop.live_id].as_dict() == {
        "voucher_id": shop.live_id,
        "name": "L",
        "kind": "live",
        "status": "ongoing",
        "claims": 2,
        "usage": 2,
        "redemption_rate": 1.0,
        "revenue": 6300,
        "orders": 2,
        "buyers": 2,
        "discount_cost": 700,
        "roi": 9.0,
    }


async def test_sorting_by_revenue_and_roi(services: Services, shop: Shop) -> None:
    by_revenue = await services.analytics.promotions(shop.seller, "revenue")
    assert [r.voucher_id for r in by_revenue] == [shop.live_id, shop.regular_id]
    by_roi = await services.analytics.promotions(shop.seller, "roi")
    assert [r.voucher_id for r in by_roi] == [shop.live_id, shop.regular_id]
    with pytest.raises(ValidationFailed) as err:
        await services.analytics.promotions(shop.seller, "name")
    assert err.value.errors[0].field == "sort"


async def test_r_a7_summary_per_tool_and_total(services: Services, shop: Shop) -> None:
    s = await services.analytics.summary(shop.seller)
    assert (s.regular.claims, s.regular.revenue) == (3, 2500)
    assert (s.live.claims, s.live.revenue, s.live.buyers) == (2, 6300, 2)
    t = s.total
    assert (t.claims, t.usage, t.revenue, t.orders, t.buyers, t.discount_cost) == (
        5,
        3,
        8800,
        3,
        2,
        1200,
    )
    assert t.roi == pytest.approx(8800 / 1200)
    assert s.currency == "USD"


async def test_period_counts_claims_by_claimed_at_with_exact_edges(
    services: Services, shop: Shop
) -> None:
    # [12:05, 13:30:30) holds R's 12:10 and 13:07 claims and L's 13:30 claim; no orders.
    s = await services.analytics.summary(
        shop.seller, NOW + timedelta(minutes=5), NOW + timedelta(minutes=90, seconds=30)
    )
    assert (s.regular.claims, s.live.claims) == (2, 1)
    assert s.total.usage == 0 and s.total.redemption_rate == 0
    # Orders count by created_at: [15:00, 15:01) holds all four placed orders' voucher ones.
    late = await services.analytics.summary(
        shop.seller, NOW + timedelta(minutes=180), NOW + timedelta(minutes=181)
    )
    assert (late.total.claims, late.total.usage, late.total.revenue) == (0, 3, 8800)
    assert late.total.redemption_rate is None and late.total.roi == pytest.approx(8800 / 1200)
    with pytest.raises(ValidationFailed):
        await services.analytics.summary(shop.seller, NOW, NOW)


async def test_r_a6_aov_over_30_days_excludes_cancelled(
    services: Services, shop: Shop, clock
) -> None:  # type: ignore[no-untyped-def]
    assert await services.checkout.average_order_value(shop.seller) == 2450
    clock.advance(days=31)
    assert await services.checkout.average_order_value(shop.seller) is None


async def test_r_a7_attribution_per_session_and_account(services: Services, shop: Shop) -> None:
    sessions = await services.analytics.sessions(shop.seller)
    assert [s.session_id for s in sessions] == [shop.session_id]
    f = sessions[0].figures
    assert (f.claims, f.usage, f.revenue, f.buyers, f.discount_cost) == (2, 2, 6300, 2, 700)
    accounts = {a.account_id: a for a in await services.analytics.accounts(shop.seller)}
    assert accounts[shop.host.account_id].figures.revenue == 6300  # type: ignore[index]
    assert accounts[shop.host.account_id].figures.claims == 2  # type: ignore[index]
    assert accounts[shop.seller.account_id].figures.claims == 0  # type: ignore[index]
    per_voucher = await services.analytics.session_vouchers(shop.host, shop.session_id)
    assert [(r.voucher_id, r.figures.claims) for r in per_voucher] == [(shop.live_id, 2)]


async def test_one_voucher(services: Services, shop: Shop) -> None:
    row = await services.analytics.voucher(shop.seller, shop.regular_id)
    assert (row.figures.claims, row.figures.revenue, row.status) == (3, 2500, "ongoing")


async def test_r_a7_trend_per_day_and_per_hour(services: Services, shop: Shop) -> None:
    day = await services.analytics.trend(shop.seller, voucher_id=shop.regular_id)
    assert day.bucket == "day"
    assert [(p.start.day, p.claims, p.usage, p.revenue) for p in day.points] == [(1, 3, 1, 2500)]
    hour = await services.analytics.trend(shop.seller, session_id=shop.session_id)
    assert hour.bucket == "hour"
    assert [(p.start.hour, p.claims, p.usage, p.revenue) for p in hour.points] == [
        (13, 2, 0, 0),
        (14, 0, 0, 0),
        (15, 0, 2, 6300),
    ]
    shop_wide = await services.analytics.trend(shop.seller)
    assert shop_wide.totals == (5, 3, 8800)


async def test_trend_in_a_half_hour_time_zone(services: Services, shop: Shop) -> None:
    await services.shops.update_settings(shop.seller, timezone="Asia/Kolkata")
    hour = await services.analytics.trend(shop.seller, session_id=shop.session_id)
    # 13:20 UTC is 18:50 IST: the local hours 18:00, 19:00 … start at :30 UTC.
    assert [(p.start.hour, p.claims) for p in hour.points][:2] == [(18, 0), (19, 2)]
    assert hour.points[0].start.utcoffset() == timedelta(hours=5, minutes=30)


async def test_r_a7_csv_has_header_and_one_row_per_voucher(services: Services, shop: Shop) -> None:
    text = await services.analytics.export_csv(shop.seller)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(text.splitlines()[0].split(",")) == HEADER
    assert len(rows) == 2
    by_id = {int(r["voucher_id"]): r for r in rows}
    assert by_id[shop.regular_id] | {} == {
        "voucher_id": str(shop.regular_id),
        "name": "R",
        "kind": "regular",
        "status": "ongoing",
        "claims": "3",
        "usage": "1",
        "redemption_rate": "0.3333",
        "revenue_minor": "2500",
        "orders": "1",
        "buyers": "1",
        "discount_cost_minor": "500",
        "roi": "5.00",
        "currency": "USD",
    }
    assert by_id[shop.live_id]["revenue_minor"] == "6300"


async def test_export_is_for_the_seller(services: Services, shop: Shop) -> None:
    with pytest.raises(PermissionDenied):
        await services.analytics.export_csv(shop.host)
