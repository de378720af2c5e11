"""The claim store's contract, one suite for both stores (SQLite's and PostgreSQL's): every
outcome, refused claims leave nothing behind, one lost Idempotency-Key race does not cost the
rest of its batch, analytics buckets and quota notices are written with the claims (R-v5,
R-v12, R-c2, R-n1)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from core.rules.claim_outcomes import TakeOutcome
from core.services import Services
from storage.analytics_models import ClaimBucket
from storage.claim_store import PreparedNotice, TakeRequest
from storage.models import Claim, Notification, VoucherBuyer
from tests.conftest import NOW, draft
from tests.support.take_requests import take_request


def request(
    voucher_id: int, shop_id: int, buyer: str, *, key: str | None = None, **fields: Any
) -> TakeRequest:
    return take_request(shop_id, voucher_id, buyer, idempotency_key=key, **fields)


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
    assert all(isinstance(r.outcome, TakeOutcome) for r in results)
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


def notice(shop_id: int, claimed: int, total: int, kind: str) -> PreparedNotice:
    row = {
        "shop_id": shop_id,
        "event_key": f"shop:{shop_id}:test:{kind}:{total}",
        "kind": kind,
        "chat_id": 42,
        "text": f"{claimed} of {total}",
        "buttons": None,
        "created_at": NOW,
        "next_attempt_at": NOW,
    }
    return PreparedNotice(claimed, total, row)


async def test_every_outcome_in_one_batch_in_arrival_order(services: Services, seller):
    """A buyer's repeats count against the limit in order, quota goes to the first eligible
    claims, a key repeated in the batch is a duplicate, and a refused claim takes no quota."""
    v = await services.vouchers.create(seller, draft(total_quantity=4, per_customer_limit=2))
    shop, store = seller.shop_id, services.claims.store
    results = await asyncio.gather(
        store.take(request(v.id, shop, "a", limit=2)),
        store.take(request(v.id, shop, "a", limit=2)),
        store.take(request(v.id, shop, "a", limit=2)),  # third of a: limit
        store.take(request(v.id, shop, "k", limit=2, key="same")),
        store.take(request(v.id, shop, "k", limit=2, key="same")),  # the key again
        store.take(request(v.id, shop, "s", limit=2, distribution_id=999_999)),  # stopped
        store.take(request(v.id, shop, "b", limit=2)),  # the last unit
        store.take(request(v.id, shop, "c", limit=2)),  # sold out
    )
    assert [r.outcome for r in results] == [
        TakeOutcome.TAKEN,
        TakeOutcome.TAKEN,
        TakeOutcome.LIMIT_REACHED,
        TakeOutcome.TAKEN,
        TakeOutcome.DUPLICATE_KEY,
        TakeOutcome.DISTRIBUTION_STOPPED,
        TakeOutcome.TAKEN,
        TakeOutcome.NOT_TAKEN,
    ]
    taken = [r for r in results if r.outcome == TakeOutcome.TAKEN]
    assert [r.claimed for r in taken] == [1, 2, 3, 4]
    assert [r.buyer_claims for r in taken] == [1, 2, 1, 1]
    assert len({r.claim_id for r in taken}) == 4
    assert (results[-1].claimed, results[-1].total_quantity) == (4, 4)
    assert await counters(services, v.id) == {"a": 2, "k": 1, "b": 1}
    async with services.db.read() as session:
        claims = (await session.execute(select(Claim).where(Claim.voucher_id == v.id))).scalars()
        by_id = {c.id: c.buyer_id for c in claims}
    assert [by_id[r.claim_id] for r in taken] == ["a", "a", "k", "b"]  # type: ignore[index]


async def test_limit_counts_claims_of_earlier_batches(services: Services, seller):
    v = await services.vouchers.create(seller, draft(total_quantity=10, per_customer_limit=2))
    shop, store = seller.shop_id, services.claims.store
    first = await store.take(request(v.id, shop, "a", limit=2))
    again = await asyncio.gather(
        store.take(request(v.id, shop, "a", limit=2)),
        store.take(request(v.id, shop, "a", limit=2)),
    )
    assert first.outcome == TakeOutcome.TAKEN
    assert [r.outcome for r in again] == [TakeOutcome.TAKEN, TakeOutcome.LIMIT_REACHED]
    assert again[0].buyer_claims == 2
    assert await counters(services, v.id) == {"a": 2}


async def test_a_deactivated_voucher_takes_nothing(services: Services, seller):
    v = await services.vouchers.create(seller, draft(total_quantity=5))
    await services.vouchers.deactivate(seller, v.id)
    result = await services.claims.store.take(request(v.id, seller.shop_id, "a"))
    assert result.outcome == TakeOutcome.NOT_TAKEN
    assert result.deactivated_at is not None and result.claimed == 0
    assert await counters(services, v.id) == {}


async def test_claims_are_counted_in_analytics_buckets(services: Services, seller):
    v = await services.vouchers.create(seller, draft(total_quantity=10, per_customer_limit=5))
    store = services.claims.store
    await asyncio.gather(*(store.take(request(v.id, seller.shop_id, f"b{n}")) for n in range(3)))
    await store.take(request(v.id, seller.shop_id, "b0"))  # refused: not counted
    async with services.db.read() as session:
        buckets = (
            await session.execute(select(ClaimBucket).where(ClaimBucket.voucher_id == v.id))
        ).scalars()
        assert sum(b.claims for b in buckets) == 3


async def test_quota_notices_are_written_with_the_claim_they_belong_to(services: Services, seller):
    v = await services.vouchers.create(seller, draft(total_quantity=5, per_customer_limit=5))
    shop, store = seller.shop_id, services.claims.store
    notices = (notice(shop, 4, 5, "quota_80"), notice(shop, 5, 5, "sold_out"))
    results = await asyncio.gather(
        *(store.take(request(v.id, shop, f"b{n}", notices=notices)) for n in range(6))
    )
    assert [r.noticed for r in results] == [False, False, False, True, True, False]
    async with services.db.read() as session:
        rows = (await session.execute(select(Notification).order_by(Notification.id))).scalars()
        written = [(n.kind, n.text) for n in rows if n.event_key.startswith(f"shop:{shop}:test")]
    assert written == [("quota_80", "4 of 5"), ("sold_out", "5 of 5")]


async def test_notices_for_another_total_are_not_written(services: Services, seller):
    """The quantity changed since core prepared the notices: none matches, none is written,
    and the result says so (core then writes the right one itself)."""
    v = await services.vouchers.create(seller, draft(total_quantity=1))
    shop = seller.shop_id
    result = await services.claims.store.take(
        request(v.id, shop, "a", notices=(notice(shop, 1, 2, "sold_out"),))
    )
    assert (result.outcome, result.noticed) == (TakeOutcome.TAKEN, False)
    async with services.db.read() as session:
        rows = (await session.execute(select(Notification))).scalars()
        assert not [n for n in rows if n.event_key.startswith(f"shop:{shop}:test")]


async def test_r_c2_a_key_used_on_another_voucher_meanwhile_is_a_duplicate(
    services: Services, seller
):
    """The key was committed by a claim on another voucher of the shop (so outside this
    voucher's lock): the batch answers duplicate_key for it and takes the others."""
    v = await services.vouchers.create(seller, draft(total_quantity=5))
    w = await services.vouchers.create(seller, draft(total_quantity=5))
    store, shop = services.claims.store, seller.shop_id
    assert (await store.take(request(w.id, shop, "a", key="k"))).outcome == TakeOutcome.TAKEN
    results = await asyncio.gather(
        store.take(request(v.id, shop, "a", key="k")),
        store.take(request(v.id, shop, "b")),
    )
    assert [r.outcome for r in results] == [TakeOutcome.DUPLICATE_KEY, TakeOutcome.TAKEN]
    assert await counters(services, v.id) == {"b": 1}


async def test_r_c2_a_key_race_with_an_open_transaction_redoes_the_batch(
    services: Services, seller
):
    """PostgreSQL: another transaction holds the same key, uncommitted, when the batch
    runs; the batch fails on the unique index once it commits and is redone claim by claim:
    duplicate_key for the one, the others taken, nothing left of the failed attempt."""
    if services.db.dialect != "postgresql":
        pytest.skip("SQLite has one writer: a key cannot be held uncommitted meanwhile")
    import asyncpg

    from storage.claim_store.postgres import asyncpg_dsn

    v = await services.vouchers.create(seller, draft(total_quantity=5))
    w = await services.vouchers.create(seller, draft(total_quantity=5))
    shop, store = seller.shop_id, services.claims.store
    other = await asyncpg.connect(asyncpg_dsn(services.db))
    try:
        tx = other.transaction()
        await tx.start()
        await other.execute(
            "INSERT INTO claim (shop_id, voucher_id, buyer_id, claimed_at, redeem_until, status, "
            "idempotency_key) VALUES ($1, $2, 'a', $3, $3, 'claimed', 'k')",
            shop,
            w.id,
            NOW,
        )
        batch = asyncio.gather(
            store.take(request(v.id, shop, "a", key="k")),
            store.take(request(v.id, shop, "b")),
        )
        # The batch waits on the key's index entry; let it get there, then commit.
        deadline = asyncio.get_running_loop().time() + 10
        while not await other.fetchval(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'"
        ):
            assert asyncio.get_running_loop().time() < deadline, "the batch never waited"
        await tx.commit()
        results = await asyncio.wait_for(batch, 10)
    finally:
        await other.close()
    assert [r.outcome for r in results] == [TakeOutcome.DUPLICATE_KEY, TakeOutcome.TAKEN]
    assert await counters(services, v.id) == {"b": 1}
    assert (await services.vouchers.get(seller, v.id)).claimed == 1
