"""R-ev1 for R-budget: `voucher.budget_low` when spent + reserved reaches 80% of the budget
(written by the claim that gets there, in its transaction), `voucher.budget_spent` in the
order's transaction with its team notice; once each."""

from __future__ import annotations

from core.events import EventType
from core.rules.roles import Actor
from core.services import Services
from storage import events as store
from tests.conftest import draft
from tests.core.helpers import outbox, with_team

LINE_2000 = [{"product_id": "x", "unit_price": 2000, "quantity": 1}]  # 500 off each


async def _budget_events(services: Services, shop_id: int) -> list[store.StoredEvent]:
    async with services.db.read() as session:
        log = await store.list_after(session, shop_id, 0, limit=1000)
    return [e for e in log if e.type.startswith("voucher.budget_")]


async def test_r_budget_budget_low_counts_reserved_claims_not_spent_alone(
    services: Services, seller: Actor
) -> None:
    """Four claims holding 500 each of 2,500 are 80% committed with nothing spent: the fourth
    claim writes `voucher.budget_low` (counting spent alone it would never fire here)."""
    v = await services.vouchers.create(seller, draft(budget=2_500, per_customer_limit=1))
    assert v.id is not None
    for b in ("a", "b", "c"):
        await services.claims.claim(seller.shop_id, v.id, b)
    assert await _budget_events(services, seller.shop_id) == []  # 60%
    claim = await services.claims.claim(seller.shop_id, v.id, "d")
    [low] = await _budget_events(services, seller.shop_id)
    assert low.type == EventType.VOUCHER_BUDGET_LOW
    assert low.data == {
        "voucher_id": v.id,
        "name": v.name,
        "budget": 2_500,
        "spent": 0,
        "reserved": 2_000,
        "left": 500,
    }
    assert low.created_at == claim.claimed_at
    await services.claims.claim(seller.shop_id, v.id, "e")  # 100%: still once
    assert len(await _budget_events(services, seller.shop_id)) == 1


async def test_r_ev1_budget_low_from_claims_and_spent_with_its_notice(
    services: Services, seller: Actor, platform: Actor
) -> None:
    await with_team(services, seller)
    v = await services.vouchers.create(seller, draft(budget=1_000, per_customer_limit=1))
    assert v.id is not None
    await services.claims.claim(seller.shop_id, v.id, "a")
    assert await _budget_events(services, seller.shop_id) == []  # 50% held
    await services.claims.claim(seller.shop_id, v.id, "b")  # 100% held: the claim tells
    assert [e.type for e in await _budget_events(services, seller.shop_id)] == [
        EventType.VOUCHER_BUDGET_LOW.value
    ]
    await services.checkout.place_order(platform, "o1", "a", LINE_2000)
    await services.checkout.place_order(platform, "o2", "b", LINE_2000)
    events = await _budget_events(services, seller.shop_id)
    assert [e.type for e in events] == [
        EventType.VOUCHER_BUDGET_LOW.value,
        EventType.VOUCHER_BUDGET_SPENT.value,
    ]
    assert events[1].data == {
        "voucher_id": v.id,
        "name": v.name,
        "budget": 1_000,
        "spent": 1_000,
        "reserved": 0,
        "left": 0,
    }
    assert len(await outbox(services, "budget_80")) == 1
    assert len(await outbox(services, "budget_spent")) == 1


async def test_r_ev1_budget_events_written_without_a_team_chat_and_only_once(
    services: Services, seller: Actor, platform: Actor
) -> None:
    v = await services.vouchers.create(seller, draft(budget=1_000, per_customer_limit=1))
    for b in ("a", "b"):
        await services.claims.claim(seller.shop_id, v.id, b)
    await services.checkout.place_order(platform, "o1", "a", LINE_2000)
    await services.checkout.place_order(platform, "o2", "b", LINE_2000)
    await services.checkout.place_order(platform, "o2", "b", LINE_2000)  # a replay
    types = [e.type for e in await _budget_events(services, seller.shop_id)]
    assert types == ["voucher.budget_low", "voucher.budget_spent"]


async def test_r_ev1_a_budget_without_the_crossing_writes_no_budget_event(
    services: Services, seller: Actor, platform: Actor
) -> None:
    v = await services.vouchers.create(seller, draft(budget=10_000, per_customer_limit=1))
    await services.claims.claim(seller.shop_id, v.id, "a")
    await services.checkout.place_order(platform, "o1", "a", LINE_2000)
    assert await _budget_events(services, seller.shop_id) == []


def test_r_ev2_webhook_disabled_and_budget_spent_are_urgent_team_notices() -> None:
    from core.notice_kinds import NoticeKind, is_urgent

    assert is_urgent(NoticeKind.WEBHOOK_DISABLED) and is_urgent("webhook_disabled")
    assert is_urgent(NoticeKind.BUDGET_SPENT) and is_urgent("budget_spent")
    assert is_urgent("drop_failed") and is_urgent("draw_result")
    assert not is_urgent(NoticeKind.BUDGET_80)
