"""R-adv3: the sell-out forecast tells the team and the host once."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select

from core.clock import FrozenClock
from core.rules.roles import Actor
from core.services import Services
from core.services.forecast import sellout_at
from storage.models import Notification
from tests.conftest import NOW, percent_draft

TEAM = -100_500


def test_linear_forecast() -> None:
    assert sellout_at(5, 5, timedelta(minutes=1), NOW) == NOW + timedelta(minutes=1)
    assert sellout_at(5, 2, timedelta(minutes=1), NOW) is None  # too few claims to tell


async def test_r_adv3_sellout_soon_is_told_once(
    services: Services, seller: Actor, clock: FrozenClock
) -> None:
    await services.shops.set_team_chat(seller, TEAM)
    v = await services.vouchers.create(
        seller, percent_draft(name="Flash", kind="live", total_quantity=10)
    )
    live = await services.live.start_session(seller)
    await services.live.issue(seller, live.id, v.id, "none")  # type: ignore[arg-type]
    assert await services.forecast.check_sellouts() == []  # no claims yet
    for i in range(5):
        clock.advance(seconds=12)
        await services.claims.claim(seller.shop_id, v.id, f"b{i}")  # type: ignore[arg-type]
    forecast = await services.forecast.forecast(seller, v.id)  # type: ignore[arg-type]
    assert forecast is not None and forecast.remaining == 5
    assert forecast.claims_per_minute == 5.0
    notices = await services.forecast.check_sellouts()
    assert len(notices) == 1 and notices[0].team_queued
    assert notices[0].host_chat_id == 1001  # the seller hosts: their private chat
    clock.advance(seconds=10)
    assert await services.forecast.check_sellouts() == []
    async with services.db.read() as session:
        rows = (
            (await session.execute(select(Notification).where(Notification.kind == "sellout_soon")))
            .scalars()
            .all()
        )
    assert sorted(r.chat_id for r in rows) == [TEAM, 1001]
    for r in rows:
        assert json.loads(r.buttons or "null") == [[["Add quantity", f"v:{v.id}:addq"]]]
        assert "sell out in about 1 min" in r.text
