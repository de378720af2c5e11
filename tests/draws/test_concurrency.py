"""Entries racing the close (R-draw1/R-draw2): an entry is either in the draw or refused —
never accepted and then left out — and the draw gives exactly `winners` claims."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from core.errors import ClaimRefused
from core.services import Services
from tests.draws.helpers import open_draw


async def test_r_draw2_entries_racing_the_close_are_in_or_refused(
    services: Services, seller, clock
):
    v, _s, d = await open_draw(services, seller, winners=5, entry_minutes=1, total_quantity=500)
    early = [f"early-{i}" for i in range(20)]
    await asyncio.gather(*(services.draws.enter(seller.shop_id, d.id, b) for b in early))

    async def enter(buyer: str) -> str:
        try:
            await services.draws.enter(seller.shop_id, d.id, buyer)
        except ClaimRefused as refusal:
            assert refusal.code == "draw_closed"
            return "refused"
        return "entered"

    racers = [f"racer-{i}" for i in range(200)]
    tasks = [asyncio.create_task(enter(b)) for b in racers]
    await asyncio.sleep(0)  # every racer reads the clock before the close (a yield, no wait)
    # The close starts once the first racers are written, while the others are in flight.
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    clock.advance(timedelta(minutes=1))
    closing = asyncio.create_task(services.draws.close(d.id))
    outcomes = dict(zip(racers, await asyncio.gather(*tasks), strict=True))
    assert await closing
    view = await services.draws.get(seller, d.id)
    entered = {b for b, o in outcomes.items() if o == "entered"} | set(early)
    assert set(view.entrants or ()) == entered
    assert len(view.claims) == 5 and set(view.winner_ids) <= entered
    assert (await services.vouchers.get(seller, v.id)).claimed == 5
