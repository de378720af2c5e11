"""R-ev1 the event log: every change writes its event in its own transaction, `seq` rises by
one per shop with no gaps (also under concurrent writers), GET /v1/events, retention."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from core.errors import VoucherbotError
from core.events import EventType
from core.rules.roles import Actor
from core.services import Services
from storage import events as store
from tests.draws.helpers import live_voucher


async def _log(services: Services, shop_id: int) -> list[store.StoredEvent]:
    async with services.db.read() as session:
        return await store.list_after(session, shop_id, 0, limit=1000)


def _types(events: list[store.StoredEvent]) -> list[str]:
    return [e.type for e in events]


async def test_r_ev1_a_live_story_writes_every_event_type_in_order(
    services: Services, seller: Actor
) -> None:
    clock = services.clock
    shop = seller.shop_id
    v = await live_voucher(services, seller, total_quantity=5)
    await services.vouchers.edit(seller, v.id, {"total_quantity": 5})
    s = await services.live.start_session(seller)
    d = await services.live.issue(seller, s.id, v.id, "none")
    for i in range(5):  # 4 of 5 is 80%: quota_low; the fifth sells out
        await services.claims.claim(shop, v.id, f"buyer-{i}", session_id=s.id)
    await services.live.stop(seller, d.id)
    # a drop that fires, one that fails, one cancelled, one cancelled by the session's end
    other = await live_voucher(services, seller, name="Other")
    fired = await services.drops.schedule(seller, s.id, other.id, "none", in_seconds=60)
    failed = await services.drops.schedule(seller, s.id, v.id, "none", in_seconds=60)
    cancelled = await services.drops.schedule(seller, s.id, other.id, "none", in_seconds=120)
    await services.drops.cancel(seller, cancelled.id)
    clock.advance(seconds=61)  # type: ignore[attr-defined]
    assert await services.drops.fire(fired.id)
    assert await services.drops.fire(failed.id)  # sold out: it fails
    await services.drops.schedule(seller, s.id, other.id, "none", in_seconds=300)
    # a draw drawn, and one cancelled when the session ends
    third = await live_voucher(services, seller, name="Third")
    ds = await services.live.issue(
        seller, s.id, third.id, "none", mode="draw", winners=1, entry_minutes=1
    )
    await services.draws.enter(shop, ds.id, "viewer-1")
    clock.advance(minutes=2)  # type: ignore[attr-defined]
    assert await services.draws.close(ds.id)
    fourth = await live_voucher(services, seller, name="Fourth")
    await services.live.issue(
        seller, s.id, fourth.id, "none", mode="draw", winners=1, entry_minutes=5
    )
    await services.live.end_session(seller, s.id)
    await services.vouchers.deactivate(seller, fourth.id)
    assert await services.schedule.close_claim_period(v.id) is False  # not due yet

    events = await _log(services, shop)
    types = _types(events)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))  # no gaps
    expected = set(EventType) - {EventType.VOUCHER_BUDGET_LOW, EventType.VOUCHER_BUDGET_SPENT}
    expected -= {EventType.VOUCHER_CLAIM_PERIOD_CLOSED}
    assert expected <= set(types), expected - set(types)
    assert types.index("voucher.claim_period_opened") < types.index("distribution.started")
    assert types.count("voucher.quota_low") == 1 and types.count("voucher.sold_out") == 1
    assert types.count("drop.cancelled") == 2
    closed = next(e for e in events if e.type == "draw.closed")
    assert closed.data["entries"] == 1 and len(closed.data["seed"]) == 64
    assert [w["buyer_id"] for w in closed.data["winners_awarded"]] == ["viewer-1"]
    started = next(e for e in events if e.type == "distribution.started")
    assert started.data["remaining"] == 5 and started.live_session_id == s.id
    for e in events:
        env = e.envelope()
        assert set(env) == {"id", "seq", "type", "created_at", "data"}
        assert env["id"].startswith("evt_")


async def test_r_ev1_claim_period_closed_is_written_by_the_schedule(
    services: Services, seller: Actor
) -> None:
    v = await live_voucher(services, seller)
    services.clock.advance(days=8)  # type: ignore[attr-defined]
    assert await services.schedule.close_claim_period(v.id)
    assert "voucher.claim_period_closed" in _types(await _log(services, seller.shop_id))


async def test_r_ev1_a_refused_change_writes_no_event_and_leaves_no_gap(
    services: Services, seller: Actor
) -> None:
    v = await live_voucher(services, seller)
    s = await services.live.start_session(seller)
    with pytest.raises(VoucherbotError):
        await services.live.issue(seller, s.id, v.id, "watch", 999)  # refused: no event
    await services.live.issue(seller, s.id, v.id, "none")
    events = await _log(services, seller.shop_id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert _types(events).count("distribution.started") == 1


async def test_r_ev1_seq_has_no_gaps_under_concurrent_writers(
    services: Services, seller: Actor
) -> None:
    await asyncio.gather(*(live_voucher(services, seller, name=f"V{i}") for i in range(20)))
    events = await _log(services, seller.shop_id)
    assert sorted(e.seq for e in events) == list(range(1, 21))
    other, _ = await services.shops.create("Other", owner_telegram_user_id=3003)
    actor = Actor(shop_id=other.id, role="seller")  # type: ignore[arg-type]
    await live_voucher(services, actor)
    assert [e.seq for e in await _log(services, other.id)] == [1]  # per shop


async def test_r_ev1_get_events_lists_in_order_with_after_types_and_limit(api) -> None:  # type: ignore[no-untyped-def]
    for i in range(3):
        await api.voucher(name=f"V{i}")
    page = await api.ok("GET", "/v1/events?limit=2")
    assert [e["seq"] for e in page["items"]] == [1, 2] and page["last_seq"] == 2
    assert page["items"][0]["type"] == "voucher.created"
    assert page["items"][0]["data"]["voucher"]["name"] == "V0"
    rest = await api.ok("GET", f"/v1/events?after={page['last_seq']}")
    assert [e["seq"] for e in rest["items"]] == [3]
    none = await api.ok("GET", "/v1/events?types=drop.fired")
    assert none["items"] == [] and none["last_seq"] == 0
    status, problem = await api.call("GET", "/v1/events?types=nope")
    assert status == 422 and problem["errors"][0]["field"] == "types"
    status, problem = await api.call("GET", "/v1/events?limit=0")
    assert status == 422
    doc = await api.ok("GET", "/openapi.json")
    assert "/v1/events" in doc["paths"]


async def test_r_ev1_events_older_than_the_retention_are_pruned(
    services: Services, seller: Actor
) -> None:
    await live_voucher(services, seller)
    services.clock.advance(days=31)  # type: ignore[attr-defined]
    await live_voucher(services, seller, name="Later")
    assert await services.events.prune() == 1
    events = await _log(services, seller.shop_id)
    assert [e.seq for e in events] == [2]  # seq keeps rising after a prune
    services.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    await live_voucher(services, seller, name="Again")
    assert [e.seq for e in await _log(services, seller.shop_id)] == [2, 3]
