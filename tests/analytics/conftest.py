"""A hand-computed shop: one Regular and one LIVE voucher, a marketing host's live session,
claims at chosen instants, orders (one cancelled, one without voucher).

Timeline (shop in UTC, NOW = 2026-06-01 12:00):
- 12:00 R claimed by b1; 12:10 by b2; 13:07 by b3.
- 13:20 host H starts session S and distributes L (task none).
- 13:30 L claimed by b1; 13:31 by b4.
- 15:00 orders: o1 b1 3000 with R → −500 = 2500; o2 b2 4000 with R → 3500, then cancelled;
  o3 b1 5000 with L → −500 = 4500; o4 b4 2000 with L → −200 = 1800; o5 b5 1000, no voucher.
- now = 15:01.

Expected: R claims 3, usage 1, revenue 2500, cost 500, ROI 5; L claims 2, usage 2, revenue
6300, buyers 2, cost 700, ROI 9; total revenue 8800, buyers 2 (b1, b4), cost 1200;
AOV (2500 + 4500 + 1800 + 1000) / 4 = 2450.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from core.clock import FrozenClock
from core.rules.roles import Actor, Role
from core.services import Services
from tests.conftest import NOW, draft, percent_draft


@dataclass(frozen=True)
class Shop:
    seller: Actor
    host: Actor
    regular_id: int
    live_id: int
    session_id: int


def line(price: int) -> list[dict[str, object]]:
    return [{"product_id": "p1", "unit_price": price, "quantity": 1}]


async def at(clock: FrozenClock, minutes: int) -> None:
    clock.set(NOW + timedelta(minutes=minutes))


@pytest.fixture
async def shop(services: Services, seller: Actor, clock: FrozenClock) -> Shop:
    regular = await services.vouchers.create(seller, draft(name="R"))
    live = await services.vouchers.create(
        seller, percent_draft(name="L", kind="live", percent=10, max_discount=1000)
    )
    invite = await services.accounts.create_invite(seller, "marketing")
    member = await services.accounts.accept_invite(invite.token, 2002, "Hana")
    host = Actor(seller.shop_id, Role.MARKETING, member.account.id)
    claims = {}
    for minutes, buyer in ((0, "b1"), (10, "b2"), (67, "b3")):
        await at(clock, minutes)
        claims[("R", buyer)] = await services.claims.claim(seller.shop_id, regular.id, buyer)  # type: ignore[arg-type]
    await at(clock, 80)
    live_session = await services.live.start_session(host)
    await services.live.issue(host, live_session.id, live.id, "none")  # type: ignore[arg-type]
    for minutes, buyer in ((90, "b1"), (91, "b4")):
        await at(clock, minutes)
        claims[("L", buyer)] = await services.claims.claim(seller.shop_id, live.id, buyer)  # type: ignore[arg-type]
    await at(clock, 180)
    platform = Actor.platform(seller.shop_id)
    place = services.checkout.place_order
    await place(platform, "o1", "b1", line(3000), claims[("R", "b1")].id)
    await place(platform, "o2", "b2", line(4000), claims[("R", "b2")].id)
    await place(platform, "o3", "b1", line(5000), claims[("L", "b1")].id)
    await place(platform, "o4", "b4", line(2000), claims[("L", "b4")].id)
    await place(platform, "o5", "b5", line(1000))
    await services.checkout.cancel_order(platform, "o2")
    await at(clock, 181)
    return Shop(seller, host, regular.id, live.id, live_session.id)  # type: ignore[arg-type]
