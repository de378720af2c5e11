"""R-budget and R-redeem, on SQLite and PostgreSQL: exact under 500 concurrent claims, under
concurrent orders and across two OS processes; reservations given back on expiry, void and
cancellation; the team told at 80% and when spent; the budget raised like the quantity."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.clock import SystemClock
from core.errors import ClaimRefused, Conflict, ValidationFailed
from core.rules.roles import Actor
from core.services import Services
from storage.models import Claim
from tests.conftest import draft, percent_draft
from tests.core.helpers import outbox, with_team
from tests.core.test_concurrency import ROOT, rush

LINE_2000 = [{"product_id": "x", "unit_price": 2000, "quantity": 1}]


async def _sums(services: Services, voucher_id: int) -> tuple[int, int, int]:
    """(spent, reserved, what the open claims hold) read from the rows."""
    async with services.db.read() as session:
        held = (
            await session.execute(
                select(func.coalesce(func.sum(Claim.reserved), 0)).where(
                    Claim.voucher_id == voucher_id, Claim.status == "claimed"
                )
            )
        ).scalar_one()
    from storage.models import Voucher

    async with services.db.read() as session:
        v = await session.get(Voucher, voucher_id)
    assert v is not None
    return v.budget_spent, v.budget_reserved, int(held)


async def test_r_budget_500_concurrent_claims_never_exceed_the_budget(services: Services, seller):
    # 500 off each, a budget of 10,000: 20 claims, though the quantity allows 100.
    v = await services.vouchers.create(seller, draft(total_quantity=100, budget=10_000))
    outcomes = await rush(services, seller.shop_id, v.id, [f"b{i}" for i in range(500)])
    assert outcomes == Counter({"claimed": 20, "budget_spent": 480})
    spent, reserved, held = await _sums(services, v.id)
    assert (spent, reserved, held) == (0, 10_000, 10_000)
    view = await services.vouchers.get(seller, v.id)
    assert (view.claimed, view.budget_left) == (20, 0)


async def test_r_budget_sold_out_is_named_before_budget_spent(services: Services, seller):
    v = await services.vouchers.create(seller, draft(total_quantity=2, budget=1_000))
    outcomes = await rush(services, seller.shop_id, v.id, ["a", "b", "c"])
    assert outcomes == Counter({"claimed": 2, "sold_out": 1})


async def test_r_budget_redemption_spends_the_actual_discount_and_frees_the_rest(
    services: Services, seller, platform
):
    # 20% off, at most 1,000: each claim holds 1,000; a 2,000 order spends 400.
    v = await services.vouchers.create(seller, percent_draft(budget=3_000, per_customer_limit=1))
    for buyer in ("a", "b", "c"):
        await services.claims.claim(seller.shop_id, v.id, buyer)
    with pytest.raises(ClaimRefused) as refused:
        await services.claims.claim(seller.shop_id, v.id, "d")
    assert refused.value.code == "budget_spent"
    await services.checkout.place_order(platform, "o1", "a", LINE_2000)
    assert (await _sums(services, v.id))[:2] == (400, 2_000)
    with pytest.raises(ClaimRefused):  # 600 left: not enough for a claim holding 1,000
        await services.claims.claim(seller.shop_id, v.id, "d")
    await services.checkout.place_order(platform, "o2", "b", LINE_2000)
    assert (await _sums(services, v.id))[:2] == (800, 1_000)
    await services.claims.claim(seller.shop_id, v.id, "d")  # 1,200 left
    view = await services.vouchers.get(seller, v.id)
    assert (view.budget_spent, view.budget_reserved, view.budget_left) == (800, 2_000, 200)


async def test_r_budget_expiry_and_void_give_reservations_back(services: Services, seller, clock):
    v = await services.vouchers.create(
        seller, draft(budget=1_000, redeem_until=None, valid_days=1, per_customer_limit=1)
    )
    await services.claims.claim(seller.shop_id, v.id, "a")
    clock.advance(days=2)
    await services.claims.claim(seller.shop_id, v.id, "b")
    assert (await _sums(services, v.id))[:2] == (0, 1_000)
    assert await services.schedule.expire_due_claims() == 1  # a's claim: 500 back
    assert (await _sums(services, v.id)) == (0, 500, 500)
    await services.claims.claim(seller.shop_id, v.id, "c")
    await services.vouchers.deactivate(seller, v.id)
    assert (await _sums(services, v.id)) == (0, 0, 0)


async def test_r_budget_cancellation_unspends_and_holds_again(services: Services, seller, platform):
    v = await services.vouchers.create(seller, percent_draft(budget=2_000))
    await services.claims.claim(seller.shop_id, v.id, "a")
    await services.checkout.place_order(platform, "o1", "a", LINE_2000)
    assert (await _sums(services, v.id)) == (400, 0, 0)
    await services.claims.claim(seller.shop_id, v.id, "b")  # 1,000 held, 600 left
    await services.checkout.cancel_order(platform, "o1")
    # a's claim is usable again and holds what fits (1,000 of the 1,000 now free)
    assert (await _sums(services, v.id)) == (0, 2_000, 2_000)
    with pytest.raises(ClaimRefused) as refused:
        await services.claims.claim(seller.shop_id, v.id, "c")
    assert refused.value.code == "budget_spent"


async def test_r_budget_concurrent_orders_never_overspend(services: Services, seller, platform):
    v = await services.vouchers.create(seller, percent_draft(budget=5_000, total_quantity=50))
    buyers = [f"b{i}" for i in range(5)]
    for b in buyers:
        await services.claims.claim(seller.shop_id, v.id, b)
    big = [{"product_id": "x", "unit_price": 10_000, "quantity": 1}]  # 1,000 off each
    await asyncio.gather(
        *(services.checkout.place_order(platform, f"o-{b}", b, big) for b in buyers)
    )
    spent, reserved, held = await _sums(services, v.id)
    assert (spent, reserved, held) == (5_000, 0, 0)


async def test_r_budget_team_told_at_80_percent_and_when_spent(
    services: Services, seller, platform
):
    await with_team(services, seller)
    v = await services.vouchers.create(seller, draft(budget=1_000, per_customer_limit=1))
    for b in ("a", "b"):
        await services.claims.claim(seller.shop_id, v.id, b)
    await services.checkout.place_order(platform, "o1", "a", LINE_2000)
    assert await outbox(services, "budget_80") == []
    await services.checkout.place_order(platform, "o2", "b", LINE_2000)
    assert len(await outbox(services, "budget_80")) == 1
    assert len(await outbox(services, "budget_spent")) == 1


async def test_r_budget_raised_like_the_quantity_never_lowered(services: Services, seller, clock):
    v = await services.vouchers.create(seller, draft(budget=1_000))
    await services.claims.claim(seller.shop_id, v.id, "a")
    await services.claims.claim(seller.shop_id, v.id, "b")
    raised = await services.vouchers.edit(seller, v.id, {"budget": 1_500})
    assert raised.budget == 1_500
    await services.claims.claim(seller.shop_id, v.id, "c")
    with pytest.raises(ValidationFailed):
        await services.vouchers.edit(seller, v.id, {"budget": 1_000})
    plain = await services.vouchers.create(seller, draft(name="No cap"))
    with pytest.raises(Conflict):
        await services.vouchers.edit(seller, plain.id, {"budget": 5_000})


async def test_r_budget_must_cover_the_largest_single_discount(services: Services, seller):
    with pytest.raises(ValidationFailed) as bad:
        await services.vouchers.create(seller, percent_draft(budget=999))
    assert bad.value.errors[0].field == "budget"


# --- R-redeem ---------------------------------------------------------------------------------


async def test_r_redeem_limit_reached_then_a_cancellation_frees_a_place(
    services: Services, seller, platform
):
    v = await services.vouchers.create(
        seller, draft(total_quantity=10, redemption_limit=1, per_customer_limit=1)
    )
    for b in ("a", "b"):
        await services.claims.claim(seller.shop_id, v.id, b)
    first, _ = await services.checkout.place_order(platform, "o1", "a", LINE_2000)
    assert first.claim_id is not None
    quote = await services.checkout.quote(platform, "b", LINE_2000)
    assert quote.best is None
    assert quote.considered[0].reason == "redemption_limit_reached"
    second, _ = await services.checkout.place_order(platform, "o2", "b", LINE_2000)
    assert second.claim_id is None and second.discount == 0
    await services.checkout.cancel_order(platform, "o1")
    third, _ = await services.checkout.place_order(platform, "o3", "b", LINE_2000)
    assert third.claim_id is not None


async def test_r_redeem_20_concurrent_orders_redeem_exactly_the_limit(
    services: Services, seller, platform
):
    v = await services.vouchers.create(
        seller, draft(total_quantity=50, redemption_limit=5, per_customer_limit=1)
    )
    buyers = [f"b{i}" for i in range(20)]
    for b in buyers:
        await services.claims.claim(seller.shop_id, v.id, b)
    orders = await asyncio.gather(
        *(services.checkout.place_order(platform, f"o-{b}", b, LINE_2000) for b in buyers)
    )
    assert sum(1 for o, _ in orders if o.claim_id is not None) == 5
    assert (await services.vouchers.get(seller, v.id)).redeemed == 5


# --- several processes ------------------------------------------------------------------------


async def test_r_budget_two_processes_never_exceed_the_budget(db, services: Services):
    """Two OS processes claim one budget-capped voucher at once (the R-v12 pattern)."""
    url = db.url.render_as_string(hide_password=False)
    clock = SystemClock()
    services = Services.build(db, clock)
    shop, account = await services.shops.create("Two procs budget")
    seller = Actor(shop_id=shop.id, role="seller", account_id=account.id)  # type: ignore[arg-type]
    start = clock.now()
    v = await services.vouchers.create(
        seller,
        draft(
            total_quantity=1_000,
            budget=120 * 500,
            starts_at=start,
            ends_at=start + timedelta(days=1),
        ),
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = ["-m", "tests.support.claim_worker", url, str(shop.id), str(v.id)]
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            *args,
            f"p{n}-",
            "150",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        for n in range(2)
    ]
    try:
        for p in procs:
            assert (await asyncio.wait_for(p.stdout.readline(), 60)).strip() == b"READY"  # type: ignore[union-attr]
        for p in procs:
            p.stdin.write(b"go\n")  # type: ignore[union-attr]
        outputs = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in procs)), 120)
        results = [json.loads(out.decode().strip().splitlines()[-1]) for out, _ in outputs]
    finally:
        for p in procs:
            if p.returncode is None:
                p.kill()
    assert sum(r["errors"] for r in results) == 0, results
    assert sum(r["claimed"] for r in results) == 120
    assert sum(r["refused"].get("budget_spent", 0) for r in results) == 180
    assert (await _sums(services, v.id)) == (0, 60_000, 60_000)
