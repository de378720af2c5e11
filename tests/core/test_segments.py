"""R-seg on SQLite and PostgreSQL: each segment at the edges of its window with a frozen clock,
imported order history, the R-c1 order, one ongoing new-customer voucher, shop windows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import ClaimRefused, Conflict, ValidationFailed
from core.services import Services
from tests.conftest import NOW, draft

LINE = [{"product_id": "x", "unit_price": 3000, "quantity": 1}]


async def _order(services: Services, platform, oid: str, buyer: str, days_ago: float, **kw):
    at = NOW - timedelta(days=days_ago)
    order, _ = await services.checkout.place_order(platform, oid, buyer, LINE, placed_at=at, **kw)
    return order


async def _refusal(services: Services, seller, voucher_id: int, buyer: str) -> str | None:
    try:
        await services.claims.claim(seller.shop_id, voucher_id, buyer)
    except ClaimRefused as exc:
        return exc.code
    return None


async def test_r_seg_new_customers_a_cancelled_order_still_counts(
    services: Services, seller, platform
):
    v = await services.vouchers.create(seller, draft(segment="new_customers"))
    await _order(services, platform, "o1", "old", 800, status="cancelled")
    assert await _refusal(services, seller, v.id, "old") == "segment_not_met"
    assert await _refusal(services, seller, v.id, "fresh") is None


async def test_r_seg_repeat_customers_window_edge(services: Services, seller, platform):
    v = await services.vouchers.create(
        seller, draft(segment="repeat_customers", per_customer_limit=1)
    )
    await _order(services, platform, "o1", "edge", 30)  # exactly 30 days ago: inside
    await _order(services, platform, "o2", "past", 30.0001)  # just outside
    await _order(services, platform, "o3", "gone", 1, status="cancelled")  # not kept
    assert await _refusal(services, seller, v.id, "edge") is None
    assert await _refusal(services, seller, v.id, "past") == "segment_not_met"
    assert await _refusal(services, seller, v.id, "gone") == "segment_not_met"


async def test_r_seg_lapsed_customers_window_edges(services: Services, seller, platform):
    v = await services.vouchers.create(seller, draft(segment="lapsed_customers"))
    await _order(services, platform, "o1", "lapsed", 200)
    await _order(services, platform, "o2", "recent", 90)  # within the quiet window
    await _order(services, platform, "o3", "quiet", 90.0001)
    await _order(services, platform, "o4", "ancient", 365.0001)
    await _order(services, platform, "o5", "oldest-edge", 365)
    assert await _refusal(services, seller, v.id, "lapsed") is None
    assert await _refusal(services, seller, v.id, "quiet") is None
    assert await _refusal(services, seller, v.id, "oldest-edge") is None
    assert await _refusal(services, seller, v.id, "recent") == "segment_not_met"
    assert await _refusal(services, seller, v.id, "ancient") == "segment_not_met"
    assert await _refusal(services, seller, v.id, "never") == "segment_not_met"


async def test_r_seg_new_followers_last_30_days(services: Services, seller, clock):
    v = await services.vouchers.create(seller, draft(segment="new_followers"))
    await services.live.record_follow(
        seller.shop_id, "fan", "acme_official", "follow", at=NOW - timedelta(days=30)
    )
    await services.live.record_follow(
        seller.shop_id, "old-fan", "acme_official", "follow", at=NOW - timedelta(days=31)
    )
    assert await _refusal(services, seller, v.id, "fan") is None
    assert await _refusal(services, seller, v.id, "old-fan") == "segment_not_met"


async def test_r_seg_windows_are_shop_settings(services: Services, seller, platform):
    v = await services.vouchers.create(seller, draft(segment="repeat_customers"))
    await _order(services, platform, "o1", "b", 45)
    assert await _refusal(services, seller, v.id, "b") == "segment_not_met"
    windows = await services.shops.set_segment_windows(seller, repeat_days=60)
    assert windows.repeat_days == 60
    assert await _refusal(services, seller, v.id, "b") is None
    with pytest.raises(ValidationFailed):
        await services.shops.set_segment_windows(seller, lapsed_quiet_days=400)


async def test_r_c1_segment_is_checked_before_the_limit_and_named(
    services: Services, seller, platform
):
    v = await services.vouchers.create(seller, draft(segment="new_customers", total_quantity=1))
    await services.claims.claim(seller.shop_id, v.id, "first")
    with pytest.raises(ClaimRefused) as refused:
        await services.claims.claim(seller.shop_id, v.id, "first")
    assert refused.value.code == "limit_reached"
    await _order(services, platform, "o1", "buyer", 3)
    with pytest.raises(ClaimRefused) as refused:
        await services.claims.claim(seller.shop_id, v.id, "buyer")  # sold out and not new
    assert refused.value.code == "segment_not_met"
    assert refused.value.extra["segment"] == "new_customers"


async def test_r_seg_one_ongoing_new_customers_voucher(services: Services, seller):
    await services.vouchers.create(seller, draft(name="Welcome", segment="new_customers"))
    with pytest.raises(Conflict) as refused:
        await services.vouchers.create(seller, draft(name="Hello", segment="new_customers"))
    assert refused.value.code == "new_customers_voucher_exists"
    assert refused.value.extra["voucher_name"] == "Welcome"
    later = NOW + timedelta(days=8)
    await services.vouchers.create(
        seller,
        draft(name="Later", segment="new_customers", starts_at=later, ends_at=later + timedelta(1)),
    )


async def test_r_seg_imported_orders_redeem_nothing_and_count_in_aov(
    services: Services, seller, platform
):
    v = await services.vouchers.create(seller, draft())
    await services.claims.claim(seller.shop_id, v.id, "b")
    order = await _order(services, platform, "old-1", "b", 10)
    assert order.claim_id is None and order.created_at == NOW - timedelta(days=10)
    assert await services.checkout.average_order_value(platform) == 3000
    with pytest.raises(ValidationFailed):
        await _order(services, platform, "too-old", "b", 3 * 365 + 2)
    with pytest.raises(ValidationFailed):
        await _order(services, platform, "future", "b", -1)
    again = await _order(services, platform, "old-1", "b", 10)  # a repeat: the same order
    assert again.order_id == "old-1"


async def test_r_seg_unknown_segment_is_refused(services: Services, seller):
    with pytest.raises(ValidationFailed) as bad:
        await services.vouchers.create(seller, draft(segment="vip"))
    assert bad.value.errors[0].field == "segment"


async def test_r_a7_claims_usage_and_revenue_split_by_segment(services: Services, seller, platform):
    plain = await services.vouchers.create(seller, draft(name="Plain"))
    new = await services.vouchers.create(seller, draft(name="New", segment="new_customers"))
    await services.claims.claim(seller.shop_id, plain.id, "a")
    await services.claims.claim(seller.shop_id, new.id, "b")
    await services.claims.claim(seller.shop_id, new.id, "c")
    await services.checkout.place_order(platform, "o1", "b", LINE, claim_id=None)
    split = await services.segments.by_segment(seller)
    assert (split["all"].claims, split["all"].usage) == (1, 0)
    assert (split["new_customers"].claims, split["new_customers"].usage) == (2, 1)
    assert split["new_customers"].revenue == 2500 and split["new_customers"].buyers == 1
    assert split["repeat_customers"].claims == 0
