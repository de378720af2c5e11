"""Checkout and orders: R-o1…R-o5, and R-a6 AOV."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import Conflict, NotFound, ValidationFailed
from core.services import Services
from tests.conftest import NOW, draft, percent_draft


def lines(*items: tuple[str, int, int]) -> list[dict]:
    return [{"product_id": p, "unit_price": u, "quantity": q} for p, u, q in items]


async def claim(services: Services, seller, d):  # type: ignore[no-untyped-def]
    v = await services.vouchers.create(seller, d)
    return v, await services.claims.claim(seller.shop_id, v.id, "b1")


async def test_r_o1_seller_vouchers_never_stack(services: Services, seller, platform):
    await claim(services, seller, draft(amount=500, min_spend=1000))
    await claim(services, seller, draft(amount=300, min_spend=1000))
    q = await services.checkout.quote(platform, "b1", lines(("x", 5000, 1)))
    assert q.best is not None and q.best.discount == 500 and q.total == 4500
    assert len(q.considered) == 2  # considered, but only one applied


async def test_r_o2_eligible_subtotal_scope_and_min_spend(services: Services, seller, platform):
    await services.products.upsert(platform, "p1", name="P1", price=1000)
    _, c = await claim(
        services, seller, draft(amount=500, min_spend=2000, scope="products", product_ids=("p1",))
    )
    below = await services.checkout.quote(platform, "b1", lines(("p1", 1000, 1), ("x", 9000, 1)))
    assert below.best is None and below.considered[0].reason == "below_min_spend"
    none = await services.checkout.quote(platform, "b1", lines(("x", 9000, 1)))
    assert none.considered[0].reason == "no_eligible_items"
    ok = await services.checkout.quote(platform, "b1", lines(("p1", 1000, 2), ("x", 9000, 1)))
    assert ok.best is not None and ok.best.claim_id == c.id and ok.best.discount == 500


async def test_r_o2_amount_capped_by_eligible_subtotal(services: Services, seller, platform):
    await claim(services, seller, draft(amount=5000, min_spend=0))
    q = await services.checkout.quote(platform, "b1", lines(("x", 1200, 1)))
    assert q.best.discount == 1200 and q.total == 0  # type: ignore[union-attr]


async def test_r_o2_percent_floors_then_caps(services: Services, seller, platform):
    await claim(services, seller, percent_draft(percent=15, max_discount=10_000))
    q = await services.checkout.quote(platform, "b1", lines(("x", 999, 1)))
    assert q.best.discount == 149  # floor(149.85)  # type: ignore[union-attr]
    q = await services.checkout.quote(platform, "b1", lines(("x", 100_000, 1)))
    assert q.best.discount == 10_000  # type: ignore[union-attr]


async def test_r_o3_best_then_earliest_redeem_until_then_lowest_id(
    services: Services, seller, platform
):
    end = NOW + timedelta(days=7)
    _, late = await claim(services, seller, draft(amount=500, redeem_until=end + timedelta(days=2)))
    _, early = await claim(
        services, seller, draft(amount=500, redeem_until=end + timedelta(days=1))
    )
    _, small = await claim(services, seller, draft(amount=400))
    q = await services.checkout.quote(platform, "b1", lines(("x", 5000, 1)))
    assert q.best.claim_id == early.id  # type: ignore[union-attr]
    assert [p.claim_id for p in q.considered] == [early.id, late.id, small.id]
    _, twin = await claim(services, seller, draft(amount=500, redeem_until=end + timedelta(days=1)))
    q = await services.checkout.quote(platform, "b1", lines(("x", 5000, 1)))
    assert q.best.claim_id == min(early.id, twin.id)  # type: ignore[union-attr]


async def test_r_o4_order_recorded_once_and_conflicts(services: Services, seller, platform):
    _, c = await claim(services, seller, draft())
    body = lines(("x", 3000, 2))
    first, created = await services.checkout.place_order(platform, "o-1", "b1", body)
    again, created_again = await services.checkout.place_order(platform, "o-1", "b1", body)
    assert created and not created_again and first == again
    assert (first.claim_id, first.discount, first.total) == (c.id, 500, 5500)
    with pytest.raises(Conflict) as exc:
        await services.checkout.place_order(platform, "o-1", "b1", lines(("x", 3000, 3)))
    assert exc.value.code == "order_conflict"
    v = await services.vouchers.get(seller, c.voucher_id)
    assert v.redeemed == 1


async def test_r_o4_named_claim_must_be_usable(services: Services, seller, platform):
    _, big = await claim(services, seller, draft(amount=900, min_spend=5000))
    _, small = await claim(services, seller, draft(amount=100, min_spend=1000))
    order, _ = await services.checkout.place_order(
        platform, "o1", "b1", lines(("x", 6000, 1)), claim_id=small.id
    )
    assert order.claim_id == small.id and order.discount == 100
    with pytest.raises(Conflict) as exc:
        await services.checkout.place_order(
            platform, "o2", "b1", lines(("x", 2000, 1)), claim_id=big.id
        )
    assert exc.value.code == "claim_not_usable" and exc.value.extra["reason"] == "below_min_spend"
    with pytest.raises(NotFound):
        await services.checkout.place_order(
            platform, "o3", "b1", lines(("x", 2000, 1)), claim_id=99999
        )


async def test_r_o4_orders_without_voucher_are_recorded(services: Services, seller, platform):
    order, _ = await services.checkout.place_order(platform, "o1", "nobody", lines(("x", 700, 3)))
    assert (order.voucher_id, order.discount, order.total) == (None, 0, 2100)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], "lines"),
        (lines(("x", -1, 1)), "lines.0.unit_price"),
        (lines(("x", 1, 0)), "lines.0.quantity"),
        (lines(("bad id", 1, 1)), "lines.0.product_id"),
        ([{"product_id": "x", "unit_price": "5", "quantity": 1}], "lines.0.unit_price"),
    ],
)
async def test_r_o4_bad_lines_refused_and_nothing_written(
    services: Services, platform, body, field
):
    with pytest.raises(ValidationFailed) as exc:
        await services.checkout.place_order(platform, "o1", "b1", body)
    assert exc.value.errors[0].field == field
    with pytest.raises(NotFound):
        await services.checkout.get_order(platform, "o1")


async def test_r_o5_cancel_releases_claim_and_leaves_revenue(services: Services, seller, platform):
    _, c = await claim(services, seller, draft())
    await services.checkout.place_order(platform, "o1", "b1", lines(("x", 3000, 1)))
    assert await services.checkout.average_order_value(platform) == 2500
    cancelled = await services.checkout.cancel_order(platform, "o1")
    again = await services.checkout.cancel_order(platform, "o1")
    assert cancelled.status == again.status == "cancelled"
    assert (await services.claims.get(seller, c.id)).status == "claimed"
    assert (await services.vouchers.get(seller, c.voucher_id)).redeemed == 0
    assert await services.checkout.average_order_value(platform) is None
    with pytest.raises(NotFound):
        await services.checkout.cancel_order(platform, "nope")


async def test_r_a6_average_order_value_last_30_days(services: Services, platform, clock):
    await services.checkout.place_order(platform, "old", "b", lines(("x", 100_000, 1)))
    clock.advance(days=31)
    await services.checkout.place_order(platform, "a", "b", lines(("x", 1000, 1)))
    await services.checkout.place_order(platform, "b", "c", lines(("x", 2001, 1)))
    await services.checkout.place_order(platform, "c", "c", lines(("x", 9999, 1)))
    await services.checkout.cancel_order(platform, "c")
    assert await services.checkout.average_order_value(platform) == 1501  # (1000+2001)/2 rounded


async def test_r_o3_quote_has_no_side_effects(services: Services, seller, platform):
    v, _c = await claim(services, seller, draft())
    before = await services.claims.wallet(seller, "b1")
    await services.checkout.quote(platform, "b1", lines(("x", 5000, 1)))
    assert await services.claims.wallet(seller, "b1") == before
    assert (await services.vouchers.get(seller, v.id)).redeemed == 0
