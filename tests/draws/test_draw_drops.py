"""R-drop1 × R-draw1: a timed drop may be a lucky draw; the draw opens when the drop fires,
with its `winners` checked against the quota left at that moment."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import FrozenClock
from core.errors import ValidationFailed
from core.rules.roles import Actor
from core.services import Services
from tests.api.conftest import Api
from tests.conftest import draft


@pytest.fixture
async def live(services: Services, seller: Actor) -> tuple[int, int]:
    v = await services.vouchers.create(
        seller, draft(name="Live draw", kind="live", total_quantity=5)
    )
    s = await services.live.start_session(seller)
    return s.id, v.id  # type: ignore[return-value]


async def test_r_drop1_a_draw_drop_opens_a_draw_when_it_fires(
    services: Services, seller: Actor, live: tuple[int, int], clock: FrozenClock
) -> None:
    session_id, voucher_id = live
    drop = await services.drops.schedule(
        seller,
        session_id,
        voucher_id,
        "none",
        in_seconds=120,
        mode="draw",
        winners=2,
        entry_minutes=3,
    )
    assert (drop.mode, drop.winners, drop.entry_minutes) == ("draw", 2, 3)
    clock.advance(minutes=2)
    assert await services.drops.fire(drop.id)
    [d] = (await services.live.get_session(seller, session_id)).distributions
    assert (d.mode, d.winners) == ("draw", 2)
    assert d.closes_at == clock.now() + timedelta(minutes=3)
    [running] = await services.draws.open_draws(seller, session_id)
    assert running.distribution_id == d.id and running.entries == 0


async def test_r_drop1_a_draw_drop_fails_when_the_winners_outnumber_the_quota_then(
    services: Services, seller: Actor, live: tuple[int, int], clock: FrozenClock
) -> None:
    session_id, voucher_id = live
    drop = await services.drops.schedule(
        seller,
        session_id,
        voucher_id,
        "none",
        in_seconds=60,
        mode="draw",
        winners=5,
        entry_minutes=1,
    )
    # Three viewers claim through a first-come distribution before the drop fires.
    first = await services.live.issue(seller, session_id, voucher_id, "none")
    for n in range(3):
        await services.claims.claim(seller.shop_id, voucher_id, f"viewer-{n}")
    await services.live.stop(seller, first.id)
    clock.advance(minutes=1)
    await services.drops.fire(drop.id)
    [after] = await services.drops.list(seller, session_id)
    assert (after.status, after.reason) == ("failed", "validation_failed")
    assert (await services.draws.open_draws(seller, session_id)) == []


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"mode": "draw", "entry_minutes": 1}, "winners"),
        ({"mode": "draw", "winners": 2}, "entry_minutes"),
        ({"mode": "draw", "winners": 0, "entry_minutes": 1}, "winners"),
        ({"mode": "draw", "winners": 2, "entry_minutes": 31}, "entry_minutes"),
        ({"winners": 2}, "winners"),
    ],
)
async def test_r_drop1_draw_fields_are_checked_when_scheduling(
    services: Services,
    seller: Actor,
    live: tuple[int, int],
    extra: dict,
    field: str,  # type: ignore[type-arg]
) -> None:
    session_id, voucher_id = live
    with pytest.raises(ValidationFailed) as caught:
        await services.drops.schedule(
            seller, session_id, voucher_id, "none", in_seconds=60, **extra
        )
    assert [e.field for e in caught.value.errors] == [field]


async def test_r_drop1_api_schedules_a_draw_drop(api: Api) -> None:
    v = await api.voucher(name="Live draw", kind="live")
    s = await api.ok("POST", "/v1/live/sessions", 201, json={"account_id": api.seller.account_id})
    drop = await api.ok(
        "POST",
        f"/v1/live/sessions/{s['id']}/drops",
        201,
        json={
            "voucher_id": v["id"],
            "task": {"type": "none"},
            "in_seconds": 90,
            "mode": "draw",
            "winners": 3,
            "entry_minutes": 2,
        },
    )
    assert (drop["mode"], drop["winners"], drop["entry_minutes"]) == ("draw", 3, 2)
