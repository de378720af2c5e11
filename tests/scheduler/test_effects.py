"""The scheduled effects themselves (R-s1, R-s2) on SQLite and PostgreSQL: each recorded once,
whether applied twice, late or concurrently, with the right side effects."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from core.clock import FrozenClock
from core.errors import Conflict
from core.rules.roles import Actor
from core.services import Services
from core.services.schedule import Effect
from storage.models import AppliedEffect, Claim, Distribution, Notification
from tests.conftest import NOW, draft

TEAM_CHAT = -100_123


async def _team(services: Services, seller: Actor) -> None:
    await services.shops.set_team_chat(seller, TEAM_CHAT)


async def _notifications(services: Services, kind: str) -> list[Notification]:
    async with services.db.read() as session:
        stmt = select(Notification).where(Notification.kind == kind).order_by(col(Notification.id))
        return list((await session.execute(stmt)).scalars().all())


async def _ledger(services: Services) -> list[str]:
    async with services.db.read() as session:
        return sorted((await session.execute(select(AppliedEffect.key))).scalars().all())


async def test_open_is_recorded_once_and_tells_the_team(
    services: Services, seller: Actor, clock: FrozenClock
) -> None:
    await _team(services, seller)
    v = await services.vouchers.create(seller, draft(starts_at=NOW + timedelta(hours=1)))

    assert await services.schedule.open_claim_period(v.id) is False  # not due yet
    assert await _ledger(services) == []

    clock.advance(hours=1)
    assert await services.schedule.open_claim_period(v.id) is True
    assert await services.schedule.open_claim_period(v.id) is False

    opened = await _notifications(services, "claim_period_opened")
    assert len(opened) == 1
    assert "Claim period opened" in opened[0].text and f"#{v.id}" in opened[0].text
    assert opened[0].chat_id == TEAM_CHAT
    assert await _ledger(services) == [f"voucher:{v.id}:opened"]


async def test_concurrent_applications_record_each_effect_once(
    services: Services, seller: Actor, clock: FrozenClock
) -> None:
    await _team(services, seller)
    v = await services.vouchers.create(seller, draft(ends_at=NOW + timedelta(hours=2)))
    clock.advance(hours=3)
    events = [e for e in await services.schedule.pending_events() if e.voucher_id == v.id]
    assert [e.effect for e in events] == [Effect.OPENED, Effect.CLOSED, Effect.EXPIRED]

    for event in events:
        results = await asyncio.gather(*(services.schedule.apply(event) for _ in range(2)))
        assert sorted(results) == [False, True], event

    assert await _ledger(services) == sorted(f"voucher:{v.id}:{e}" for e in Effect)
    assert await services.schedule.pending_events() == []
    assert len(await _notifications(services, "claim_period_closed")) == 1
    # Caught up after the claim period ended: the summary is the news, not a stale "opened".
    assert await _notifications(services, "claim_period_opened") == []


async def test_close_stops_distributions_and_sends_a_summary(
    services: Services, seller: Actor, platform: Actor, clock: FrozenClock
) -> None:
    await _team(services, seller)
    v = await services.vouchers.create(
        seller, draft(kind="live", ends_at=NOW + timedelta(hours=1), total_quantity=10)
    )
    live = await services.live.start_session(seller)
    await services.live.issue(seller, live.id, v.id, "none")
    for buyer in ("b1", "b2", "b3"):
        await services.claims.claim(seller.shop_id, v.id, buyer)
    await services.checkout.place_order(
        platform, "o1", "b1", [{"product_id": "p1", "unit_price": 3000, "quantity": 1}]
    )

    clock.advance(hours=1)
    assert await services.schedule.close_claim_period(v.id) is True
    assert await services.schedule.close_claim_period(v.id) is False

    async with services.db.read() as session:
        d = (await session.execute(select(Distribution))).scalars().one()
    assert d.stopped_at == clock.now() and d.stop_reason == "claim_period_ended"
    stopped = await _notifications(services, "distribution_stopped")
    assert len(stopped) == 1 and "claim period ended" in stopped[0].text
    [summary] = await _notifications(services, "claim_period_closed")
    assert "Claims: 3 of 10" in summary.text
    assert "redeemed: 1" in summary.text and "remaining: 7" in summary.text


async def test_deactivated_voucher_gets_no_open_or_close_notification(
    services: Services, seller: Actor, clock: FrozenClock
) -> None:
    await _team(services, seller)
    v = await services.vouchers.create(
        seller,
        draft(starts_at=NOW + timedelta(minutes=10), ends_at=NOW + timedelta(hours=1)),
    )
    await services.vouchers.deactivate(seller, v.id)
    assert await services.schedule.pending_events() == []

    clock.advance(hours=2)
    assert await services.schedule.open_claim_period(v.id) is False
    assert await services.schedule.close_claim_period(v.id) is False
    assert await services.schedule.expire_claims(v.id) is False
    assert await _notifications(services, "claim_period_opened") == []
    assert await _notifications(services, "claim_period_closed") == []
    assert await _ledger(services) == []


async def test_expired_claims_are_stored_expired_and_cannot_be_redeemed(
    services: Services, seller: Actor, platform: Actor, clock: FrozenClock
) -> None:
    v = await services.vouchers.create(
        seller, draft(ends_at=NOW + timedelta(hours=1), redeem_until=NOW + timedelta(hours=2))
    )
    claim = await services.claims.claim(seller.shop_id, v.id, "buyer-1")

    clock.set(NOW + timedelta(hours=2))  # at redeem_until the claim is still usable (R-o2)
    assert await services.schedule.expire_claims(v.id) is False
    clock.advance(seconds=1)
    assert await services.schedule.expire_claims(v.id) is True
    assert await services.schedule.expire_claims(v.id) is False

    async with services.db.read() as session:
        stored = (await session.execute(select(Claim).where(Claim.id == claim.id))).scalar_one()
    assert stored.status == "expired"
    lines = [{"product_id": "p1", "unit_price": 5000, "quantity": 1}]
    with pytest.raises(Conflict) as refused:
        await services.checkout.place_order(platform, "o1", "buyer-1", lines, claim_id=claim.id)
    assert refused.value.code == "claim_not_usable"
    order, _ = await services.checkout.place_order(platform, "o2", "buyer-1", lines)
    assert order.claim_id is None and order.discount == 0


async def test_sweep_expires_valid_days_claims_each_at_its_own_time(
    services: Services, seller: Actor, clock: FrozenClock
) -> None:
    v = await services.vouchers.create(
        seller, draft(ends_at=NOW + timedelta(days=3), redeem_until=None, valid_days=1)
    )
    first = await services.claims.claim(seller.shop_id, v.id, "early")
    clock.advance(hours=12)
    await services.claims.claim(seller.shop_id, v.id, "later")

    clock.set(first.redeem_until + timedelta(seconds=1))
    assert await services.schedule.expire_due_claims() == 1
    assert await services.schedule.expire_due_claims() == 0
    async with services.db.read() as session:
        rows = await session.execute(
            select(Claim.buyer_id, Claim.status).order_by(col(Claim.buyer_id))
        )
        assert rows.all() == [("early", "expired"), ("later", "claimed")]
        count = select(func.count()).select_from(AppliedEffect)
        assert (await session.execute(count)).scalar_one() == 0
