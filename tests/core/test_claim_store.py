"""The claim store's batch on both databases: refused claims leave nothing behind, one lost
Idempotency-Key race does not cost the rest of its batch (R-v5, R-v12, R-c2)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from core.services import Services
from storage.claim_store import TakeRequest
from storage.models import Claim, VoucherBuyer
from tests.conftest import NOW, draft


def request(
    voucher_id: int,
    shop_id: int,
    buyer: str,
    *,
    limit: int = 1,
    key: str | None = None,
    distribution_id: int | None = None,
    session_id: int | None = None,
) -> TakeRequest:
    return TakeRequest(
        shop_id=shop_id,
        voucher_id=voucher_id,
        buyer_id=buyer,
        per_customer_limit=limit,
        now=NOW,
        redeem_until=NOW + timedelta(days=7),
        session_id=session_id,
        distribution_id=distribution_id,
        account_id=None,
        idempotency_key=key,
        notice=lambda claimed, total: None,
    )


async def counters(services: Services, voucher_id: int) -> dict[str, int]:
    async with services.db.read() as session:
        rows = (
            await session.execute(select(VoucherBuyer).where(VoucherBuyer.voucher_id == voucher_id))
        ).scalars()
        return {r.buyer_id: r.claims for r in rows}


async def test_one_batch_mixing_takes_and_refusals(services: Services, seller):
    v = await services.vouchers.create(seller, draft(total_quantity=3, per_customer_limit=3))
    store = services.claims.store
    # all submitted at once: they share batches
    results = await asyncio.gather(
        store.take(request(v.id, seller.shop_id, "a", limit=3)),
        store.take(request(v.id, seller.shop_id, "a", limit=3)),
        store.take(request(v.id, seller.shop_id, "z", limit=3)),
        store.take(request(v.id, seller.shop_id, "a", limit=3)),  # quota gone
        store.take(request(v.id, seller.shop_id, "b", limit=3)),  # quota gone, new buyer
    )
    assert [r.outcome for r in results] == ["taken", "taken", "taken", "not_taken", "not_taken"]
    assert await counters(services, v.id) == {"a": 2, "z": 1}  # the refusals moved nothing
    assert (await services.vouchers.get(seller, v.id)).claimed == 3


async def test_stopped_distribution_undoes_the_counter(services: Services, seller):
    v = await services.vouchers.create(seller, draft(kind="live", total_quantity=5))
    live = await services.live.start_session(seller)
    d = await services.live.issue(seller, live.id, v.id, "none")
    store = services.claims.store
    first = await store.take(
        request(v.id, seller.shop_id, "a", limit=2, distribution_id=d.id, session_id=live.id)
    )
    await services.live.stop(seller, d.id)
    late = await store.take(
        request(v.id, seller.shop_id, "a", limit=2, distribution_id=d.id, session_id=live.id)
    )
    assert (first.outcome, late.outcome) == ("taken", "distribution_stopped")
    assert await counters(services, v.id) == {"a": 1}
    assert (await services.vouchers.get(seller, v.id)).claimed == 1


async def test_a_lost_key_race_costs_only_that_claim(services: Services, seller):
    v = await services.vouchers.create(seller, draft(total_quantity=10, per_customer_limit=5))
    store = services.claims.store
    await store.take(request(v.id, seller.shop_id, "a", limit=5, key="k"))
    results = await asyncio.gather(
        store.take(request(v.id, seller.shop_id, "b", limit=5)),
        store.take(request(v.id, seller.shop_id, "a", limit=5, key="k")),  # the key is taken
        store.take(request(v.id, seller.shop_id, "c", limit=5)),
    )
    assert [r.outcome for r in results] == ["taken", "duplicate_key", "taken"]
    assert await counters(services, v.id) == {"a": 1, "b": 1, "c": 1}
    async with services.db.read() as session:
        claims = (await session.execute(select(Claim).where(Claim.voucher_id == v.id))).all()
    assert len(claims) == 3
    assert (await services.vouchers.get(seller, v.id)).claimed == 3
