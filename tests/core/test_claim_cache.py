"""The claim path's memory never changes an answer the rules would give (R-c1, R-v12)."""

from __future__ import annotations

import pytest

from core.errors import ClaimRefused
from core.services import Services
from core.services.claim_cache import ClaimCache
from tests.conftest import draft


async def code_of(coro) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ClaimRefused) as exc:
        await coro
    return exc.value.code


async def test_adding_quantity_reopens_a_sold_out_voucher_at_once(services: Services, seller):
    v = await services.vouchers.create(seller, draft(total_quantity=1))
    await services.claims.claim(seller.shop_id, v.id, "b1")
    assert await code_of(services.claims.claim(seller.shop_id, v.id, "b2")) == "sold_out"
    await services.vouchers.add_quantity(seller, v.id, 1)
    assert (await services.claims.claim(seller.shop_id, v.id, "b2")).status == "claimed"


async def test_deactivation_is_seen_at_once(services: Services, seller):
    v = await services.vouchers.create(seller, draft())
    await services.claims.claim(seller.shop_id, v.id, "b1")  # the voucher is now remembered
    await services.vouchers.deactivate(seller, v.id)
    assert await code_of(services.claims.claim(seller.shop_id, v.id, "b2")) == "not_claimable"


async def test_limit_named_before_sold_out_for_buyers_of_another_process(
    services: Services, seller, db, clock
):
    """Process B sells the voucher out; process A, which never saw those claims, still names
    the limit first for a buyer at the limit and sold_out for the others."""
    v = await services.vouchers.create(seller, draft(total_quantity=2, per_customer_limit=1))
    other = Services.build(db, clock)  # a second process's services on the same database
    await other.claims.claim(seller.shop_id, v.id, "b1")
    await other.claims.claim(seller.shop_id, v.id, "b2")
    assert await code_of(services.claims.claim(seller.shop_id, v.id, "b1")) == "limit_reached"
    assert await code_of(services.claims.claim(seller.shop_id, v.id, "b3")) == "sold_out"
    assert await code_of(services.claims.claim(seller.shop_id, v.id, "b2")) == "limit_reached"


async def test_a_stale_snapshot_never_lets_a_claim_through(services: Services, seller, db, clock):
    v = await services.vouchers.create(seller, draft(total_quantity=1))
    stale = Services.build(db, clock)
    await stale.claims.claim(seller.shop_id, v.id, "warm")  # remembers claimed=0 → took 1
    await services.vouchers.deactivate(seller, v.id)  # another process deactivates
    await services.vouchers.create(seller, draft())
    # the stale process still believes the voucher ongoing: the write refuses anyway
    assert await code_of(stale.claims.claim(seller.shop_id, v.id, "late")) in (
        "not_claimable",
        "sold_out",
    )
    assert (await services.vouchers.get(seller, v.id)).claimed == 1


async def test_other_processes_changes_arrive_after_ttl(db, clock, seller, services: Services):
    ticks = [0.0]
    v = await services.vouchers.create(seller, draft(total_quantity=1))
    await services.claims.claim(seller.shop_id, v.id, "b1")
    follower = Services.build(db, clock)
    follower.claims.cache = ClaimCache(ttl=1.0, monotonic=lambda: ticks[0])
    assert await code_of(follower.claims.claim(seller.shop_id, v.id, "b2")) == "sold_out"
    await services.vouchers.add_quantity(seller, v.id, 1)  # in the other process
    assert await code_of(follower.claims.claim(seller.shop_id, v.id, "b2")) == "sold_out"
    ticks[0] = 1.5  # past the ttl: the follower reads the voucher again
    assert (await follower.claims.claim(seller.shop_id, v.id, "b2")).status == "claimed"


async def test_idempotent_replay_is_answered_across_processes(
    services: Services, seller, db, clock
):
    v = await services.vouchers.create(seller, draft(per_customer_limit=1))
    first = await services.claims.claim(seller.shop_id, v.id, "b1", idempotency_key="k")
    other = Services.build(db, clock)
    assert await other.claims.claim(seller.shop_id, v.id, "b1", idempotency_key="k") == first
