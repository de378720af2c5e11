"""Claims: R-c1 (every refusal, in order), R-c2, R-c3, and the quota notifications."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import ClaimRefused, Conflict, ValidationFailed
from core.services import Services
from tests.conftest import NOW, draft
from tests.core.helpers import outbox, with_team


async def refused(coro) -> ClaimRefused:  # type: ignore[no-untyped-def]
    with pytest.raises(ClaimRefused) as exc:
        await coro
    return exc.value


async def test_r_c1_voucher_not_found(services: Services, seller):
    assert (
        await refused(services.claims.claim(seller.shop_id, 999, "b1"))
    ).code == "voucher_not_found"
    other, _ = await services.shops.create("Other")
    v = await services.vouchers.create(seller, draft())
    assert (await refused(services.claims.claim(other.id, v.id, "b1"))).code == "voucher_not_found"


async def test_r_c1_not_claimable_names_the_status(services: Services, seller, clock):
    up = await services.vouchers.create(
        seller, draft(starts_at=NOW + timedelta(hours=1), ends_at=NOW + timedelta(hours=2))
    )
    err = await refused(services.claims.claim(seller.shop_id, up.id, "b1"))
    assert (err.code, err.extra["status"]) == ("not_claimable", "upcoming")
    gone = await services.vouchers.create(seller, draft())
    await services.vouchers.deactivate(seller, gone.id)
    err = await refused(services.claims.claim(seller.shop_id, gone.id, "b1"))
    assert (err.code, err.extra["status"]) == ("not_claimable", "deactivated")
    clock.advance(hours=2)
    err = await refused(services.claims.claim(seller.shop_id, up.id, "b1"))
    assert (err.code, err.extra["status"]) == ("not_claimable", "ended")


async def test_r_c1_limit_reached_then_sold_out_in_that_order(services: Services, seller):
    v = await services.vouchers.create(seller, draft(total_quantity=2, per_customer_limit=2))
    await services.claims.claim(seller.shop_id, v.id, "b1")
    await services.claims.claim(seller.shop_id, v.id, "b1")
    # both limit and quota are exhausted: the limit is named first
    assert (
        await refused(services.claims.claim(seller.shop_id, v.id, "b1"))
    ).code == "limit_reached"
    assert (await refused(services.claims.claim(seller.shop_id, v.id, "b2"))).code == "sold_out"


async def test_r_c1_task_checked_before_limit(services: Services, seller):
    v = await services.vouchers.create(seller, draft(kind="live"))
    s = await services.live.start_session(seller)
    await services.live.issue(seller, s.id, v.id, "watch", 1)
    assert (await refused(services.claims.claim(seller.shop_id, v.id, "b1"))).code == "task_not_met"


async def test_r_c1_bad_buyer_id(services: Services, seller):
    v = await services.vouchers.create(seller, draft())
    with pytest.raises(ValidationFailed) as exc:
        await services.claims.claim(seller.shop_id, v.id, "no spaces allowed")
    assert exc.value.errors[0].field == "buyer_id"


async def test_r_c2_idempotency_key_returns_first_result(services: Services, seller):
    v = await services.vouchers.create(seller, draft(total_quantity=5, per_customer_limit=5))
    first = await services.claims.claim(seller.shop_id, v.id, "b1", idempotency_key="k-1")
    again = await services.claims.claim(seller.shop_id, v.id, "b1", idempotency_key="k-1")
    assert first == again
    assert (await services.vouchers.get(seller, v.id)).claimed == 1
    with pytest.raises(Conflict) as exc:
        await services.claims.claim(seller.shop_id, v.id, "b2", idempotency_key="k-1")
    assert exc.value.code == "idempotency_key_reused"


async def test_r_c3_claim_lifecycle(services: Services, seller, platform, clock):
    v = await services.vouchers.create(seller, draft(ends_at=NOW + timedelta(days=1)))
    c = await services.claims.claim(seller.shop_id, v.id, "b1")
    assert c.status == "claimed" and c.redeem_until == NOW + timedelta(days=1)
    line = [{"product_id": "x", "unit_price": 3000, "quantity": 1}]
    order, _ = await services.checkout.place_order(platform, "o1", "b1", line)
    assert order.claim_id == c.id
    assert (await services.claims.get(seller, c.id)).status == "redeemed"
    await services.checkout.cancel_order(platform, "o1")
    assert (await services.claims.get(seller, c.id)).status == "claimed"
    clock.advance(days=1, seconds=1)
    assert (await services.claims.get(seller, c.id)).status == "expired"  # read from the clock
    assert await services.schedule.expire_due_claims() == 1
    assert [x.status for x in await services.claims.wallet(seller, "b1", status="expired")] == [
        "expired"
    ]


async def test_r_c3_cancel_after_redeem_until_expires(services: Services, seller, platform, clock):
    v = await services.vouchers.create(seller, draft(ends_at=NOW + timedelta(days=1)))
    c = await services.claims.claim(seller.shop_id, v.id, "b1")
    await services.checkout.place_order(
        platform, "o1", "b1", [{"product_id": "x", "unit_price": 3000, "quantity": 1}]
    )
    clock.advance(days=2)
    await services.checkout.cancel_order(platform, "o1")
    assert (await services.claims.get(seller, c.id)).status == "expired"


async def test_r_v6_valid_days_claim_deadline(services: Services, seller, clock):
    v = await services.vouchers.create(seller, draft(valid_days=3))
    clock.advance(hours=5)
    c = await services.claims.claim(seller.shop_id, v.id, "b1")
    assert c.redeem_until == clock.now() + timedelta(days=3)


async def test_r_n1_quota_80_percent_and_sold_out_notified_once(services: Services, seller):
    await with_team(services, seller)
    v = await services.vouchers.create(seller, draft(total_quantity=5))
    for i in range(5):
        await services.claims.claim(seller.shop_id, v.id, f"b{i}")
    kinds = [n.kind for n in await outbox(services) if n.kind in ("quota_80", "sold_out")]
    assert kinds == ["quota_80", "sold_out"]
    notes = await outbox(services, "quota_80")
    assert f"#{v.id}" in notes[0].text and "80%" in notes[0].text
